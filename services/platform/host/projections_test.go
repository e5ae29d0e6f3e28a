package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// resolved counts the resolutions a projection folds, decoding each one.
type resolved struct {
	Total int `json:"total"`
}

func (r *resolved) Apply(e eventlog.RecordedEvent) error {
	if _, err := es.Decode(e); err != nil {
		return err
	}
	r.Total++
	return nil
}

// projecting is a service that keeps one projection of resolutions.
type projecting struct {
	name string
	deps host.Deps
	p    *projection.Projection[*resolved]
}

func (s *projecting) Name() string          { return s.name }
func (s *projecting) Routes(*http.ServeMux) {}
func (s *projecting) Start(ctx context.Context) error {
	var err error
	s.p, err = projection.New(ctx, s.deps.Log, s.deps.JetStream, &resolved{}, projection.Options{
		Name:   s.name + "-facts", // a projection the matrix lets prevention keep
		Filter: eventlog.Filter{EventTypes: []string{es.TypeOf(&complaintsv1.CaseResolved{})}},
	})
	if err != nil {
		return err
	}
	s.deps.Go(func() { _ = s.p.Run(ctx) })
	return nil
}

// TestHealthShowsAProjectionsDeadLetters: the resolution service's user
// publishes "{}" as a CaseResolved, then good resolutions are appended. The
// prevention service's projection, under prevention's own NATS user,
// dead-letters the bad one and folds the good ones; /healthz answers 200,
// "degraded", with the projection's dead letter counted.
func TestHealthShowsAProjectionsDeadLetters(t *testing.T) {
	var resolution *probe
	var prevention *projecting
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "health-test",
		host.Unit{Name: "resolution", Build: func(d host.Deps) (host.Service, error) {
			resolution = &probe{name: "resolution", deps: d}
			return resolution, nil
		}},
		host.Unit{Name: "prevention", Build: func(d host.Deps) (host.Service, error) {
			prevention = &projecting{name: "prevention", deps: d}
			return prevention, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	ctx := context.Background()
	js, err := jetstream.New(resolution.deps.NATS)
	if err != nil {
		t.Fatal(err)
	}
	bad := nats.NewMsg(natswire.SubjectPrefix + ".case." + uuid.NewString())
	bad.Header.Set(natswire.HeaderEventType, es.TypeOf(&complaintsv1.CaseResolved{}))
	bad.Header.Set(natswire.HeaderMsgID, uuid.NewString())
	bad.Data = []byte("{}")
	if _, err := js.PublishMsg(ctx, bad); err != nil {
		t.Fatalf("resolution publishing: %v", err)
	}
	var last eventlog.Position
	for range 2 {
		id := uuid.NewString()
		data, err := proto.Marshal(&complaintsv1.CaseResolved{ComplaintId: id, RootCause: "billing.proration-error"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := resolution.deps.Log.Append(ctx, eventlog.StreamName("case", id), eventlog.NoStream(), eventlog.EventData{
			ID: uuid.NewString(), Type: es.TypeOf(&complaintsv1.CaseResolved{}), SchemaVersion: 1, Data: data,
			Metadata: eventlog.Metadata{ComplaintID: id, Service: "resolution"},
		})
		if err != nil {
			t.Fatalf("resolution appending: %v", err)
		}
		last = res.Position
	}

	testkit.EventuallyNil(t, func() error {
		if pos := prevention.p.Position(); pos < last {
			return fmt.Errorf("projection at %d, want %d: %+v", pos, last, prevention.p.Status())
		}
		return nil
	})
	prevention.p.Read(func(r *resolved, _ eventlog.Position) {
		if r.Total != 2 {
			t.Fatalf("folded %d resolutions, want 2", r.Total)
		}
	})

	res, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h host.Health
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || h.Status != "degraded" || len(h.Projections) != 1 {
		t.Fatalf("/healthz: %d %+v, want 200, degraded, one projection", res.StatusCode, h)
	}
	if p := h.Projections[0]; p.Service != "prevention" || p.Name != "prevention-facts" || p.DeadLetters != 1 || p.Position != last {
		t.Fatalf("/healthz projection %+v, want prevention-facts at %d with 1 dead letter", p, last)
	}

	// The dead letter is in the stream, for complaintctl dead-letters (as
	// the operator: a service reads no dead letter).
	opnc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	defer opnc.Close()
	opjs, err := jetstream.New(opnc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := opjs.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	dls, err := bus.ListDeadLetters(ctx, st, projection.DeadLetterConsumer("prevention-facts"), 0)
	if err != nil || len(dls) != 1 || dls[0].EventID() != bad.Header.Get(natswire.HeaderMsgID) {
		t.Fatalf("dead letters %+v, %v; want the bad event's", dls, err)
	}
}
