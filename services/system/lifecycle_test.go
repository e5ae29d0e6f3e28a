package system_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	wire "github.com/complaintflow/complaintflow/services/api"
)

// TestOneComplaintThroughEveryTwistOnClocksInSeconds takes one complaint
// through the whole system on a regime configured in seconds: a transfer, an
// information request (the internal service level pauses, the regulatory
// clock does not), the regulatory deadline passing (breach, escalation,
// holding response), resolution, the customer's "not resolved" reopening
// it, resolution again, and the customer's "resolved" closing it. The clock
// states are logged with the times they were seen.
func TestOneComplaintThroughEveryTwistOnClocksInSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a regulatory deadline to pass")
	}
	config := secondsConfig(t)
	fast, err := os.ReadFile(filepath.Join(fastPolicies, "followup.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(config, "followup.yaml"), fast, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startSystemWithConfig(t, t.TempDir(), config)
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}

	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
	id, path := sub.ID, "/v1/cases/"+sub.ID
	customer := a.as(sub.CustomerToken)
	w := &clockWatch{t: t, a: a, id: id, t0: time.Now()}
	w.until("clocks started", func(c wire.Clocks) bool {
		return clockIn(c, "final-response").State == "running" && clockIn(c, "resolution").State == "running"
	})

	// A transfer, counted as customer effort.
	a.eventually(path, nil)
	a.call(http.MethodPost, path+"/assignment", map[string]any{"team": "network-escalations", "reason": "needs exchange access"}, http.StatusOK, nil)

	// The agent asks the customer: the internal clock pauses, the
	// regulator's does not.
	var req map[string]any
	a.call(http.MethodPost, path+"/information-requests", map[string]any{"question": "Which days were you without service?"}, http.StatusCreated, &req)
	w.until("resolution paused", func(c wire.Clocks) bool {
		return clockIn(c, "resolution").State == "paused" && clockIn(c, "final-response").State == "running"
	})

	// The regulatory deadline passes while the company waits: breach,
	// escalation of the case, and the holding response to the customer.
	w.until("final response breached", func(c wire.Clocks) bool {
		return clockIn(c, "final-response").State == "breached"
	})
	if c, _ := w.get(); clockIn(c, "resolution").State != "paused" {
		t.Fatalf("the internal clock ran while the company waited for the customer: %+v", c)
	}
	a.eventually(path, func(b map[string]any) bool { return b["tier"] == float64(2) })
	a.eventually("/v1/complaints/"+id+"/timeline", func(b map[string]any) bool {
		return hasNotification(b, "holding-response")
	})

	// The customer answers; the internal clock runs again, later by the pause.
	rid, _ := req["open_information_request"].(map[string]any)["request_id"].(string)
	if rid == "" {
		t.Fatalf("no request id in %v", req)
	}
	customer.call(http.MethodPost, path+"/information-requests/"+rid+"/answer", map[string]any{"answer": "Monday to Sunday"}, http.StatusOK, nil)
	w.until("resolution resumed", func(c wire.Clocks) bool { return clockIn(c, "resolution").State == "running" })

	resolve := map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange card replaced", "agent": "a-7"}
	a.call(http.MethodPost, path+"/resolution", resolve, http.StatusOK, nil)
	w.until("clocks met", func(c wire.Clocks) bool {
		f, r := clockIn(c, "final-response"), clockIn(c, "resolution")
		return f.State == "met" && f.Late && r.State == "met" && !r.Late
	})

	// "Not resolved" reopens the case; it is resolved again, and "resolved"
	// closes the complaint.
	a.eventually("/v1/followups/"+id, func(b map[string]any) bool { return b["status"] == "awaiting_answer" })
	customer.call(http.MethodPost, "/v1/followups/"+id+"/answer", map[string]any{"csat": 2, "effort": 3, "resolved": false, "reason": "still drops at night"}, http.StatusOK, nil)
	c := a.eventually(path, func(b map[string]any) bool { return b["status"] == "reopened" })
	if c["reopens"] != float64(1) || c["team"] != "network-escalations" {
		t.Fatalf("reopened: %v", c)
	}
	a.call(http.MethodPost, path+"/resolution", resolve, http.StatusOK, nil)
	a.eventually("/v1/followups/"+id, func(b map[string]any) bool {
		return b["status"] == "awaiting_answer" && b["round"] == float64(2)
	})
	customer.call(http.MethodPost, "/v1/followups/"+id+"/answer", map[string]any{"csat": 4, "effort": 6, "resolved": true}, http.StatusOK, nil)
	view := a.eventually("/v1/complaints/"+id, func(b map[string]any) bool { return b["status"] == "closed" })
	effort, _ := view["effort"].(map[string]any)
	if effort["transfers"] != float64(1) || effort["information_requests"] != float64(1) || effort["reopens"] != float64(1) {
		t.Fatalf("effort in the complaint view: %v", effort)
	}
	final, _ := w.get()
	b, _ := json.MarshalIndent(final.History, "", "  ")
	t.Logf("clock history:\n%s", b)
}

// hasNotification reports whether a timeline holds a NotificationRequested
// for purpose.
func hasNotification(timeline map[string]any, purpose string) bool {
	steps, _ := timeline["steps"].([]any)
	for _, s := range steps {
		step, _ := s.(map[string]any)
		if step["type"] != "NotificationRequested" {
			continue
		}
		if data, _ := step["data"].(map[string]any); data["purpose"] == purpose {
			return true
		}
	}
	return false
}
