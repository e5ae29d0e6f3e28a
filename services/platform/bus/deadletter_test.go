package bus_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

var quickRetry = bus.Retry{MaxAttempts: 3, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond}

// waitDeadLetters waits until the dead-letter stream holds n entries and
// returns them.
func waitDeadLetters(t *testing.T, js jetstream.JetStream, n int) []bus.DeadLetter {
	t.Helper()
	ctx := context.Background()
	var dls []bus.DeadLetter
	testkit.EventuallyNil(t, func() error {
		st, err := js.Stream(ctx, bus.DeadLetterStream)
		if err != nil {
			return fmt.Errorf("no dead letters, want %d: %w", n, err)
		}
		if dls, err = bus.ListDeadLetters(ctx, st, "", 0); err != nil {
			t.Fatal(err)
		}
		if len(dls) > n {
			t.Fatalf("%d dead letters, want %d: %+v", len(dls), n, dls)
		}
		if len(dls) < n {
			return fmt.Errorf("%d dead letters, want %d", len(dls), n)
		}
		return nil
	})
	return dls
}

// waitCaughtUp waits until the durable has every event acknowledged.
func waitCaughtUp(t *testing.T, js jetstream.JetStream, durable string) jetstream.ConsumerInfo {
	t.Helper()
	var caughtUp jetstream.ConsumerInfo
	testkit.EventuallyNil(t, func() error {
		c, err := js.Consumer(context.Background(), natswire.StreamName, durable)
		if err != nil {
			return fmt.Errorf("consumer %s did not catch up: %w", durable, err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return fmt.Errorf("consumer %s did not catch up: %w", durable, err)
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.Delivered.Stream == 0 {
			return fmt.Errorf("consumer %s did not catch up: config %+v delivered %+v ack floor %+v pending %d ack pending %d", durable, info.Config, info.Delivered, info.AckFloor, info.NumPending, info.NumAckPending)
		}
		caughtUp = *info
		return nil
	})
	return caughtUp
}

func byEventID(dls []bus.DeadLetter) map[string]bus.DeadLetter {
	out := map[string]bus.DeadLetter{}
	for _, d := range dls {
		out[d.EventID()] = d
	}
	return out
}

// An event that cannot be handled goes to the dead letters — at once when the
// failure is permanent, after the last attempt when it is not — with what an
// operator needs to judge it, and the consumer goes on past it. While one
// complaint's event is retried, other complaints' events are handled.
func TestPoisonEventsAreDeadLetteredAndTheConsumerGoesOn(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	l, js := setup(t)
	// Two complaints on different workers (the bus picks a complaint's worker
	// by FNV-1a hash of its id).
	const workers = 4
	worker := func(id string) uint32 { f := fnv.New32a(); f.Write([]byte(id)); return f.Sum32() % workers }
	a, b := uuid.NewString(), uuid.NewString()
	for worker(a) == worker(b) {
		b = uuid.NewString()
	}
	refused := appendEvent(t, l, "case", a, "test.v1.Refused")
	permanent := appendEvent(t, l, "case", a, "test.v1.Permanent")
	panics := appendEvent(t, l, "case", a, "test.v1.Panics")
	flaky := appendEvent(t, l, "case", a, "test.v1.Flaky") // fails until every event of b is handled
	afterFlaky := appendEvent(t, l, "case", a, "test.v1.Fine")
	var bEvents []string
	for range 3 {
		bEvents = append(bEvents, appendEvent(t, l, "case", b, "test.v1.Fine"))
	}
	failing := appendEvent(t, l, "case", b, "test.v1.Failing")
	last := appendEvent(t, l, "case", b, "test.v1.Fine")
	garbage := nats.NewMsg("complaints.events.case." + b)
	garbage.Data = []byte{0xff, 0x00}
	if _, err := js.PublishMsg(context.Background(), garbage); err != nil {
		t.Fatal(err)
	}

	s := newSeen()
	bDone := make(chan struct{})
	var bOnce sync.Once
	var mu sync.Mutex
	attempts := map[string]int{}
	c, err := bus.Consume(context.Background(), js, bus.Subscription{
		Durable: "test-poison", Authenticate: bus.TrustEveryWriter, Workers: workers,
		Retry: bus.Retry{MaxAttempts: 50, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond},
	}, func(_ context.Context, e eventlog.RecordedEvent) error {
		mu.Lock()
		attempts[e.ID]++
		mu.Unlock()
		switch e.Type {
		case "test.v1.Refused":
			return decider.Conflicts("case already resolved")
		case "test.v1.Permanent":
			return backoff.Permanent(errors.New("never"))
		case "test.v1.Panics":
			panic("invariant broken")
		case "test.v1.Failing":
			return errors.New("still down")
		case "test.v1.Flaky":
			select {
			case <-bDone:
			default:
				return errors.New("not yet") // until complaint b's events are handled
			}
			s.add(e)
			return nil
		}
		s.add(e)
		if e.Metadata.ComplaintID == b && e.ID == bEvents[len(bEvents)-1] {
			bOnce.Do(func() { close(bDone) })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	dls := byEventID(waitDeadLetters(t, js, 5))
	waitCaughtUp(t, js, "test-poison")
	s.waitFor(t, 6)

	wantOrder := map[string][]string{a: {flaky, afterFlaky}, b: append(append([]string(nil), bEvents...), last)}
	for complaint, want := range wantOrder {
		got := s.ids[complaint]
		if len(got) != len(want) {
			t.Fatalf("complaint %s: handled %v, want %v", complaint, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("complaint %s: handled %v, want %v", complaint, got, want)
			}
		}
	}

	for id, want := range map[string]struct {
		reason   string
		attempts int
	}{
		refused: {bus.ReasonRefused, 1}, permanent: {bus.ReasonPermanent, 1}, panics: {bus.ReasonPanic, 1},
		failing: {bus.ReasonExhausted, 50},
	} {
		d, ok := dls[id]
		if !ok {
			t.Fatalf("event %s not dead-lettered: %+v", id, dls)
		}
		if d.Reason != want.reason || d.Attempts != want.attempts || attempts[id] != want.attempts {
			t.Fatalf("event %s: reason %q after %d attempts (handler called %d times), want %q after %d",
				id, d.Reason, d.Attempts, attempts[id], want.reason, want.attempts)
		}
		if d.Consumer != "test-poison" || d.Subject != natswire.SubjectPrefix+".case."+d.Header.Get(natswire.HeaderComplaintID) ||
			d.StreamSequence == 0 || d.Error == "" || string(d.Data) != "x" || d.EventType() == "" || d.At.IsZero() {
			t.Fatalf("dead letter lacks what an operator needs: %+v", d)
		}
	}
	undecodable, ok := dls[""]
	if !ok || undecodable.Reason != bus.ReasonUndecodable || undecodable.Attempts != 0 || string(undecodable.Data) != "\xff\x00" {
		t.Fatalf("garbage message: %+v", undecodable)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counted := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "complaints.bus.dead_letters" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				consumer, _ := dp.Attributes.Value(attribute.Key("consumer"))
				reason, _ := dp.Attributes.Value(attribute.Key("reason"))
				if consumer.AsString() == "test-poison" {
					counted[reason.AsString()] += dp.Value
				}
			}
		}
	}
	for _, r := range []string{bus.ReasonRefused, bus.ReasonPermanent, bus.ReasonPanic, bus.ReasonExhausted, bus.ReasonUndecodable} {
		if counted[r] != 1 {
			t.Fatalf("dead letters counted by reason: %v, want one of each", counted)
		}
	}
}

// publishCatalogueEvent publishes an event of the catalogue as a service
// would, or as a forger claiming to be that service would.
func publishCatalogueEvent(t *testing.T, js jetstream.JetStream, category, complaint string, m proto.Message, service string) string {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	msg, err := natswire.Message(eventlog.StreamName(category, complaint), eventlog.EventData{
		ID: id, Type: string(proto.MessageName(m)), SchemaVersion: 1, Data: data,
		Metadata: eventlog.Metadata{ComplaintID: complaint, Service: service},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	return id
}

// A consumer acts only on events whose subject, type and writer agree with
// the writers table; anything else is dead-lettered as forged, and a
// catalogue event whose payload is not its type as undecodable.
func TestForgedEventsAreDeadLettered(t *testing.T) {
	_, js := setup(t)
	complaint := uuid.NewString()
	resolved := &complaintsv1.CaseResolved{ComplaintId: complaint, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage"}
	genuine := publishCatalogueEvent(t, js, "case", complaint, resolved, "resolution")
	claimsIntake := publishCatalogueEvent(t, js, "case", complaint, resolved, "intake")
	noService := publishCatalogueEvent(t, js, "case", complaint, resolved, "")
	wrongCategory := publishCatalogueEvent(t, js, "complaint", complaint, resolved, "resolution")
	wrongType := publishCatalogueEvent(t, js, "case", complaint, &complaintsv1.ComplaintReceived{ComplaintId: complaint}, "intake")
	// Headers naming the case stream, on a complaint subject; and another
	// complaint's case stream, on this one's case subject.
	header, _ := natswire.Message(eventlog.StreamName("case", complaint), eventlog.EventData{
		ID: uuid.NewString(), Type: "complaints.v1.CaseResolved", Metadata: eventlog.Metadata{ComplaintID: complaint, Service: "resolution"}})
	header.Subject = natswire.SubjectPrefix + ".complaint." + complaint
	header.Data, _ = proto.Marshal(resolved)
	if _, err := js.PublishMsg(context.Background(), header); err != nil {
		t.Fatal(err)
	}
	streamHeader := header.Header.Get(natswire.HeaderMsgID)
	header.Header.Set(natswire.HeaderMsgID, uuid.NewString())
	header.Subject = natswire.SubjectPrefix + ".case." + uuid.NewString()
	if _, err := js.PublishMsg(context.Background(), header); err != nil {
		t.Fatal(err)
	}
	otherComplaint := header.Header.Get(natswire.HeaderMsgID)
	// Right headers, garbage payload.
	garbage, _ := natswire.Message(eventlog.StreamName("case", complaint), eventlog.EventData{
		ID: uuid.NewString(), Type: "complaints.v1.CaseResolved", Data: []byte{0xff, 0xff, 0xff},
		Metadata: eventlog.Metadata{ComplaintID: complaint, Service: "resolution"}})
	if _, err := js.PublishMsg(context.Background(), garbage); err != nil {
		t.Fatal(err)
	}
	garbageID := garbage.Header.Get(natswire.HeaderMsgID)

	s := newSeen()
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-forged", Retry: quickRetry},
		func(_ context.Context, e eventlog.RecordedEvent) error { s.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	dls := byEventID(waitDeadLetters(t, js, 7))
	waitCaughtUp(t, js, "test-forged")
	if got := s.ids[complaint]; len(got) != 1 || got[0] != genuine {
		t.Fatalf("handled %v, want only the genuine event %s", got, genuine)
	}
	for _, id := range []string{claimsIntake, noService, wrongCategory, wrongType, streamHeader, otherComplaint} {
		if d := dls[id]; d.Reason != bus.ReasonForged {
			t.Fatalf("event %s dead-lettered as %q, want forged: %+v", id, d.Reason, d)
		}
	}
	if d := dls[garbageID]; d.Reason != bus.ReasonUndecodable {
		t.Fatalf("garbage payload dead-lettered as %q: %+v", d.Reason, d)
	}
	if d := dls[claimsIntake]; d.Header.Get(natswire.HeaderService) != "intake" || d.Header.Get(natswire.HeaderEventType) != "complaints.v1.CaseResolved" {
		t.Fatalf("dead letter lost the event's headers: %v", d.Header)
	}
}

// A re-driven dead letter goes to the same consumer's handler, never to the
// event log; a re-drive that fails leaves the dead letter in place; a re-drive
// repeated is harmless.
func TestARedriveHandsTheDeadLetterBackToItsConsumer(t *testing.T) {
	l, js := setup(t)
	ctx := context.Background()
	complaint := uuid.NewString()
	id := appendEvent(t, l, "case", complaint, "test.v1.Step")
	var mu sync.Mutex
	down := true
	handled := map[string]int{}
	c, err := bus.Consume(ctx, js, bus.Subscription{Durable: "test-redrive", Authenticate: bus.TrustEveryWriter, Retry: quickRetry},
		func(_ context.Context, e eventlog.RecordedEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if down {
				return errors.New("payments system down")
			}
			handled[e.ID]++
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	dl := waitDeadLetters(t, js, 1)[0]
	if dl.Reason != bus.ReasonExhausted || dl.EventID() != id {
		t.Fatalf("dead letter %+v", dl)
	}
	events, _ := js.Stream(ctx, natswire.StreamName)
	before, _ := events.Info(ctx)

	res, err := bus.Redrive(ctx, js.Conn(), dl)
	if err != nil || res.Outcome != bus.RedriveFailed || res.Reason != bus.ReasonExhausted || res.Error == "" {
		t.Fatalf("re-drive while still down answered %+v, %v", res, err)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	for range 2 {
		res, err = bus.Redrive(ctx, js.Conn(), dl)
		if err != nil || res.Outcome != bus.RedriveHandled {
			t.Fatalf("re-drive answered %+v, %v", res, err)
		}
	}
	mu.Lock()
	n := handled[id]
	mu.Unlock()
	if n != 2 {
		t.Fatalf("handler saw the re-driven event %d times, want 2", n)
	}
	after, _ := events.Info(ctx)
	if after.State.LastSeq != before.State.LastSeq {
		t.Fatalf("re-drive appended to the event log: last sequence %d, was %d", after.State.LastSeq, before.State.LastSeq)
	}
	if got := waitDeadLetters(t, js, 1); got[0].Sequence != dl.Sequence {
		t.Fatalf("a re-drive wrote a new dead letter: %+v", got)
	}

	// A re-drive whose reply subject is not an inbox is not handled, and
	// nothing answers on that subject (here an event stream's).
	bogus := "complaints.events.case." + complaint
	watch, err := js.Conn().SubscribeSync(bogus)
	if err != nil {
		t.Fatal(err)
	}
	m := dl.Message("")
	m.Subject, m.Reply = bus.RedriveSubject(dl.Consumer), bogus
	if err := js.Conn().PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	// Re-drives are handled in order: once the next one is answered, the
	// one before it has been seen.
	if res, err = bus.Redrive(ctx, js.Conn(), dl); err != nil || res.Outcome != bus.RedriveHandled {
		t.Fatalf("re-drive answered %+v, %v", res, err)
	}
	mu.Lock()
	n = handled[id]
	mu.Unlock()
	if n != 3 {
		t.Fatalf("handler saw the re-driven event %d times, want 3: a re-drive without an inbox was handled", n)
	}
	if m, err := watch.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("a re-drive answered on %s: %q", m.Subject, m.Data)
	}

	other := dl
	other.Consumer = "test-nobody"
	if _, err := bus.Redrive(ctx, js.Conn(), other); err == nil {
		t.Fatal("re-drive to a consumer that is not running succeeded")
	}
}

// An operator who deletes a durable while the service runs does not stop the
// service: the durable is created again from its last acknowledged position,
// and events appended after are handled once, earlier ones not again.
func TestADeletedDurableIsCreatedAgainFromItsLastPosition(t *testing.T) {
	l, js := setup(t)
	ctx := context.Background()
	complaint := uuid.NewString()
	var want []string
	for range 3 {
		want = append(want, appendEvent(t, l, "case", complaint, "test.v1.Step"))
	}
	appendEvent(t, l, "redress", complaint, "test.v1.Step") // not this consumer's: moves the stream on
	s := newSeen()
	c, err := bus.Consume(ctx, js, bus.Subscription{Durable: "test-deleted", Categories: []string{"case"},
		Authenticate: bus.TrustEveryWriter, CheckEvery: 50 * time.Millisecond},
		func(_ context.Context, e eventlog.RecordedEvent) error { s.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	s.waitFor(t, 3)
	waitCaughtUp(t, js, "test-deleted")

	if err := js.DeleteConsumer(ctx, natswire.StreamName, "test-deleted"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the deleted durable to be created again", func() bool {
		_, err := js.Consumer(ctx, natswire.StreamName, "test-deleted")
		return err == nil
	})
	for range 2 {
		want = append(want, appendEvent(t, l, "case", complaint, "test.v1.Step"))
	}
	s.waitFor(t, 5)
	waitCaughtUp(t, js, "test-deleted")
	var health bus.Consumers
	health.Add(c)
	if err := health.Healthy(); err != nil {
		t.Fatalf("consumer unhealthy after recreating its durable: %v", err)
	}
	s.mu.Lock()
	got := append([]string(nil), s.ids[complaint]...)
	s.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("handled %d events, want %d (each once): %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("handled %v, want %v", got, want)
		}
	}
}

// When the durable cannot be created again (here its whole stream is gone),
// the consumer says it is unhealthy, and healthy again once it can.
func TestADurableThatCannotBeCreatedAgainMakesItsConsumerUnhealthy(t *testing.T) {
	l, js := setup(t)
	ctx := context.Background()
	appendEvent(t, l, "case", uuid.NewString(), "test.v1.Step")
	s := newSeen()
	c, err := bus.Consume(ctx, js, bus.Subscription{Durable: "test-unhealthy", Authenticate: bus.TrustEveryWriter, CheckEvery: 50 * time.Millisecond},
		func(_ context.Context, e eventlog.RecordedEvent) error { s.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	s.waitFor(t, 1)
	var health bus.Consumers
	health.Add(c)

	if err := js.DeleteStream(ctx, natswire.StreamName); err != nil {
		t.Fatal(err)
	}
	waitHealth := func(healthy bool) {
		t.Helper()
		testkit.EventuallyNil(t, func() error {
			if err := health.Healthy(); (err == nil) != healthy {
				return fmt.Errorf("health never became %v: %v", healthy, err)
			}
			return nil
		})
	}
	waitHealth(false)
	if _, err := natswire.EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	waitHealth(true)
	if _, err := js.Consumer(ctx, natswire.StreamName, "test-unhealthy"); err != nil {
		t.Fatalf("durable not created again: %v", err)
	}
}
