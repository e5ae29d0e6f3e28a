package bus_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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

// Two instances of a service on one durable: the server delivers to one of
// them only (pinned), so each complaint's events are handled in order by one
// process; when that one stops, the other takes over with what is left, and
// nothing is handled twice.
func TestTwoInstancesShareADurableOneAtATime(t *testing.T) {
	l, js := setup(t)
	nc2, err := nats.Connect(js.Conn().ConnectedUrl())
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, err := jetstream.New(nc2)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	by := map[string]string{} // event id → instance
	twice := 0
	all := newSeen()
	instance := func(name string, js jetstream.JetStream) *bus.Consumer {
		c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-instances", Authenticate: bus.TrustEveryWriter, PinnedTTL: 2 * time.Second},
			func(_ context.Context, e eventlog.RecordedEvent) error {
				mu.Lock()
				if _, ok := by[e.ID]; ok {
					twice++
				}
				by[e.ID] = name
				mu.Unlock()
				all.add(e)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := instance("a", js)
	b := instance("b", js2)
	defer b.Stop()
	complaints := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for i := range 30 {
		appendEvent(t, l, "complaint", complaints[i%3], "test.v1.Step")
	}
	all.waitFor(t, 30)
	mu.Lock()
	first := map[string]int{}
	for _, inst := range by {
		first[inst]++
	}
	mu.Unlock()
	if len(first) != 1 {
		t.Fatalf("the events went to %v: want one instance", first)
	}
	// The instance holding the durable stops: the other goes on.
	pinned := a
	other := "b"
	if first["b"] > 0 {
		pinned, other = b, "a"
	}
	pinned.Stop()
	var later []string
	for i := range 30 {
		later = append(later, appendEvent(t, l, "complaint", complaints[i%3], "test.v1.Step"))
	}
	all.waitFor(t, 60)
	mu.Lock()
	defer mu.Unlock()
	for _, id := range later {
		if by[id] != other {
			t.Fatalf("event %s handled by %q after the pinned instance stopped, want %q", id, by[id], other)
		}
	}
	if twice != 0 || len(by) != 60 {
		t.Fatalf("%d events handled twice, %d handled", twice, len(by))
	}
	for _, c := range complaints {
		if got := len(all.ids[c]); got != 20 {
			t.Fatalf("complaint %s: %d events handled, want 20", c, got)
		}
	}
	if pinned == b {
		a.Stop()
	}
}

// An instance that dies (its connection gone, no unpinning) loses the
// durable after PinnedTTL: the other instance then handles what comes.
func TestADeadInstancesDurableGoesToTheOtherAfterThePinnedTTL(t *testing.T) {
	l, js := setup(t)
	url := js.Conn().ConnectedUrl()
	connect := func() (*nats.Conn, jetstream.JetStream) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return nc, js
	}
	var mu sync.Mutex
	by := map[string]string{}
	all := newSeen()
	instance := func(name string, js jetstream.JetStream) *bus.Consumer {
		c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-dead-instance", Authenticate: bus.TrustEveryWriter, PinnedTTL: time.Second},
			func(_ context.Context, e eventlog.RecordedEvent) error {
				mu.Lock()
				by[e.ID] = name
				mu.Unlock()
				all.add(e)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ncA, jsA := connect()
	a := instance("a", jsA)
	complaint := uuid.NewString()
	first := appendEvent(t, l, "complaint", complaint, "test.v1.Step")
	all.waitFor(t, 1) // a holds the pin: it was alone
	_, jsB := connect()
	b := instance("b", jsB)
	defer b.Stop()
	ncA.Close() // a dies: nobody unpins
	defer a.Stop()
	second := appendEvent(t, l, "complaint", complaint, "test.v1.Step")
	all.waitFor(t, 2)
	mu.Lock()
	defer mu.Unlock()
	if by[first] != "a" || by[second] != "b" {
		t.Fatalf("first handled by %q, second by %q: want a, then b once a's pin ran out", by[first], by[second])
	}
}
