package bus_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// The events of one append reach a consumer in one message: each is handled
// in order, one the handler refuses is dead-lettered alone (as a plain event
// message, at its own position), and the message is acknowledged once.
func TestTheEventsOfOneAppendAreHandledInOrderAndDeadLetteredOneByOne(t *testing.T) {
	l, js := setup(t)
	ctx := context.Background()
	complaint := uuid.NewString()
	types := []string{"test.v1.First", "test.v1.Refused", "test.v1.Third"}
	events := make([]eventlog.EventData, len(types))
	for i, typ := range types {
		events[i] = eventlog.EventData{ID: uuid.NewString(), Type: typ, SchemaVersion: 1, Data: []byte{byte(i)},
			Metadata: eventlog.Metadata{ComplaintID: complaint}}
	}
	res, err := l.Append(ctx, eventlog.StreamName("case", complaint), eventlog.NoStream(), events...)
	if err != nil {
		t.Fatal(err)
	}
	after := appendEvent(t, l, "case", complaint, "test.v1.After")

	s := newSeen()
	var mu sync.Mutex
	calls := map[string]int{}
	c, err := bus.Consume(ctx, js, bus.Subscription{Durable: "test-envelope", Authenticate: bus.TrustEveryWriter, Retry: quickRetry},
		func(_ context.Context, e eventlog.RecordedEvent) error {
			mu.Lock()
			calls[e.ID]++
			mu.Unlock()
			if e.Type == "test.v1.Refused" {
				return decider.Conflicts("case already resolved")
			}
			s.add(e)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	s.waitFor(t, 3)
	info := waitCaughtUp(t, js, "test-envelope")

	s.mu.Lock()
	got := s.ids[complaint]
	s.mu.Unlock()
	if len(got) != 3 || got[0] != events[0].ID || got[1] != events[2].ID || got[2] != after {
		t.Fatalf("handled %v, want the first and third events of the append, then the next append's", got)
	}
	dls := waitDeadLetters(t, js, 1)
	dl := dls[0]
	if dl.EventID() != events[1].ID || dl.Reason != bus.ReasonRefused || dl.EventType() != "test.v1.Refused" {
		t.Fatalf("dead letter %+v, want the refused event alone", dl)
	}
	e, err := dl.Event()
	seq, _ := natswire.SequenceOf(res.Position)
	if err != nil || e.ID != events[1].ID || string(e.Data) != string(events[1].Data) || e.Position != natswire.PositionOf(seq, 1, 3) {
		t.Fatalf("dead letter's event %+v (%v), want the second event of the append at its own position", e, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range events {
		if calls[ev.ID] != 1 {
			t.Errorf("event %s handled %d times, want once", ev.Type, calls[ev.ID])
		}
	}
	if info.NumRedelivered != 0 {
		t.Errorf("%d messages delivered again", info.NumRedelivered)
	}
}
