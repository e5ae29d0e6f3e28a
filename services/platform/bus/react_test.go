package bus_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Reactions on one durable: each sees only its types, in the order given,
// and a failing reaction has the event handed to every reaction again.
func TestReactionsShareOneDurableAndSeeOnlyTheirTypes(t *testing.T) {
	l, js := setup(t)
	var mu sync.Mutex
	var calls []string
	record := func(name string) bus.Handler {
		return func(_ context.Context, e eventlog.RecordedEvent) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, name+" "+e.Type)
			return nil
		}
	}
	failOnce := errors.New("not yet")
	failed := false
	flaky := func(_ context.Context, e eventlog.RecordedEvent) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, "flaky "+e.Type)
		if !failed {
			failed = true
			return failOnce
		}
		return nil
	}
	types, h := bus.React(
		bus.Reaction{Name: "opens", EventTypes: []string{"test.v1.Received"}, Handle: record("opens")},
		bus.Reaction{Name: "flaky", EventTypes: []string{"test.v1.Received", "test.v1.Resolved"}, Handle: flaky},
		bus.Reaction{Name: "queue", EventTypes: []string{"test.v1.Resolved"}, Handle: record("queue")},
	)
	if !slices.Equal(types, []string{"test.v1.Received", "test.v1.Resolved"}) {
		t.Fatalf("event types %v", types)
	}
	done := newSeen()
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-react", Authenticate: bus.TrustEveryWriter,
		EventTypes: types, Retry: bus.Retry{InitialInterval: 1, MaxInterval: 1}},
		func(ctx context.Context, e eventlog.RecordedEvent) error {
			if err := h(ctx, e); err != nil {
				if !errors.Is(err, failOnce) {
					t.Errorf("the reaction's error is not kept: %v", err)
				}
				return err
			}
			done.add(e)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	complaint := uuid.NewString()
	appendEvent(t, l, "complaint", complaint, "test.v1.Received")
	appendEvent(t, l, "complaint", complaint, "test.v1.Ignored")
	appendEvent(t, l, "case", complaint, "test.v1.Resolved")
	done.waitFor(t, 2)
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"opens test.v1.Received", "flaky test.v1.Received", // flaky failed: the event comes again
		"opens test.v1.Received", "flaky test.v1.Received",
		"flaky test.v1.Resolved", "queue test.v1.Resolved",
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls\n%v\nwant\n%v", calls, want)
	}
}

// A durable that replaces others starts after the lowest acknowledgement
// floor among them: what one of them had not handled yet is not missed.
func TestADurableThatReplacesOthersStartsWhereTheSlowestStood(t *testing.T) {
	l, js := setup(t)
	complaint := uuid.NewString()
	handledBy := func(durable string, want int) {
		t.Helper()
		s := newSeen()
		c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: durable, Authenticate: bus.TrustEveryWriter},
			func(_ context.Context, e eventlog.RecordedEvent) error { s.add(e); return nil })
		if err != nil {
			t.Fatal(err)
		}
		s.waitFor(t, want)
		c.Stop()
	}
	appendEvent(t, l, "complaint", complaint, "test.v1.One")
	handledBy("test-old-slow", 1) // acknowledged up to the first event
	appendEvent(t, l, "complaint", complaint, "test.v1.Two")
	handledBy("test-old-fast", 2) // acknowledged up to the second
	third := appendEvent(t, l, "complaint", complaint, "test.v1.Three")
	_ = third

	s := newSeen()
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-merged", Authenticate: bus.TrustEveryWriter,
		Replaces: []string{"test-missing", "test-old-fast", "test-old-slow"}},
		func(_ context.Context, e eventlog.RecordedEvent) error { s.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	s.waitFor(t, 2)
	marker := appendEvent(t, l, "complaint", complaint, "test.v1.Marker")
	s.waitFor(t, 3)
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.ids[complaint]; len(got) != 3 || got[1] != third || got[2] != marker {
		t.Fatalf("the new durable handled %v; want the second event, the third (%s) and the marker", got, third)
	}
}

// A handler sees the events that came in the same append as the one it
// handles, in log order.
func TestAHandlerSeesTheEventsOfItsAppend(t *testing.T) {
	l, js := setup(t)
	complaint := uuid.NewString()
	var mu sync.Mutex
	seenWith := map[string][]string{}
	done := newSeen()
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-append-of", Authenticate: bus.TrustEveryWriter},
		func(ctx context.Context, e eventlog.RecordedEvent) error {
			var types []string
			for _, o := range bus.AppendOf(ctx) {
				types = append(types, o.Type)
			}
			mu.Lock()
			seenWith[e.Type] = types
			mu.Unlock()
			done.add(e)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	data := func(typ string) eventlog.EventData {
		return eventlog.EventData{ID: uuid.NewString(), Type: typ, SchemaVersion: 1, Data: []byte("x"), Metadata: eventlog.Metadata{ComplaintID: complaint}}
	}
	if _, err := l.Append(context.Background(), eventlog.StreamName("complaint", complaint), eventlog.Any(),
		data("test.v1.Received"), data("test.v1.Acknowledged")); err != nil {
		t.Fatal(err)
	}
	appendEvent(t, l, "complaint", complaint, "test.v1.Alone")
	done.waitFor(t, 3)
	mu.Lock()
	defer mu.Unlock()
	both := []string{"test.v1.Received", "test.v1.Acknowledged"}
	if !slices.Equal(seenWith["test.v1.Received"], both) || !slices.Equal(seenWith["test.v1.Acknowledged"], both) ||
		!slices.Equal(seenWith["test.v1.Alone"], []string{"test.v1.Alone"}) {
		t.Fatalf("appends seen: %v", seenWith)
	}
	if bus.AppendOf(context.Background()) != nil {
		t.Fatal("an append outside a handler")
	}
}
