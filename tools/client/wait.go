package client

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Backoff is how WaitFor spaces its polls: Min after the first, doubling
// up to Max. The zero Backoff polls after 5ms, 10ms, 20ms, 40ms, then
// every 50ms.
type Backoff struct {
	Min, Max time.Duration
}

func (b Backoff) bounds() (time.Duration, time.Duration) {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 5 * time.Millisecond
	}
	if hi <= 0 {
		hi = 50 * time.Millisecond
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// ErrNotYet is the cause recorded when the getter answered but the
// predicate did not hold before the context ended.
var ErrNotYet = errors.New("condition not met")

// WaitFor calls get until it succeeds and ok accepts the result (a nil ok
// accepts any result), or ctx ends. Not-found answers, 429s and 5xx
// answers count as "not yet"; any other error ends the wait at once. When
// ctx ends, the error wraps ctx.Err() and says what the last poll saw.
func WaitFor[T any](ctx context.Context, b Backoff, get func(context.Context) (T, error), ok func(T) bool) (T, error) {
	delay, limit := b.bounds()
	var zero T
	var timer *time.Timer
	last := ErrNotYet
	ended := func() error { return fmt.Errorf("%w (last poll: %v)", ctx.Err(), last) }
	for {
		v, err := get(ctx)
		switch {
		case err == nil && (ok == nil || ok(v)):
			return v, nil
		case err == nil:
			last = ErrNotYet
		case ctx.Err() != nil:
			// The poll was cut short by ctx: the previous one says more.
		case !retryable(err):
			return zero, err
		default:
			last = err
		}
		if ctx.Err() != nil {
			return zero, ended()
		}
		if timer == nil {
			timer = time.NewTimer(delay)
			defer timer.Stop()
		} else {
			timer.Reset(delay)
		}
		select {
		case <-ctx.Done():
			return zero, ended()
		case <-timer.C:
		}
		if delay *= 2; delay > limit {
			delay = limit
		}
	}
}
