package followup_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A customer answering the survey with their own token is answered with a
// customer-safe body: the complaint, the follow-up's status and a sentence.
// None of the staff's working shows in it: no customer id, team, root
// cause, chasers, closure reason or the recorded answers. An agent
// recording the answer for them gets the whole follow-up.

// raw answers the follow-up of id with token and returns the raw body.
func (c *component) raw(id, token, body string) (int, string) {
	c.t.Helper()
	req := httptest.NewRequest("POST", "/v1/followups/"+id+"/answer", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	c.http.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// staffOnly are strings of the staff's view that a customer body must not hold.
var staffOnly = []string{"customer_id", "cust-9", "team", "network-ops", "root_cause", "network.outage", "chasers",
	"closed_reason", "customer-confirmed-resolved", "round", "answers", "next_due", "survey_due", "csat", "effort", "comment",
	"product", "broadband", "agent", "note", "escalat", "decided_by", "transfer"}

func TestACustomersSurveyAnswerIsAnsweredWithACustomerSafeBody(t *testing.T) {
	for _, tc := range []struct {
		name, body, status, says string
	}{
		{"resolved", `{"csat":5,"effort":7,"resolved":true,"comment":"fixed"}`, "closed", "closed"},
		{"not resolved", `{"csat":2,"effort":2,"resolved":false,"reason":"still no signal"}`, "answered", "not resolved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := start(t)
			id := uuid.NewString()
			c.received(id)
			c.resolved(id, 1)
			c.settle(id, 1)
			c.fire(id)

			code, body := c.raw(id, c.customer(id), tc.body)
			if code != 200 {
				t.Fatalf("answer: %d %s", code, body)
			}
			for _, s := range staffOnly {
				if strings.Contains(strings.ToLower(body), s) {
					t.Errorf("the customer's body holds %q: %s", s, body)
				}
			}
			if !strings.Contains(body, `"complaint_id":"`+id+`"`) || !strings.Contains(body, `"status":"`+tc.status+`"`) ||
				!strings.Contains(body, `"message":"`) || !strings.Contains(body, tc.says) {
				t.Fatalf("the customer's body: %s", body)
			}
			// The same answer again (a retry) answers the same body.
			if code, again := c.raw(id, c.customer(id), tc.body); code != 200 || again != body {
				t.Fatalf("retried answer: %d %s, want %s", code, again, body)
			}
		})
	}
}

func TestAnAgentRecordingASurveyAnswerGetsTheWholeFollowUp(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.received(id)
	c.resolved(id, 1)
	c.settle(id, 1)
	c.fire(id)
	code, body := c.do("POST", "/v1/followups/"+id+"/answer", "agent-token", `{"csat":5,"effort":7,"resolved":true}`)
	if code != 200 || body["status"] != "closed" || body["closed_reason"] != "customer-confirmed-resolved" ||
		body["team"] != "network-ops" || body["root_cause"] != "network.outage" || body["round"] != 1.0 || len(body["answers"].([]any)) != 1 {
		t.Fatalf("agent's answer: %d %v", code, body)
	}
	if _, ok := body["message"]; ok {
		t.Fatalf("the staff's view holds the customer's message: %v", body)
	}
}
