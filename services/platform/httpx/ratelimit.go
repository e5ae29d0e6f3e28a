package httpx

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is how fast one caller may send requests: a token bucket that holds
// Burst requests and refills at PerSecond. A negative PerSecond turns
// limiting off for the callers taken at this rate.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Unlimited reports whether r lets every request through.
func (r Rate) Unlimited() bool { return r.PerSecond < 0 }

// Or is r, with a zero PerSecond or Burst taken from def.
func (r Rate) Or(def Rate) Rate {
	if r.PerSecond == 0 {
		r.PerSecond = def.PerSecond
	}
	if r.Burst <= 0 {
		r.Burst = def.Burst
	}
	return r
}

// Buckets holds a token bucket per caller. Each caller's bucket refills at
// the rate it is taken at, so one table serves callers of different kinds
// (keys must then differ by kind). Buckets that have refilled are dropped
// now and then, so the table stays as large as the set of recently busy
// callers.
type Buckets struct {
	now       func() time.Time
	mu        sync.Mutex
	byKey     map[string]*rate.Limiter
	lastSweep time.Time
}

// NewBuckets returns an empty table on the clock now (nil: time.Now).
func NewBuckets(now func() time.Time) *Buckets {
	if now == nil {
		now = time.Now
	}
	return &Buckets{now: now, byKey: map[string]*rate.Limiter{}}
}

const sweepEvery = time.Minute

// Take takes one request from key's bucket, which refills at r. When the
// bucket is empty it takes nothing and says how long until it holds one
// again.
func (b *Buckets) Take(key string, r Rate) (retryAfter time.Duration, ok bool) {
	if r.Unlimited() {
		return 0, true
	}
	now := b.now()
	b.mu.Lock()
	if now.Sub(b.lastSweep) > sweepEvery {
		for k, lim := range b.byKey {
			if lim.TokensAt(now) >= float64(lim.Burst()) {
				delete(b.byKey, k)
			}
		}
		b.lastSweep = now
	}
	lim, found := b.byKey[key]
	if !found {
		lim = rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst)
		b.byKey[key] = lim
	}
	b.mu.Unlock()
	res := lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); !res.OK() || delay > 0 {
		res.CancelAt(now)
		if !res.OK() {
			// A zero burst admits nothing: a second is as good a wait as any.
			return time.Second, false
		}
		return delay, false
	}
	return 0, true
}

// RefuseOverRate answers a request over its caller's rate: 429
// problem+json, and Retry-After in whole seconds (at least one), the time
// until the caller's bucket holds a request again. limit names the rate in
// the detail ("a customer: 1 a second, 20 at once").
func RefuseOverRate(w http.ResponseWriter, r *http.Request, retryAfter time.Duration, limit string) {
	secs := max(int(math.Ceil(retryAfter.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	WriteProblem(w, r, &Problem{Type: TypeRateLimited, Title: "Too many requests", Status: http.StatusTooManyRequests,
		Detail: "over the request rate of " + limit + "; retry after " + strconv.Itoa(secs) + " s"})
}

// RemoteHost is the host part of a request's remote address: the direct
// peer, which is a proxy's address when one stands in front (see
// TrustedProxies.ClientAddress).
func RemoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
