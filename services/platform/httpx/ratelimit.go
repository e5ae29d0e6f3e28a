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

// RateLimitOptions configure RateLimit. The zero value of a field takes its
// default.
type RateLimitOptions struct {
	// PerSecond is each client's sustained request rate; negative turns
	// limiting off. Default DefaultRatePerSecond.
	PerSecond float64
	// Burst is how many requests a client may send at once. Default
	// DefaultRateBurst.
	Burst int
	// Key names the client of a request; requests with the same key share
	// one token bucket. Default RemoteHost. auth.ClientKey keys by the
	// authenticated caller and falls back to the remote address.
	Key func(*http.Request) string
	// Now is the clock; tests set it. Default time.Now.
	Now func() time.Time
}

// Generous defaults: one client (a load generator, a busy intake system)
// may send thousands of requests a second (a load generator run closing 120
// complaints/s on a 2-core machine came close to 2,000/s); the limit is
// there to stop a runaway loop or a flood, not to shape normal traffic.
const (
	DefaultRatePerSecond = 10000
	DefaultRateBurst     = 20000
)

// RemoteHost keys a request by the host part of its remote address.
func RemoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// RateLimit answers 429 problem+json with Retry-After to a client over its
// rate (a token bucket per client key), and passes every other request to
// next.
func RateLimit(next http.Handler, o RateLimitOptions) http.Handler {
	if o.PerSecond < 0 {
		return next
	}
	if o.PerSecond == 0 {
		o.PerSecond = DefaultRatePerSecond
	}
	if o.Burst <= 0 {
		o.Burst = DefaultRateBurst
	}
	if o.Key == nil {
		o.Key = RemoteHost
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &limiters{opts: o, byKey: map[string]*rate.Limiter{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := o.Now()
		res := l.get(o.Key(r), now).ReserveN(now, 1)
		if delay := res.DelayFrom(now); !res.OK() || delay > 0 {
			res.CancelAt(now)
			secs := int(math.Ceil(delay.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			WriteProblem(w, r, &Problem{Type: TypeRateLimited, Title: "Too many requests", Status: http.StatusTooManyRequests,
				Detail: "this client is over its request rate; retry after " + strconv.Itoa(secs) + " s"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limiters holds a token bucket per client. Buckets that have refilled are
// dropped now and then, so the table stays as large as the set of recently
// busy clients.
type limiters struct {
	opts      RateLimitOptions
	mu        sync.Mutex
	byKey     map[string]*rate.Limiter
	lastSweep time.Time
}

const sweepEvery = time.Minute

func (l *limiters) get(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > sweepEvery {
		for k, lim := range l.byKey {
			if lim.TokensAt(now) >= float64(l.opts.Burst) {
				delete(l.byKey, k)
			}
		}
		l.lastSweep = now
	}
	lim, ok := l.byKey[key]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(l.opts.PerSecond), l.opts.Burst)
		l.byKey[key] = lim
	}
	return lim
}
