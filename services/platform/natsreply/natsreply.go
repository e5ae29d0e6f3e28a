// Package natsreply is the plumbing every service's request/reply endpoints
// on NATS share (ADR 0008): requests handled concurrently up to a bound, each
// in the requester's trace and bounded in time, and errors answered as the
// HTTP API answers them, an application/problem+json body with the status in
// Nats-Service-Error-Code.
package natsreply

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultMaxInFlight bounds the requests one endpoint handles at once when
// its service sets no bound.
const DefaultMaxInFlight = 64

// Timeout bounds the handling of one request.
const Timeout = 30 * time.Second

// Limiter runs the requests of a service's endpoints concurrently, at most
// max at once: a micro endpoint hands requests over one at a time.
type Limiter struct{ slots chan struct{} }

// NewLimiter returns a limiter of max requests in flight (DefaultMaxInFlight
// when max is not positive).
func NewLimiter(max int) *Limiter {
	if max <= 0 {
		max = DefaultMaxInFlight
	}
	return &Limiter{slots: make(chan struct{}, max)}
}

// Handler runs h for each request in its own goroutine, waiting for a slot.
func (l *Limiter) Handler(h func(micro.Request)) micro.Handler {
	return micro.HandlerFunc(func(r micro.Request) {
		l.slots <- struct{}{}
		go func() {
			defer func() { <-l.slots }()
			h(r)
		}()
	})
}

// Context is the context a request is handled in: bounded in time and
// inside the requester's trace. Call end with the request's outcome.
func Context(service string, r micro.Request) (ctx context.Context, end func(error)) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	ctx, endTrace := telemetry.RequestTrace(ctx, service, r.Subject(), r.Headers())
	return ctx, func(err error) {
		endTrace(err)
		cancel()
	}
}

// Problem answers with the problem err is (a *httpx.Problem, a refusal of the
// complaint rules, or any other error as a 500); it returns err for the
// trace.
func Problem(ctx context.Context, r micro.Request, err error) error {
	p := httpx.ProblemFor(ctx, err, r.Subject())
	if p.Instance == "" {
		p.Instance = r.Subject()
	}
	body, _ := json.Marshal(p)
	_ = r.Error(strconv.Itoa(p.Status), p.Title, body,
		micro.WithHeaders(micro.Headers{"Content-Type": {"application/problem+json"}}))
	return err
}
