package projection_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// resolutions counts resolved cases by root cause, decoding each event's
// protobuf payload as the services' projections do.
type resolutions struct {
	Total   int            `json:"total"`
	ByCause map[string]int `json:"by_cause"`
	Markers int            `json:"markers"`
	// failures, when set, fails the fold of an event with that id this many
	// more times with a transient error.
	failures map[string]int
}

func newResolutions() *resolutions { return &resolutions{ByCause: map[string]int{}} }

const markerType = "test.v1.Marker"

func (r *resolutions) Apply(e eventlog.RecordedEvent) error {
	if e.Type == markerType {
		r.Markers++
		return nil
	}
	if r.failures[e.ID] > 0 {
		r.failures[e.ID]--
		return errors.New("store temporarily unavailable")
	}
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	if c, ok := m.(*complaintsv1.CaseResolved); ok {
		r.Total++
		r.ByCause[c.GetRootCause()]++
	}
	return nil
}

var caseResolved = es.TypeOf(&complaintsv1.CaseResolved{})

func appendResolved(t *testing.T, l eventlog.Log, cause string) (eventID string) {
	t.Helper()
	id, eventID := uuid.NewString(), uuid.NewString()
	data, err := proto.Marshal(&complaintsv1.CaseResolved{ComplaintId: id, RootCause: cause})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), eventlog.StreamName("case", id), eventlog.Any(),
		eventlog.EventData{ID: eventID, Type: caseResolved, SchemaVersion: 1, Data: data,
			Metadata: eventlog.Metadata{ComplaintID: id, Service: "resolution", RecordedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	return eventID
}

// publishUndecodable publishes "{}" as a CaseResolved on a case's subject,
// straight to the stream, as a faulty writer could: its payload is not the
// protobuf its type names. It returns the event's id and position.
func publishUndecodable(t *testing.T, js jetstream.JetStream) (string, eventlog.Position) {
	t.Helper()
	id := uuid.NewString()
	m := nats.NewMsg(natswire.SubjectPrefix + ".case." + uuid.NewString())
	m.Header.Set(natswire.HeaderEventType, caseResolved)
	m.Header.Set(natswire.HeaderMsgID, id)
	m.Data = []byte("{}")
	ack, err := js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return id, natswire.LastOfMessage(ack.Sequence)
}

func runResolutions(t *testing.T, l eventlog.Log, js jetstream.JetStream, state *resolutions) (*projection.Projection[*resolutions], func()) {
	t.Helper()
	p, err := projection.New(context.Background(), l, js, state, projection.Options{Name: "test-resolutions", SnapshotInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	return p, func() { cancel(); <-done }
}

// waitMarkers waits until the projection has folded n markers, the last
// events appended: everything before them has been folded or left out.
func waitMarkers(t *testing.T, p *projection.Projection[*resolutions], n int) {
	t.Helper()
	testkit.EventuallyNil(t, func() error {
		var got int
		p.Read(func(r *resolutions, _ eventlog.Position) { got = r.Markers })
		if got != n {
			return fmt.Errorf("projection folded %d markers, want %d; status %+v", got, n, p.Status())
		}
		return nil
	})
}

func deadLetters(t *testing.T, js jetstream.JetStream, consumer string) []bus.DeadLetter {
	t.Helper()
	st, err := js.Stream(context.Background(), bus.DeadLetterStream)
	if err != nil {
		t.Fatalf("dead-letter stream: %v", err)
	}
	dls, err := bus.ListDeadLetters(context.Background(), st, consumer, 0)
	if err != nil {
		t.Fatal(err)
	}
	return dls
}

// TestAnUndecodableEventIsDeadLetteredAndTheProjectionGoesOn: an event whose
// payload its type cannot read, appended before good ones, is dead-lettered
// once, counted in the projection's status, and the good events after it
// are folded; the count survives a restart and a rebuild, which writes no
// second dead letter.
func TestAnUndecodableEventIsDeadLetteredAndTheProjectionGoesOn(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})

	badID, badPos := publishUndecodable(t, js)
	appendResolved(t, l, "billing.proration-error")
	appendResolved(t, l, "billing.proration-error")
	appendResolved(t, l, "delivery.late")
	appendN(t, l, markerType, 1)

	p, stop := runResolutions(t, l, js, newResolutions())
	waitMarkers(t, p, 1)
	p.Read(func(r *resolutions, _ eventlog.Position) {
		if r.Total != 3 || r.ByCause["billing.proration-error"] != 2 || r.ByCause["delivery.late"] != 1 {
			t.Fatalf("folded %d resolutions %v, want 3: 2 proration errors, 1 late delivery", r.Total, r.ByCause)
		}
	})
	s := p.Status()
	if s.DeadLetters.Count != 1 || s.DeadLetters.Last == nil {
		t.Fatalf("status shows dead letters %+v, want 1", s.DeadLetters)
	}
	if last := s.DeadLetters.Last; last.EventID != badID || last.Position != badPos || last.Reason != bus.ReasonUndecodable || last.EventType != caseResolved {
		t.Fatalf("last dead letter %+v, want event %s at %d, undecodable", last, badID, badPos)
	}
	consumer := projection.DeadLetterConsumer("test-resolutions")
	dls := deadLetters(t, js, consumer)
	if len(dls) != 1 {
		t.Fatalf("%d dead letters of %s, want 1", len(dls), consumer)
	}
	if d := dls[0]; d.EventID() != badID || d.StreamSequence != uint64(badPos) || d.Reason != bus.ReasonUndecodable || string(d.Data) != "{}" {
		t.Fatalf("dead letter %+v, want event %s at %d with its payload, undecodable", d, badID, badPos)
	}
	if e, err := dls[0].Event(); err != nil || e.ID != badID || e.Position != badPos {
		t.Fatalf("dead letter's event %+v, %v; want %s at %d", e, err, badID, badPos)
	}
	var listed bool
	for _, r := range projection.Running(nc) {
		if r.Name == "test-resolutions" {
			listed = r.DeadLetters.Count == 1
		}
	}
	if !listed {
		t.Fatalf("running projections %+v, want test-resolutions with 1 dead letter", projection.Running(nc))
	}
	stop()

	// Restored from its snapshot, it still counts the event it left out.
	p, stop = runResolutions(t, l, js, newResolutions())
	defer stop()
	if s := p.Status(); s.DeadLetters.Count != 1 {
		t.Fatalf("after a restart, dead letters %+v, want 1", s.DeadLetters)
	}
	appendResolved(t, l, "delivery.late")
	appendN(t, l, markerType, 1)
	waitMarkers(t, p, 2)

	// A rebuild folds the good events again and leaves the bad one out.
	if err := p.Rebuild(context.Background(), newResolutions()); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	p.Read(func(r *resolutions, _ eventlog.Position) {
		if r.Total != 4 || r.Markers != 2 {
			t.Fatalf("rebuilt %d resolutions and %d markers, want 4 and 2", r.Total, r.Markers)
		}
	})
	if s := p.Status(); s.DeadLetters.Count != 1 || s.Rebuild.Error != "" {
		t.Fatalf("after a rebuild, status %+v, want 1 dead letter and no error", s)
	}
	if dls := deadLetters(t, js, consumer); len(dls) != 1 {
		t.Fatalf("%d dead letters after the rebuild, want still 1", len(dls))
	}
}

// TestATransientFoldFailureIsRetriedNotDeadLettered: a fold that fails for
// a while (a store unavailable) is tried again until it succeeds; nothing
// is dead-lettered and nothing is counted twice.
func TestATransientFoldFailureIsRetriedNotDeadLettered(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})

	firstID := appendResolved(t, l, "billing.proration-error")
	appendResolved(t, l, "delivery.late")
	appendN(t, l, markerType, 1)

	state := newResolutions()
	state.failures = map[string]int{firstID: 2}
	p, stop := runResolutions(t, l, js, state)
	defer stop()
	waitMarkers(t, p, 1)
	p.Read(func(r *resolutions, _ eventlog.Position) {
		if r.Total != 2 {
			t.Fatalf("folded %d resolutions, want 2", r.Total)
		}
	})
	if s := p.Status(); s.DeadLetters.Count != 0 {
		t.Fatalf("dead letters %+v, want none", s.DeadLetters)
	}
}
