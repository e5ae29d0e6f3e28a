package system_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// A forged CaseResolved — sent by intake's user, or by another company
// system's — is refused at publish, whether as a JetStream publish or a
// plain core-NATS one: the case stays open and no redress is decided.
func TestForgedCaseResolvedIsRefusedAndChangesNothing(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)

	payload, err := proto.Marshal(&complaintsv1.CaseResolved{
		ComplaintId: sub.ID, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage",
		Summary: "forged", ResolvedBy: "nobody",
	})
	if err != nil {
		t.Fatal(err)
	}
	forgery := func() *nats.Msg {
		m, err := natswire.Message("case-"+sub.ID, eventlog.EventData{
			ID: "forged-" + sub.ID, Type: es.TypeOf(&complaintsv1.CaseResolved{}), SchemaVersion: 1, Data: payload,
			Metadata: eventlog.Metadata{ComplaintID: sub.ID, Service: "resolution"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, user := range []string{"intake", natsauth.Outside} {
		violations := make(chan error, 4)
		nc, err := s.ConnectAs(user, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				violations <- err
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if _, err := js.PublishMsg(ctx, forgery()); err == nil {
			t.Fatalf("%s: forged CaseResolved acknowledged by the stream", user)
		}
		cancel()
		if err := nc.PublishMsg(forgery()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			select {
			case <-violations:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no permission violation reported", user)
			}
		}
		nc.Close()
	}

	// Nothing reached the log: the case's stream holds only what resolution wrote.
	events, err := s.Log().ReadStream(context.Background(), "case-"+sub.ID, eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.ID == "forged-"+sub.ID || e.Type == es.TypeOf(&complaintsv1.CaseResolved{}) {
			t.Fatalf("the forgery reached the log: %+v", e.Metadata)
		}
	}
	if status, _, body := a.do(http.MethodGet, "/v1/redress/"+sub.ID, nil, nil); status != http.StatusNotFound {
		t.Fatalf("redress after a refused forgery: %d %s", status, body)
	}
}
