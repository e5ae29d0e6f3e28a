package timer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

const service = "followup"

// wait is how long a test waits for a timer that is due within 2 s.
const wait = 15 * time.Second

func open(t *testing.T, clock timer.Clock) (*timer.Timers, jetstream.JetStream) {
	t.Helper()
	_, js := natsservertest.JetStreamForTest(t)
	if _, err := timer.EnsureStream(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	ts := timer.New(js, timer.Options{Clock: clock})
	return ts, js
}

// fired collects the firings of a consumer.
type fired struct {
	mu  sync.Mutex
	all []timer.Fired
	ch  chan timer.Fired
}

func consume(t *testing.T, ts *timer.Timers, h timer.Handler) *fired {
	t.Helper()
	f := &fired{ch: make(chan timer.Fired, 16)}
	c, err := ts.Consume(t.Context(), service, func(ctx context.Context, x timer.Fired) error {
		var err error
		if h != nil {
			err = h(ctx, x)
		}
		f.mu.Lock()
		f.all = append(f.all, x)
		f.mu.Unlock()
		f.ch <- x
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return f
}

func (f *fired) next(t *testing.T) timer.Fired {
	t.Helper()
	select {
	case x := <-f.ch:
		return x
	case <-time.After(wait):
		t.Fatal("no timer fired")
		return timer.Fired{}
	}
}

func (f *fired) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.all)
}

// messages counts the messages the timers stream holds on subject.
func messages(t *testing.T, js jetstream.JetStream, subject string) uint64 {
	t.Helper()
	st, err := js.Stream(t.Context(), timer.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// settled waits until the consumer has nothing pending or unacknowledged.
func settled(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	testkit.EventuallyNil(t, func() error {
		c, err := js.Consumer(t.Context(), timer.StreamName, timer.Durable(service))
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0 {
			return nil
		}
		return fmt.Errorf("consumer not settled: %+v", info)
	})
}

func id(t *testing.T, complaintID, name string) string {
	t.Helper()
	s, err := timer.ID(complaintID, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestATimerFiresWithWhatWasScheduled(t *testing.T) {
	ts, js := open(t, nil)
	got := consume(t, ts, nil)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled,
	})
	var traced trace.TraceID
	got2 := make(chan trace.TraceID, 1)
	c, err := ts.Consume(t.Context(), "resolution", func(ctx context.Context, f timer.Fired) error {
		got2 <- trace.SpanContextFromContext(ctx).TraceID()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	due := time.Now().Add(time.Second)
	tid := id(t, "c-1", "chase-customer")
	actor := eventlog.NewActor(eventlog.ActorAgent, "a-7")
	err = ts.Schedule(trace.ContextWithSpanContext(t.Context(), sc), timer.Timer{
		Service: service, ID: tid, Due: due, Kind: "chase", Command: []byte("payload"), ComplaintID: "c-1", Actor: actor,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Schedule(trace.ContextWithSpanContext(t.Context(), sc), timer.Timer{Service: "resolution", ID: tid, Due: due}); err != nil {
		t.Fatal(err)
	}
	f := got.next(t)
	if f.Service != service || f.ID != tid || !f.Due.Equal(due) || f.Kind != "chase" || string(f.Command) != "payload" ||
		f.ComplaintID != "c-1" || f.ScheduledBy != actor || f.Delivery != 1 {
		t.Fatalf("fired %+v", f)
	}
	if time.Now().Before(due) {
		t.Fatalf("fired at %v, before its due time %v", time.Now(), due)
	}
	if f.FireID != service+"."+tid+"@"+due.UTC().Format(time.RFC3339Nano) {
		t.Fatalf("fire id %q", f.FireID)
	}
	if f.Actor() != eventlog.NewActor(eventlog.ActorScheduler, service+"."+tid) {
		t.Fatalf("actor %q", f.Actor())
	}
	select {
	case traced = <-got2:
	case <-time.After(wait):
		t.Fatal("the other service's timer did not fire")
	}
	if traced != sc.TraceID() {
		t.Fatalf("trace %v, want %v: the firing continues the trace that scheduled it", traced, sc.TraceID())
	}
	settled(t, js)
	if n := messages(t, js, timer.ScheduleSubject(service, tid)); n != 0 {
		t.Fatalf("%d schedule messages left after the firing", n)
	}
	if got.count() != 1 {
		t.Fatalf("%d firings of the followup timer; each service sees only its own", got.count())
	}
}

func TestACancelledTimerNeverFires(t *testing.T) {
	ts, js := open(t, nil)
	got := consume(t, ts, nil)
	now := time.Now()
	cancelled, control := id(t, "c-1", "deadline"), id(t, "c-2", "deadline")
	for _, x := range []timer.Timer{
		{Service: service, ID: cancelled, Due: now.Add(time.Second)},
		{Service: service, ID: control, Due: now.Add(1500 * time.Millisecond)},
	} {
		if err := ts.Schedule(t.Context(), x); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.Cancel(t.Context(), service, cancelled); err != nil {
		t.Fatal(err)
	}
	// The control timer is due after the cancelled one: once it fired, the
	// cancelled one would have.
	if f := got.next(t); f.ID != control {
		t.Fatalf("fired %s, want only %s", f.ID, control)
	}
	settled(t, js)
	if n := messages(t, js, timer.FireSubject(service, cancelled)); n != 0 || got.count() != 1 {
		t.Fatalf("cancelled timer fired: %d messages, %d firings", n, got.count())
	}
	if err := ts.Cancel(t.Context(), service, id(t, "c-3", "never-set")); err != nil {
		t.Fatalf("cancelling a timer that is not pending: %v", err)
	}
}

// lastSeq is the timers stream's last sequence: it moves with every write.
func lastSeq(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	st, err := js.Stream(t.Context(), timer.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// Every write to the timers stream is synced, and one that replaces a
// message removes it with a second: a schedule already pending and a cancel
// with nothing pending write nothing, while every change still does.
func TestASchedulePendingAlreadyOrACancelOfNothingWritesNothing(t *testing.T) {
	ts, js := open(t, nil)
	got := consume(t, ts, nil)
	tid, other := id(t, "c-1", "clocks"), id(t, "c-2", "clocks")
	due := time.Now().Add(2 * time.Second)
	at := timer.Timer{Service: service, ID: tid, Due: due, Kind: "warning", Command: []byte(`{"clock":"first-human-contact"}`), ComplaintID: "c-1"}
	write := func(what string, f func() error, writes uint64) {
		t.Helper()
		before := lastSeq(t, js)
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n := lastSeq(t, js) - before; n != writes {
			t.Fatalf("%s: %d writes to the timers stream, want %d", what, n, writes)
		}
	}
	schedule := func(x timer.Timer) func() error { return func() error { return ts.Schedule(t.Context(), x) } }
	cancel := func(id string) func() error { return func() error { return ts.Cancel(t.Context(), service, id) } }

	write("cancelling a timer never set", cancel(other), 0)
	write("setting a timer", schedule(at), 1)
	write("setting it again as it is", schedule(at), 0)
	for _, changed := range []timer.Timer{
		{Service: service, ID: tid, Due: due.Add(time.Millisecond), Kind: at.Kind, Command: at.Command, ComplaintID: at.ComplaintID},
		{Service: service, ID: tid, Due: due, Kind: "due", Command: at.Command, ComplaintID: at.ComplaintID},
		{Service: service, ID: tid, Due: due, Kind: at.Kind, Command: []byte(`{"clock":"final-response"}`), ComplaintID: at.ComplaintID},
		at,
	} {
		write(fmt.Sprintf("changing it to %s %s %s", changed.Due.Format(time.StampMilli), changed.Kind, changed.Command), schedule(changed), 1)
	}
	write("cancelling it", cancel(tid), 1)
	write("cancelling it again", cancel(tid), 0)
	write("setting it after the cancel", schedule(at), 1)

	// It fires once, as it was set last; the server removes the schedule,
	// so a cancel after the firing writes nothing either.
	if f := got.next(t); f.ID != tid || !f.Due.Equal(due) || string(f.Command) != string(at.Command) {
		t.Fatalf("fired %s due %v with %q", f.ID, f.Due, f.Command)
	}
	settled(t, js)
	write("cancelling it once it fired", cancel(tid), 0)
	if n := messages(t, js, timer.FireSubject(service, tid)); n != 1 || got.count() != 1 {
		t.Fatalf("%d messages, %d firings; want one", n, got.count())
	}
}

func TestALaterScheduleSupersedesAnEarlierOne(t *testing.T) {
	ts, js := open(t, nil)
	got := consume(t, ts, nil)
	tid := id(t, "c-1", "deadline")
	now := time.Now()
	first, second := now.Add(time.Second), now.Add(1500*time.Millisecond)
	if err := ts.Schedule(t.Context(), timer.Timer{Service: service, ID: tid, Due: first, Command: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Schedule(t.Context(), timer.Timer{Service: service, ID: tid, Due: second, Command: []byte("second")}); err != nil {
		t.Fatal(err)
	}
	f := got.next(t)
	if string(f.Command) != "second" || !f.Due.Equal(second) {
		t.Fatalf("fired %q due %v; want the later schedule, due %v", f.Command, f.Due, second)
	}
	settled(t, js)
	if n := messages(t, js, timer.FireSubject(service, tid)); n != 1 || got.count() != 1 {
		t.Fatalf("%d messages, %d firings; want the later schedule once", n, got.count())
	}
}

func TestATimerDueInThePastFiresAtOnce(t *testing.T) {
	// The clock is an hour ahead: a timer due in half an hour is overdue.
	clock := timer.ClockFunc(func() time.Time { return time.Now().Add(time.Hour) })
	ts, js := open(t, clock)
	got := consume(t, ts, nil)
	tid := id(t, "c-1", "deadline")
	due := time.Now().Add(30 * time.Minute)
	// A pending schedule of the same timer is replaced by the firing.
	if err := ts.Schedule(t.Context(), timer.Timer{Service: service, ID: tid, Due: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retried Schedule delivers once
		if err := ts.Schedule(t.Context(), timer.Timer{Service: service, ID: tid, Due: due, Command: []byte("late")}); err != nil {
			t.Fatal(err)
		}
	}
	f := got.next(t)
	if string(f.Command) != "late" || !f.Due.Equal(due) {
		t.Fatalf("fired %+v", f)
	}
	settled(t, js)
	if n := messages(t, js, timer.FireSubject(service, tid)); n != 1 || got.count() != 1 {
		t.Fatalf("%d messages, %d firings; want one", n, got.count())
	}
	if n := messages(t, js, timer.ScheduleSubject(service, tid)); n != 1 {
		t.Fatalf("%d messages on the schedule subject; want the cancel tombstone only", n)
	}
	st, _ := js.Stream(t.Context(), timer.StreamName)
	m, err := st.GetLastMsgForSubject(t.Context(), timer.ScheduleSubject(service, tid))
	if err != nil || m.Header.Get(jetstream.ScheduleHeader) != "" {
		t.Fatalf("the pending schedule was not cancelled: %v %v", m.Header, err)
	}
}

// reminder is the state of a followup that sends one reminder when its
// deadline passes: the decider ignores a firing for another deadline (stale)
// or one it has already acted on (repeated).
type reminder struct {
	deadline time.Time
	sent     bool
}

var reminders = decider.Decider[reminder, timer.Fired]{
	Initial: func() reminder { return reminder{} },
	Decide: func(f timer.Fired, s reminder) ([]proto.Message, error) {
		if s.sent || !f.Due.Equal(s.deadline) {
			return nil, nil
		}
		return []proto.Message{timestamppb.New(f.Due)}, nil
	},
	Evolve: func(s reminder, e proto.Message) reminder {
		s.sent = true
		return s
	},
}

func TestATimerDeliveredTwiceHasOneEffect(t *testing.T) {
	ts, js := open(t, nil)
	tid := id(t, "c-1", "reminder")
	due := time.Now().Add(time.Second)
	state := reminder{deadline: due}
	var (
		mu     sync.Mutex
		events []proto.Message
	)
	got := consume(t, ts, func(_ context.Context, f timer.Fired) error {
		mu.Lock()
		defer mu.Unlock()
		s := state
		for _, e := range events {
			s = reminders.Evolve(s, e)
		}
		out, err := reminders.Decide(f, s)
		if err != nil {
			return err
		}
		events = append(events, out...)
		if f.Delivery == 1 {
			return errors.New("crashed before the acknowledgement")
		}
		return nil
	})
	if err := ts.Schedule(t.Context(), timer.Timer{Service: service, ID: tid, Due: due}); err != nil {
		t.Fatal(err)
	}
	a, b := got.next(t), got.next(t)
	if a.FireID != b.FireID || b.Delivery != 2 {
		t.Fatalf("deliveries %+v and %+v; want the same firing twice", a, b)
	}
	settled(t, js)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || got.count() != 2 {
		t.Fatalf("%d effects of %d deliveries; want 1 of 2", len(events), got.count())
	}
}

func TestTimerIDsAreSubjectTokens(t *testing.T) {
	if s, err := timer.ID("c-1", "first_response"); err != nil || s != "c-1_first_response" {
		t.Fatalf("ID: %q %v", s, err)
	}
	for _, bad := range [][2]string{{"c.1", "x"}, {"c-1", "a b"}, {"", "x"}, {"c-1", ""}, {"c-1", ">"}, {"c*", "x"}} {
		if _, err := timer.ID(bad[0], bad[1]); !errors.Is(err, timer.ErrInvalid) {
			t.Errorf("ID(%q, %q): %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
	ts, _ := open(t, nil)
	for _, bad := range []timer.Timer{
		{Service: "follow.up", ID: "x", Due: time.Now()},
		{Service: service, ID: "a.b", Due: time.Now()},
		{Service: service, ID: "x"},
	} {
		if err := ts.Schedule(t.Context(), bad); !errors.Is(err, timer.ErrInvalid) {
			t.Errorf("Schedule(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}
