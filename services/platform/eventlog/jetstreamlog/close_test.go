package jetstreamlog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// An append that comes while or after the log is closed must fail with
// ErrClosed, never wait for a writer that has gone: each append here is
// bounded by a deadline only so that the test ends if one does wait.
func TestAppendRacingCloseFails(t *testing.T) {
	l := openLog(t, Options{})
	const appends = 64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 2*appends)
	var wg sync.WaitGroup
	appendOne := func() {
		defer wg.Done()
		id := uuid.NewString()
		e := eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1, Data: []byte("x")}
		_, err := l.Append(ctx, eventlog.StreamName("complaint", id), eventlog.NoStream(), e)
		errs <- err
	}
	start := make(chan struct{})
	for range appends {
		wg.Add(1)
		go func() { <-start; appendOne() }()
	}
	close(start)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close returned, every append fails at once.
	for range appends {
		wg.Add(1)
		go appendOne()
	}
	wg.Wait()
	close(errs)
	var closed int
	for err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, ErrClosed):
			closed++
		default:
			t.Errorf("append racing Close: %v, want success or ErrClosed", err)
		}
	}
	if closed < appends {
		t.Errorf("%d appends failed with ErrClosed, want at least the %d made after Close", closed, appends)
	}
}

// Close stops the running subscriptions, without error, and refuses new
// ones.
func TestCloseStopsSubscriptions(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	sub, err := l.Subscribe(ctx, eventlog.Beginning, eventlog.Filter{}, func(context.Context, eventlog.RecordedEvent) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
	default:
		t.Fatal("subscription still running after Close returned")
	}
	if err := sub.Err(); err != nil {
		t.Fatalf("subscription ended by Close reports %v", err)
	}
	if _, err := l.Subscribe(ctx, eventlog.Beginning, eventlog.Filter{}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after Close: %v, want ErrClosed", err)
	}
}
