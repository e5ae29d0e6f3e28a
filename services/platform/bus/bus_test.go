package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

func setup(t *testing.T) (eventlog.Log, jetstream.JetStream) {
	t.Helper()
	nc, js := natsservertest.JetStreamForTest(t)
	return jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{}), js
}

func appendEvent(t *testing.T, l eventlog.Log, category, complaint, typ string) string {
	t.Helper()
	id := uuid.NewString()
	_, err := l.Append(context.Background(), eventlog.StreamName(category, complaint), eventlog.Any(),
		eventlog.EventData{ID: id, Type: typ, SchemaVersion: 1, Data: []byte("x"), Metadata: eventlog.Metadata{ComplaintID: complaint}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type seen struct {
	mu   sync.Mutex
	ids  map[string][]string // complaint → event ids in handling order
	n    int
	more chan struct{}
}

func newSeen() *seen { return &seen{ids: map[string][]string{}, more: make(chan struct{}, 1)} }

func (s *seen) add(e eventlog.RecordedEvent) {
	s.mu.Lock()
	s.ids[e.Metadata.ComplaintID] = append(s.ids[e.Metadata.ComplaintID], e.ID)
	s.n++
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
}

func (s *seen) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		got := s.n
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("handled %d events, want %d", got, n)
		}
	}
}

func TestEventsOfOneComplaintAreHandledInOrderAndFailuresRetried(t *testing.T) {
	l, js := setup(t)
	want := map[string][]string{}
	complaints := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for i := range 4 {
		for _, c := range complaints {
			want[c] = append(want[c], appendEvent(t, l, []string{"complaint", "case"}[i%2], c, "test.v1.Step"))
		}
	}
	appendEvent(t, l, "redress", complaints[0], "test.v1.Step") // category not subscribed

	s := newSeen()
	failOnce := want[complaints[1]][2]
	var failed sync.Once
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-order", Authenticate: bus.TrustEveryWriter, Categories: []string{"complaint", "case"}},
		func(_ context.Context, e eventlog.RecordedEvent) error {
			fail := false
			if e.ID == failOnce {
				failed.Do(func() { fail = true })
			}
			if fail {
				return errors.New("not yet")
			}
			s.add(e)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, 12)
	c.Stop()
	// Every complaint's events were handled once each, in log order: the
	// failed event was retried before the later events of its complaint.
	for _, complaint := range complaints {
		got := s.ids[complaint]
		if len(got) != 4 {
			t.Fatalf("complaint %s: handled %d events, want 4: %v", complaint, len(got), got)
		}
		for i := range got {
			if got[i] != want[complaint][i] {
				t.Fatalf("complaint %s: handled out of order: %v, want %v", complaint, got, want[complaint])
			}
		}
	}
}

func TestADurableConsumerResumesWhereItStopped(t *testing.T) {
	l, js := setup(t)
	complaint := uuid.NewString()
	first := newSeen()
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-resume", Authenticate: bus.TrustEveryWriter, EventTypes: []string{"test.v1.Wanted"}},
		func(_ context.Context, e eventlog.RecordedEvent) error { first.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	appendEvent(t, l, "complaint", complaint, "test.v1.Wanted")
	appendEvent(t, l, "complaint", complaint, "test.v1.Other")
	appendEvent(t, l, "complaint", complaint, "test.v1.Wanted")
	first.waitFor(t, 2)
	c.Stop()

	later := appendEvent(t, l, "complaint", complaint, "test.v1.Wanted")
	second := newSeen()
	c2, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-resume", Authenticate: bus.TrustEveryWriter, EventTypes: []string{"test.v1.Wanted"}},
		func(_ context.Context, e eventlog.RecordedEvent) error { second.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	second.waitFor(t, 1)
	marker := appendEvent(t, l, "complaint", complaint, "test.v1.Wanted")
	second.waitFor(t, 2)
	got := second.ids[complaint]
	if len(got) != 2 || got[0] != later || got[1] != marker {
		t.Fatalf("resumed consumer handled %v, want only the two events after it stopped", got)
	}
	if first.n != 2 {
		t.Fatalf("first consumer handled %d events, want the 2 wanted ones", first.n)
	}
}

// Retrying an event for longer than AckWait delivers neither it nor the
// events queued behind it again: the worker tells the server they are in
// progress.
func TestRetriesLongerThanAckWaitDeliverNothingTwice(t *testing.T) {
	l, js := setup(t)
	complaint := uuid.NewString()
	first := appendEvent(t, l, "case", complaint, "test.v1.Step")
	second := appendEvent(t, l, "case", complaint, "test.v1.Step")
	const ackWait = 600 * time.Millisecond
	s := newSeen()
	var firstTry time.Time
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-in-progress", Authenticate: bus.TrustEveryWriter,
		AckWait: ackWait, Retry: bus.Retry{MaxAttempts: 1000, InitialInterval: 20 * time.Millisecond, MaxInterval: 50 * time.Millisecond}},
		func(_ context.Context, e eventlog.RecordedEvent) error {
			if e.ID == first {
				if firstTry.IsZero() {
					firstTry = time.Now()
				}
				if time.Since(firstTry) < 4*ackWait {
					return errors.New("not yet")
				}
			}
			s.add(e)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	s.waitFor(t, 2)
	testkit.EventuallyNil(t, func() error {
		cons, err := js.Consumer(context.Background(), natswire.StreamName, "test-in-progress")
		if err != nil {
			t.Fatal(err)
		}
		info, err := cons.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumAckPending != 0 || info.NumPending != 0 {
			return fmt.Errorf("consumer did not catch up: %+v", info)
		}
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.ids[complaint]; len(got) != 2 || got[0] != first || got[1] != second {
		t.Fatalf("handled %v, want %s then %s, each once", got, first, second)
	}
}
