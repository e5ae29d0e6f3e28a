package eventlog_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// source is a log of n events (positions 1..n) whose feeds fail as told.
type source struct {
	mu     sync.Mutex
	n      int
	opened []eventlog.Position // the after of every open, in order
	// failAt, for the k-th feed opened, is the position it fails at
	// instead of yielding (0: never).
	failAt []eventlog.Position
	// openFails is how many opens fail before one succeeds (after the first).
	openFails int
	feedErr   error
	openErr   error
}

func (s *source) open(_ context.Context, after eventlog.Position, _ eventlog.Filter) (eventlog.Feed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.opened) > 0 && s.openFails > 0 {
		s.openFails--
		return nil, s.openErr
	}
	k := len(s.opened)
	s.opened = append(s.opened, after)
	f := &fakeFeed{src: s, next: after + 1}
	if k < len(s.failAt) {
		f.failAt = s.failAt[k]
	}
	return f, nil
}

type fakeFeed struct {
	src    *source
	next   eventlog.Position
	failAt eventlog.Position
}

func (f *fakeFeed) Next(ctx context.Context) (eventlog.RecordedEvent, error) {
	if f.failAt != 0 && f.next >= f.failAt {
		return eventlog.RecordedEvent{}, f.src.feedErr
	}
	if int(f.next) > f.src.n {
		<-ctx.Done()
		return eventlog.RecordedEvent{}, ctx.Err()
	}
	p := f.next
	f.next++
	// Category a for odd positions, b for even ones.
	stream := "a-1"
	if p%2 == 0 {
		stream = "b-1"
	}
	return eventlog.RecordedEvent{EventData: eventlog.EventData{Type: "t.v1.E"}, Stream: stream, Position: p}, nil
}

func (f *fakeFeed) Close() {}

type got struct {
	mu  sync.Mutex
	pos []eventlog.Position
	ch  chan struct{}
}

func newGot() *got { return &got{ch: make(chan struct{}, 1)} }

func (g *got) handle(_ context.Context, e eventlog.RecordedEvent) error {
	g.mu.Lock()
	g.pos = append(g.pos, e.Position)
	g.mu.Unlock()
	select {
	case g.ch <- struct{}{}:
	default:
	}
	return nil
}

func (g *got) waitFor(t *testing.T, n int) []eventlog.Position {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		g.mu.Lock()
		p := slices.Clone(g.pos)
		g.mu.Unlock()
		if len(p) >= n {
			return p
		}
		select {
		case <-g.ch:
		case <-deadline:
			t.Fatalf("delivered %v, want %d events", p, n)
		}
	}
}

var errDropped = errors.New("dropped")

func transient(err error) bool { return errors.Is(err, errDropped) }

func TestSubscriptionResumesAfterTheLastEventDelivered(t *testing.T) {
	src := &source{n: 9, failAt: []eventlog.Position{4, 8}, openFails: 2, feedErr: errDropped, openErr: errDropped}
	g := newGot()
	var resumes []eventlog.Position
	var mu sync.Mutex
	sub, err := eventlog.RunSubscription(context.Background(), src.open, 1, eventlog.Filter{Categories: []string{"a"}}, g.handle,
		eventlog.SubscriptionOptions{Transient: transient, ResumeDelay: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, OnResume: func(after eventlog.Position, _ error) {
			mu.Lock()
			resumes = append(resumes, after)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	if p := g.waitFor(t, 4); !slices.Equal(p, []eventlog.Position{3, 5, 7, 9}) {
		t.Fatalf("delivered %v, want the odd positions after 1", p)
	}
	src.mu.Lock()
	opened := slices.Clone(src.opened)
	src.mu.Unlock()
	// Each feed opened after the last event seen (filtered out ones count).
	if !slices.Equal(opened, []eventlog.Position{1, 3, 7}) {
		t.Fatalf("feeds opened after %v, want [1 3 7]", opened)
	}
	if sub.Err() != nil {
		t.Fatalf("running subscription reports %v", sub.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(resumes) != 4 { // two drops, two failed reopens
		t.Fatalf("told of %d resumptions (%v), want 4", len(resumes), resumes)
	}
}

func TestSubscriptionEndsOnAFailureNotTransient(t *testing.T) {
	broken := errors.New("access denied")
	src := &source{n: 5, failAt: []eventlog.Position{3}, feedErr: broken}
	g := newGot()
	sub, err := eventlog.RunSubscription(context.Background(), src.open, 0, eventlog.Filter{}, g.handle, eventlog.SubscriptionOptions{Transient: transient})
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if !errors.Is(sub.Err(), broken) {
		t.Fatalf("ended with %v, want %v", sub.Err(), broken)
	}
	if p := g.waitFor(t, 2); len(p) != 2 {
		t.Fatalf("delivered %v", p)
	}
}

func TestSubscriptionFirstOpenFailureIsReturned(t *testing.T) {
	boom := errors.New("no server")
	open := func(context.Context, eventlog.Position, eventlog.Filter) (eventlog.Feed, error) { return nil, boom }
	if _, err := eventlog.RunSubscription(context.Background(), open, 0, eventlog.Filter{}, newGot().handle, eventlog.SubscriptionOptions{Transient: transient}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

func TestSubscriptionStopWaitsForTheHandler(t *testing.T) {
	src := &source{n: 1}
	entered, release := make(chan struct{}), make(chan struct{})
	var returned bool
	var mu sync.Mutex
	sub, err := eventlog.RunSubscription(context.Background(), src.open, 0, eventlog.Filter{}, func(context.Context, eventlog.RecordedEvent) error {
		close(entered)
		<-release
		mu.Lock()
		returned = true
		mu.Unlock()
		return nil
	}, eventlog.SubscriptionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	stopped := make(chan struct{})
	go func() { sub.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the handler was running")
	case <-sub.Done():
		t.Fatal("subscription done while the handler was running")
	default:
	}
	close(release)
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	if !returned || sub.Err() != nil {
		t.Fatalf("after Stop: handler returned %v, Err %v", returned, sub.Err())
	}
}

func TestSubscriptionEndsWithoutErrorWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := eventlog.RunSubscription(ctx, (&source{n: 2}).open, 0, eventlog.Filter{}, newGot().handle, eventlog.SubscriptionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-sub.Done()
	if sub.Err() != nil {
		t.Fatalf("ended with %v", sub.Err())
	}
}

func TestSubscriptionsCloseStopsThemAll(t *testing.T) {
	var subs eventlog.Subscriptions
	var running []eventlog.Subscription
	for range 3 {
		s, err := subs.Run(context.Background(), (&source{n: 2}).open, 0, eventlog.Filter{}, newGot().handle, eventlog.SubscriptionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		running = append(running, s)
	}
	running[0].Stop() // one already ended
	subs.Close()
	for i, s := range running {
		select {
		case <-s.Done():
		default:
			t.Fatalf("subscription %d still running after Close", i)
		}
		if s.Err() != nil {
			t.Fatalf("subscription %d ended with %v", i, s.Err())
		}
	}
	if _, err := subs.Run(context.Background(), (&source{}).open, 0, eventlog.Filter{}, newGot().handle, eventlog.SubscriptionOptions{}); !errors.Is(err, eventlog.ErrSubscriptionsClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}
