package testkit

import (
	"testing"
	"time"
)

// ShortenPatience makes the waits of t's test give up after d.
func ShortenPatience(t *testing.T, d time.Duration) {
	t.Cleanup(func() { patience = Patience })
	patience = d
}
