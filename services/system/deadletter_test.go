package system_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// The durables that act on CaseResolved: compensation's, and resolution's
// (its clocks and queue).
var caseConsumers = []string{"compensation-decides-redress", "resolution-lifecycle"}

// waitForDeadLetters waits until every consumer of case events has
// dead-lettered the event with id eventID, for reason, and returns the
// dead letters.
func waitForDeadLetters(t *testing.T, js jetstream.JetStream, eventID, reason string) []bus.DeadLetter {
	t.Helper()
	ctx := context.Background()
	var found []bus.DeadLetter
	testkit.EventuallyNil(t, func() error {
		found = nil
		if st, err := js.Stream(ctx, bus.DeadLetterStream); err == nil {
			dls, err := bus.ListDeadLetters(ctx, st, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range dls {
				if strings.HasPrefix(d.Consumer, bus.ProjectionConsumerPrefix) {
					continue // the projections' own, checked where a test needs them
				}
				if d.EventID() == eventID {
					found = append(found, d)
				}
			}
		}
		var by []string
		for _, d := range found {
			by = append(by, d.Consumer)
		}
		slices.Sort(by)
		if !slices.Equal(by, caseConsumers) {
			return fmt.Errorf("event %s dead-lettered by %v, want %v: %+v", eventID, by, caseConsumers, found)
		}
		return nil
	})
	for i, d := range found {
		if d.Reason != reason {
			t.Fatalf("event dead-lettered by %s as %q, want %q: %s", d.Consumer, d.Reason, reason, d.Error)
		}
		if i > 0 && d.Consumer == found[0].Consumer {
			t.Fatalf("event dead-lettered twice by %s", d.Consumer)
		}
	}
	return found
}

// connectJetStream connects as the operator, who may publish anything: the
// consumers' own writer check is what these tests exercise, as it would be
// where NATS permissions were misconfigured.
func connectJetStream(t *testing.T, s *host.System) jetstream.JetStream {
	t.Helper()
	nc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// A forged event with a garbage payload on a case subject ends in the dead
// letters of every consumer of case events, and the next complaint still
// flows end to end.
func TestAGarbageEventEndsInDeadLettersAndComplaintsStillFlow(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	js := connectJetStream(t, s)

	complaint := uuid.NewString()
	m := nats.NewMsg(natswire.SubjectPrefix + ".case." + complaint)
	eventID := uuid.NewString()
	m.Header.Set(natswire.HeaderMsgID, eventID)
	m.Header.Set(natswire.HeaderEventType, "complaints.v1.CaseResolved")
	m.Header.Set(natswire.HeaderService, "resolution")
	m.Header.Set(natswire.HeaderComplaintID, complaint)
	m.Data = []byte("\xff\xfe not a protobuf message \x00")
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	for _, d := range waitForDeadLetters(t, js, eventID, bus.ReasonUndecodable) {
		if d.Subject != m.Subject || string(d.Data) != string(m.Data) || d.StreamSequence == 0 {
			t.Fatalf("dead letter does not hold the event: %+v", d)
		}
	}

	id := walkHappyPath(t, a)
	checkTimeline(t, a, id)

	// The reports fold past it too: the event is in each projection's dead
	// letters, and the resolved complaint is counted.
	a.eventually("/v1/reports/root-causes", func(b map[string]any) bool { return b["total"] == 1.0 })
	list := a.eventually("/v1/projections", func(b map[string]any) bool {
		for _, p := range b["projections"].([]any) {
			if p := p.(map[string]any); p["name"] == "prevention-facts" {
				return p["dead_letters"] == 1.0
			}
		}
		return false
	})
	for _, p := range list["projections"].([]any) {
		p := p.(map[string]any)
		if p["name"] != "prevention-facts" {
			continue
		}
		last, _ := p["last_dead_letter"].(map[string]any)
		if last["event_id"] != eventID || last["event_type"] != "complaints.v1.CaseResolved" || last["reason"] != bus.ReasonUndecodable {
			t.Fatalf("the projection's last dead letter: %v", p)
		}
	}
}

// A well-encoded CaseResolved that claims to come from intake is not
// resolution's: both consumers dead-letter it as forged, so no redress is
// decided or issued and no survey is sent.
func TestAForgedResolutionIsDeadLetteredAndNoRedressIsIssued(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	js := connectJetStream(t, s)

	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)

	data, err := proto.Marshal(&complaintsv1.CaseResolved{
		ComplaintId: sub.ID, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage", Summary: "refund approved",
	})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := natswire.Message(eventlog.StreamName("case", sub.ID), eventlog.EventData{
		ID: uuid.NewString(), Type: "complaints.v1.CaseResolved", SchemaVersion: 1, Data: data,
		Metadata: eventlog.Metadata{ComplaintID: sub.ID, Service: "intake"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), forged); err != nil {
		t.Fatal(err)
	}
	waitForDeadLetters(t, js, forged.Header.Get(natswire.HeaderMsgID), bus.ReasonForged)

	// Both consumers are past the forgery: had either acted on it, its
	// redress or survey would be there now.
	for _, path := range []string{"/v1/redress/" + sub.ID, "/v1/followups/" + sub.ID} {
		if status, _, body := a.do(http.MethodGet, path, nil, nil); status != http.StatusNotFound {
			t.Fatalf("GET %s after a forged resolution: %d %s", path, status, body)
		}
	}
}

// The writer check is not authentication: Event-Service is a header the
// publisher sets. A user that may publish every category (the operator, or
// a relay) and copies the right header, "resolution" on a CaseResolved,
// passes it. This test documents that limit: the consumers accept the
// forgery and compensation decides a redress for a case no agent resolved.
// Only the NATS permissions (a service may publish its own categories
// alone) keep such an event out; see ADR 0011.
func TestAForgedResolutionWithTheRightWriterHeaderIsAcceptedTheCheckIsNotAuthentication(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	js := connectJetStream(t, s)

	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)

	data, err := proto.Marshal(&complaintsv1.CaseResolved{
		ComplaintId: sub.ID, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage", Summary: "refund approved",
	})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := natswire.Message(eventlog.StreamName("case", sub.ID), eventlog.EventData{
		ID: uuid.NewString(), Type: "complaints.v1.CaseResolved", SchemaVersion: 1, Data: data,
		Metadata: eventlog.Metadata{ComplaintID: sub.ID, Service: "resolution"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), forged); err != nil {
		t.Fatal(err)
	}

	// Compensation acted on it: a redress for a case nobody resolved.
	a.eventually("/v1/redress/"+sub.ID, nil)
	st, err := js.Stream(context.Background(), bus.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	dls, err := bus.ListDeadLetters(context.Background(), st, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dls {
		if d.EventID() == forged.Header.Get(natswire.HeaderMsgID) && d.Consumer == "compensation-decides-redress" {
			t.Fatalf("compensation dead-lettered the forgery (%s): the check would be authentication after all; fix ADR 0011", d.Reason)
		}
	}
}
