package resolution_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// rawPost posts body to path with token and returns the raw answer.
func (c *component) rawPost(t *testing.T, path, token string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, c.url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// caseStaffOnly are strings of the staff's case view, or of what the staff
// wrote on it, that a customer's answer must not hold.
var caseStaffOnly = []string{"agent", "agent-7", "sam from", "escalat", "distress", "transfer", "exchange access", "note",
	"decided_by", "review", "approv", "flag", "legal", "severity", "priority", "tier", "contact", "called back",
	"root_cause", "network.outage", "summary", "exchange card", "information_requests", "question", "policy", "rule", "vulnerable"}

func customerSafe(t *testing.T, what, body string) {
	t.Helper()
	for _, s := range caseStaffOnly {
		if strings.Contains(strings.ToLower(body), s) {
			t.Errorf("%s: the customer's answer holds %q: %s", what, s, body)
		}
	}
}

// The customer's own calls on a case (answering a question, reopening) are
// answered with the case's status only, whatever the staff did and wrote on
// it: claimed, transferred with a reason, escalated, contacted, reviewed.
func TestACustomersAnswerAndReopenAreAnsweredWithoutTheStaffsWorking(t *testing.T) {
	c := start(t, "")
	id := c.receiveComplaint(t, &complaintsv1.ComplaintReceived{Product: "broadband", Description: "Down for a week; my solicitor is writing to you", Regime: "uk-fca"})
	path := "/v1/cases/" + id
	customer := "customer-" + id

	for _, step := range []struct {
		path, token string
		body        any
	}{
		{path + "/claim", "agent-token", map[string]any{"agent_display_name": "Sam from Network Support"}},
		{path + "/assignment", "agent-token", map[string]any{"team": "network-field", "reason": "needs exchange access"}},
		{path + "/escalation", "agent-token", map[string]any{"reason": "distress"}},
		{path + "/contacts", "agent-token", map[string]any{"channel": "phone", "summary": "called back"}},
		{path + "/review", "approver-token", map[string]any{"notes": "wording checked"}},
	} {
		if code, body := c.rawPost(t, step.path, step.token, step.body); code/100 != 2 {
			t.Fatalf("POST %s: %d %s", step.path, code, body)
		}
	}
	code, body := c.rawPost(t, path+"/information-requests", "agent-token", map[string]any{"question": "Which days were you without service?"})
	var asked map[string]any
	if err := json.Unmarshal([]byte(body), &asked); code != 201 || err != nil {
		t.Fatalf("information request: %d %s", code, body)
	}
	rid := asked["open_information_request"].(map[string]any)["request_id"].(string)

	code, body = c.rawPost(t, path+"/information-requests/"+rid+"/answer", customer, map[string]any{"answer": "Monday to Sunday"})
	if code != 200 || !strings.Contains(body, `"complaint_id":"`+id+`"`) || !strings.Contains(body, `"status":"open"`) {
		t.Fatalf("answer: %d %s", code, body)
	}
	customerSafe(t, "answer", body)

	resolve := map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "exchange card replaced"}
	if code, body := c.rawPost(t, path+"/resolution", "agent-token", resolve); code != 200 {
		t.Fatalf("resolve: %d %s", code, body)
	}
	code, body = c.rawPost(t, path+"/reopen", customer, map[string]any{"reason": "it dropped again"})
	if code != 200 || !strings.Contains(body, `"status":"reopened"`) || !strings.Contains(body, `"reopens":1`) {
		t.Fatalf("reopen: %d %s", code, body)
	}
	customerSafe(t, "reopen", body)

	// The staff's own view of the case still holds their working.
	if res := c.do(t, "GET", path, "agent-token", nil); res.status != 200 || res.body["contacts"] != float64(1) ||
		res.body["escalations"] != float64(1) || res.body["transfers"] != float64(1) || res.body["reviewed"] != true {
		t.Fatalf("staff's view: %d %v", res.status, res.body)
	}
}
