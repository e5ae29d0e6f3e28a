package eventlog

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// This file holds what every adapter's Subscribe shares: the running
// catch-up subscription (deliver in order, filter, stop on the handler's
// error, Stop, Done, Err), its resumption after a transient failure, and the
// set of subscriptions a log stops when it is closed. An adapter only
// supplies a Feed.

// Handler is the function a subscription delivers each event to.
type Handler = func(context.Context, RecordedEvent) error

// Feed yields the events of the whole log after some position, in log
// order. An adapter's catch-up reader implements it.
type Feed interface {
	// Next blocks until the next event, the end of ctx (it then returns an
	// error) or a failure of the feed. It is never called again once it has
	// returned an error.
	Next(ctx context.Context) (RecordedEvent, error)
	// Close releases the feed; it is called once, after the last Next.
	Close()
}

// OpenFeed opens a feed of the events whose position is greater than after.
// filter may be used to narrow the feed on the server; the subscription
// applies it again to every event.
type OpenFeed func(ctx context.Context, after Position, filter Filter) (Feed, error)

// SubscriptionOptions tune a running subscription. The zero value ends the
// subscription on the first failure of its feed.
type SubscriptionOptions struct {
	// Transient, if set, reports whether a failure of the feed may pass:
	// the subscription then opens a new feed after the last event it
	// delivered, again and again with exponential backoff, until it
	// succeeds, ctx ends or the failure is not transient.
	Transient func(error) bool
	// OnResume, if set, is told of every failure the subscription resumes
	// after (to log it).
	OnResume func(after Position, err error)
	// ResumeDelay is the wait before the first attempt to resume, so that a
	// server dropping every subscription at once is not hammered, and the
	// first wait between two attempts (default 100ms); MaxBackoff caps the
	// wait between two attempts (default 5s).
	ResumeDelay, MaxBackoff time.Duration
}

// RunningSubscription is a Subscription run over a Feed.
type RunningSubscription struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done is closed
	// onEnd, set by Subscriptions, is called when the subscription ends.
	onEnd func()
}

var _ Subscription = (*RunningSubscription)(nil)

// RunSubscription opens a feed after position after and delivers its events
// that match filter to handle, one at a time, until ctx ends, Stop is
// called (both end it without error), the handler returns an error (which
// ends it with that error) or the feed fails and cannot be resumed (which
// ends it with the failure). An error opening the first feed is returned.
func RunSubscription(ctx context.Context, open OpenFeed, after Position, filter Filter, handle Handler, o SubscriptionOptions) (*RunningSubscription, error) {
	return runSubscription(ctx, open, after, filter, handle, o, nil)
}

func runSubscription(ctx context.Context, open OpenFeed, after Position, filter Filter, handle Handler, o SubscriptionOptions, onEnd func()) (*RunningSubscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	feed, err := open(ctx, after, filter)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &RunningSubscription{cancel: cancel, done: make(chan struct{}), onEnd: onEnd}
	go s.run(ctx, feed, open, after, filter, handle, o)
	return s, nil
}

// Stop ends the subscription and waits for the handler to return. Stopping
// an ended subscription does nothing. It must not be called from the
// handler.
func (s *RunningSubscription) Stop() {
	s.cancel()
	<-s.done
}

// Done is closed when the subscription has ended.
func (s *RunningSubscription) Done() <-chan struct{} { return s.done }

// Err is the error that ended the subscription: nil while it runs and when
// it was stopped.
func (s *RunningSubscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

func (s *RunningSubscription) run(ctx context.Context, feed Feed, open OpenFeed, last Position, filter Filter, handle Handler, o SubscriptionOptions) {
	defer func() {
		s.cancel()
		if s.onEnd != nil {
			s.onEnd()
		}
		close(s.done)
	}()
	for {
		err := deliver(ctx, feed, &last, filter, handle)
		feed.Close()
		if ctx.Err() != nil {
			return
		}
		var he handlerError
		if errors.As(err, &he) {
			s.err = he.err
			return
		}
		if o.Transient == nil || !o.Transient(err) {
			s.err = err
			return
		}
		if o.OnResume != nil {
			o.OnResume(last, err)
		}
		feed, err = reopen(ctx, open, last, filter, o)
		if err != nil {
			if ctx.Err() == nil {
				s.err = err
			}
			return
		}
	}
}

// deliver hands the feed's events to the handler until one of them fails;
// last follows the position of the last event delivered.
func deliver(ctx context.Context, feed Feed, last *Position, filter Filter, handle Handler) error {
	for {
		e, err := feed.Next(ctx)
		if err != nil {
			return err
		}
		if e.Position <= *last {
			// A resumed feed may repeat what was delivered already.
			continue
		}
		if filter.Matches(e.Stream, e.Type) {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := handle(ctx, e); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return handlerError{err}
			}
		}
		*last = e.Position
	}
}

// handlerError carries the handler's error out of deliver.
type handlerError struct{ err error }

func (h handlerError) Error() string { return h.err.Error() }

// reopen opens a new feed after last, with exponential backoff while the
// failures are transient.
func reopen(ctx context.Context, open OpenFeed, last Position, filter Filter, o SubscriptionOptions) (Feed, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = o.ResumeDelay, o.MaxBackoff
	if b.InitialInterval <= 0 {
		b.InitialInterval = 100 * time.Millisecond
	}
	if b.MaxInterval <= 0 {
		b.MaxInterval = 5 * time.Second
	}
	wait := time.NewTimer(b.InitialInterval)
	defer wait.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-wait.C:
	}
	return backoff.Retry(ctx, func() (Feed, error) {
		f, err := open(ctx, last, filter)
		if err != nil && ctx.Err() == nil && !o.Transient(err) {
			return nil, backoff.Permanent(err)
		}
		if err != nil && o.OnResume != nil {
			o.OnResume(last, err)
		}
		return f, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0))
}

// ErrSubscriptionsClosed is returned by Subscriptions.Run after Close: the
// log that runs them is closed.
var ErrSubscriptionsClosed = errors.New("eventlog: log closed")

// Subscriptions are the running subscriptions of one log, so that closing
// the log stops them. The zero value is ready to use.
type Subscriptions struct {
	mu      sync.Mutex
	closed  bool
	running map[*RunningSubscription]struct{}
}

// Run starts a subscription as RunSubscription does and keeps it until it
// ends. After Close it returns ErrSubscriptionsClosed.
func (g *Subscriptions) Run(ctx context.Context, open OpenFeed, after Position, filter Filter, handle Handler, o SubscriptionOptions) (Subscription, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, ErrSubscriptionsClosed
	}
	var s *RunningSubscription
	// The subscription cannot end before it is added: its end takes g.mu.
	s, err := runSubscription(ctx, open, after, filter, handle, o, func() {
		g.mu.Lock()
		delete(g.running, s)
		g.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	if g.running == nil {
		g.running = map[*RunningSubscription]struct{}{}
	}
	g.running[s] = struct{}{}
	return s, nil
}

// Close stops every running subscription, waits for their handlers to
// return, and makes later calls to Run fail. It must not be called from a
// handler.
func (g *Subscriptions) Close() {
	g.mu.Lock()
	g.closed = true
	running := make([]*RunningSubscription, 0, len(g.running))
	for s := range g.running {
		running = append(running, s)
	}
	g.mu.Unlock()
	for _, s := range running {
		s.Stop()
	}
}
