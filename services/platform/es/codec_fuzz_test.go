package es_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// FuzzDecode decodes arbitrary protobuf payloads under arbitrary type names:
// no panic, and an event that decodes, encoded again and carried through its
// NATS message, decodes to an equal message of the same type.
func FuzzDecode(f *testing.F) {
	at := timestamppb.New(time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC))
	for _, m := range []proto.Message{
		&complaintsv1.ComplaintReceived{ComplaintId: "c1", Reference: "CMP-7K3Q9ZD2", CustomerId: "cust-1",
			CustomerName: &complaintsv1.SealedValue{}, Channel: "web", Product: "broadband", Description: "slow", ReceivedAt: at},
		&complaintsv1.CaseResolved{ComplaintId: "c1", Outcome: complaintsv1.Outcome(1), RootCause: "network.outage",
			ResolvedAt: at, DecidedBy: &complaintsv1.PolicyRef{Policy: "taxonomy", Version: "v+abc", RuleId: "r1"}},
		&complaintsv1.SurveyAnswered{},
	} {
		data, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(es.TypeOf(m), data)
	}
	f.Add("complaints.v1.CaseOpened", []byte{0x0a, 0xff})
	f.Add("complaints.v1.Nope", []byte{})
	f.Add("google.protobuf.Timestamp", []byte{0x08, 0x01})
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		m, err := es.Decode(eventlog.RecordedEvent{EventData: eventlog.EventData{ID: "ev-1", Type: typ, Data: data}})
		if err != nil {
			return
		}
		if es.TypeOf(m) != typ {
			t.Fatalf("type %q decoded as %q", typ, es.TypeOf(m))
		}
		ed, err := es.Encode("ev-1", m, eventlog.Metadata{Service: "intake"})
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		msg, err := natswire.Message("case-c1", ed)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := natswire.Decode(msg.Subject, msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("NATS message does not decode: %v", err)
		}
		again, err := es.Decode(rec)
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		if !proto.Equal(m, again) {
			t.Fatalf("round trip changed the event:\n got %v\nwant %v", again, m)
		}
	})
}
