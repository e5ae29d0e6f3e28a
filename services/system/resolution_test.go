package system_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// One complaint worked from triage to a second reopen through the real
// system: triage flags it for review, an agent claims it, asks the customer,
// who answers with their own token, records a call, transfers it with a
// reason, escalates it, an approver reviews it, it is resolved, the
// follow-up's "not resolved" reopens it, it is resolved again, the customer
// reopens it; the queue shows it, also after a restart; other systems work
// it over NATS with the same answers and refusals.
func TestACaseWorkedFromTriageToReopen(t *testing.T) {
	dir := t.TempDir()
	s := startSystem(t, dir)
	a := api{t: t, addr: oneAddress(s.Addr())}

	complaint := map[string]any{
		"customer":    map[string]any{"id": "c-res", "name": "Kim Roe", "email": "kim@example.com"},
		"channel":     "web",
		"product":     "broadband",
		"description": "Down for a week; my solicitor is writing to you",
	}
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", complaint, http.StatusCreated, &sub)
	id, path := sub.ID, "/v1/cases/"+sub.ID
	customer := a.as(sub.CustomerToken)

	view := a.eventually(path, nil)
	if view["review_required"] != true || view["severity"] != "high" || view["team"] != "network-support" {
		t.Fatalf("triage: %v", view)
	}
	a.eventually("/v1/queues/network-support?flag=legal", func(b map[string]any) bool { return queueHas(b, id) })

	a.call(http.MethodPost, path+"/claim", map[string]any{"agent_display_name": "Sam from Network Support"}, http.StatusOK, nil)
	var c map[string]any
	a.call(http.MethodPost, path+"/information-requests", map[string]any{"question": "Which days were you without service?"}, http.StatusCreated, &c)
	rid := c["open_information_request"].(map[string]any)["request_id"].(string)
	a.eventually("/v1/queues/network-support?status=awaiting_customer", func(b map[string]any) bool { return queueHas(b, id) })
	customer.call(http.MethodPost, path+"/information-requests/"+rid+"/answer", map[string]any{"answer": "Monday to Sunday"}, http.StatusOK, &c)
	if c["status"] != "open" {
		t.Fatalf("after the answer: %v", c)
	}
	a.call(http.MethodPost, path+"/contacts", map[string]any{"channel": "phone", "summary": "apologised, explained the fix"}, http.StatusCreated, nil)
	a.call(http.MethodPost, path+"/assignment", map[string]any{"team": "network-escalations", "reason": "needs exchange access"}, http.StatusOK, nil)
	a.call(http.MethodPost, path+"/escalation", map[string]any{"reason": "a week without service"}, http.StatusOK, nil)

	resolve := map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "exchange card replaced", "agent": "a-7"}
	a.call(http.MethodPost, path+"/resolution", resolve, http.StatusConflict, nil)
	approver := a.as(testTokens["approver"])
	approver.call(http.MethodPost, path+"/review", map[string]any{"notes": "final response wording checked"}, http.StatusOK, nil)
	a.call(http.MethodPost, path+"/resolution", resolve, http.StatusOK, &c)
	if c["first_contact_resolution"] != false || c["resolution"] != float64(1) || c["transfers"] != float64(1) || c["tier"] != float64(2) {
		t.Fatalf("first resolution: %v", c)
	}

	// The follow-up's "not resolved" reopens it, back to the team that resolved it.
	a.eventually("/v1/followups/"+id, nil)
	customer.call(http.MethodPost, "/v1/followups/"+id+"/answer", map[string]any{"csat": 2, "effort": 6, "resolved": false, "comment": "still drops"}, http.StatusOK, nil)
	c = a.eventually(path, func(b map[string]any) bool { return b["status"] == "reopened" })
	if c["team"] != "network-escalations" || c["reopens"] != float64(1) {
		t.Fatalf("reopened by the survey: %v", c)
	}
	a.eventually("/v1/queues/network-escalations?status=reopened", func(b map[string]any) bool { return queueHas(b, id) })
	a.call(http.MethodPost, path+"/resolution", resolve, http.StatusOK, &c)
	if c["resolution"] != float64(2) {
		t.Fatalf("second resolution: %v", c)
	}
	customer.call(http.MethodPost, path+"/reopen", map[string]any{"reason": "it dropped again tonight"}, http.StatusOK, &c)
	if c["status"] != "reopened" || c["reopens"] != float64(2) {
		t.Fatalf("reopened by the customer: %v", c)
	}
	// The customer's token opens only their own complaint's steps.
	customer.call(http.MethodGet, path, nil, http.StatusForbidden, nil)

	// Over NATS: the same case, answers and refusals.
	nc, err := s.ConnectAs(natsauth.Outside)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	reply := natsRequest(t, nc, "complaints.resolution.show", map[string]any{"id": id}, "")
	var shown map[string]any
	if err := json.Unmarshal(reply.Data, &shown); err != nil || shown["reopens"] != float64(2) {
		t.Fatalf("show over NATS: %s", reply.Data)
	}
	claim := nats.NewMsg("complaints.resolution.claim")
	claim.Data, _ = json.Marshal(map[string]any{"id": id})
	claim.Header.Set("Authorization", "Bearer "+testTokens[string(auth.RoleAuditor)])
	if r, err := nc.RequestMsg(claim, 10*time.Second); err != nil || r.Header.Get("Nats-Service-Error-Code") != "403" {
		t.Fatalf("claim by an auditor over NATS: %v %v", r, err)
	}
	ask := map[string]any{"id": id, "question": "Is the router's light green?"}
	r1 := natsRequest(t, nc, "complaints.resolution.request-information", ask, "crm-77")
	r2 := natsRequest(t, nc, "complaints.resolution.request-information", ask, "crm-77")
	var v1, v2 map[string]any
	_ = json.Unmarshal(r1.Data, &v1)
	_ = json.Unmarshal(r2.Data, &v2)
	open1, _ := v1["open_information_request"].(map[string]any)
	open2, _ := v2["open_information_request"].(map[string]any)
	if open1 == nil || open2 == nil || open1["request_id"] != open2["request_id"] || len(v2["information_requests"].([]any)) != 2 {
		t.Fatalf("retried request over NATS: %s / %s", r1.Data, r2.Data)
	}
	answer := map[string]any{"id": id, "request_id": open1["request_id"], "answer": "yes, green"}
	if r := natsRequest(t, nc, "complaints.resolution.answer", answer, ""); r.Header.Get("Nats-Service-Error") != "" {
		t.Fatalf("answer over NATS: %v %s", r.Header, r.Data)
	}
	if r := natsRequest(t, nc, "complaints.resolution.reopen", map[string]any{"id": id, "reason": "x"}, ""); r.Header.Get("Nats-Service-Error-Code") != "409" {
		t.Fatalf("reopen of an open case over NATS: %v %s", r.Header, r.Data)
	}
	if r := natsRequest(t, nc, "complaints.resolution.queue", map[string]any{"team": "network-escalations"}, ""); !queueHasRaw(r.Data, id) {
		t.Fatalf("queue over NATS: %s", r.Data)
	}
	nc.Close()

	// The queue comes back from its snapshot after a restart.
	s.Stop()
	s = startSystem(t, dir)
	defer s.Stop()
	a = api{t: t, addr: oneAddress(s.Addr())}
	var q map[string]any
	a.call(http.MethodGet, "/v1/queues/network-escalations", nil, http.StatusOK, &q)
	if !queueHas(q, id) {
		t.Fatalf("queue after a restart: %v", q)
	}
}

func queueHas(b map[string]any, id string) bool {
	items, _ := b["items"].([]any)
	for _, it := range items {
		if it.(map[string]any)["complaint_id"] == id {
			return true
		}
	}
	return false
}

func queueHasRaw(data []byte, id string) bool {
	var b map[string]any
	return json.Unmarshal(data, &b) == nil && queueHas(b, id)
}

func natsRequest(t *testing.T, nc *nats.Conn, subject string, body any, key string) *nats.Msg {
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
