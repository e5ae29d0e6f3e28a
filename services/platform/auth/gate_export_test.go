package auth

import (
	"time"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// SetRateClock sets the clock g's rate limits refill by, emptying every
// bucket.
func SetRateClock(g *Gate, now func() time.Time) { g.limits.buckets = httpx.NewBuckets(now) }
