package system_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// Other company systems submit complaints by request/reply on NATS; bad input
// gets an error reply naming the field, and a retry with the same
// Idempotency-Key returns the same complaint.
func TestSubmittingAComplaintOverNATS(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	nc, err := s.ConnectAs(natsauth.Outside)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	request := func(subject string, body any, key string) *nats.Msg {
		t.Helper()
		m := nats.NewMsg(subject)
		m.Data, _ = json.Marshal(body)
		m.Header.Set("Authorization", "Bearer "+testTokens[string(natsRole(subject))])
		if key != "" {
			m.Header.Set("Idempotency-Key", key)
		}
		reply, err := nc.RequestMsg(m, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		return reply
	}

	bad := map[string]any{"customer": map[string]any{"id": "c-9", "name": "Bo"}, "channel": "fax", "product": "tv", "description": "d"}
	reply := request("complaints.intake.submit", bad, "")
	if reply.Header.Get("Nats-Service-Error-Code") != "400" {
		t.Fatalf("bad submission answered %q %q: %s", reply.Header.Get("Nats-Service-Error-Code"), reply.Header.Get("Nats-Service-Error"), reply.Data)
	}
	var problem struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if err := json.Unmarshal(reply.Data, &problem); err != nil {
		t.Fatalf("error reply is not a problem: %s", reply.Data)
	}
	fields := map[string]bool{}
	for _, e := range problem.Errors {
		fields[e.Field] = true
	}
	if !fields["customer.email"] || !fields["channel"] {
		t.Fatalf("error reply names %v, want customer.email and channel: %s", fields, reply.Data)
	}

	reply = request("complaints.intake.submit", sampleComplaint, "erp-ticket-77")
	var first submitted
	if reply.Header.Get("Nats-Service-Error") != "" || json.Unmarshal(reply.Data, &first) != nil || first.ID == "" {
		t.Fatalf("submission answered %s (%v)", reply.Data, reply.Header)
	}
	reply = request("complaints.intake.submit", sampleComplaint, "erp-ticket-77")
	var again submitted
	_ = json.Unmarshal(reply.Data, &again)
	if again.ID != first.ID || reply.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry answered complaint %q (replayed=%q), first was %q", again.ID, reply.Header.Get("Idempotent-Replayed"), first.ID)
	}

	reply = request("complaints.intake.show", map[string]string{"id": first.ID}, "")
	var view map[string]any
	if err := json.Unmarshal(reply.Data, &view); err != nil || view["id"] != first.ID {
		t.Fatalf("show answered %s", reply.Data)
	}
	reply = request("complaints.intake.show", map[string]string{"id": "0193e6a0-0000-7000-8000-00000000dead"}, "")
	if reply.Header.Get("Nats-Service-Error-Code") != "404" {
		t.Fatalf("unknown complaint answered %v: %s", reply.Header, reply.Data)
	}
	reply = request("complaints.intake.show", map[string]any{"complaint": 1}, "")
	if reply.Header.Get("Nats-Service-Error-Code") != "400" {
		t.Fatalf("unknown field answered %v: %s", reply.Header, reply.Data)
	}
}
