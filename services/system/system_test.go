package system_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
)

func startSystem(t *testing.T, dataDir string) *host.System {
	t.Helper()
	writeTestTokens(t, dataDir)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-test", system.Services(intake.Config{Regime: "default", ConfigDir: fastPolicies})...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHappyPathWithEveryServiceInOneProcess(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	id := walkHappyPath(t, a)
	checkTimeline(t, a, id)

	report := a.eventually("/v1/reports/root-causes", func(b map[string]any) bool { return b["total"] == float64(1) })
	causes := report["causes"].([]any)
	if len(causes) != 1 || causes[0].(map[string]any)["root_cause"] != "network.outage" {
		t.Fatalf("root-cause report: %v", report)
	}
}

func TestRestartKeepsEveryComplaintAndItsTimeline(t *testing.T) {
	dir := t.TempDir()
	s := startSystem(t, dir)
	a := api{t: t, addr: oneAddress(s.Addr())}
	id := walkHappyPath(t, a)
	before := checkTimeline(t, a, id)
	a.eventually("/v1/reports/root-causes", func(b map[string]any) bool { return b["total"] == float64(1) })
	s.Stop()

	s = startSystem(t, dir)
	defer s.Stop()
	a = api{t: t, addr: oneAddress(s.Addr())}
	var view map[string]any
	a.call(http.MethodGet, "/v1/complaints/"+id, nil, http.StatusOK, &view)
	if view["status"] != "closed" {
		t.Fatalf("after restart the complaint is %v", view["status"])
	}
	after := checkTimeline(t, a, id)
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if string(b1) != string(b2) {
		t.Fatalf("timeline changed across restart:\n%s\n%s", b1, b2)
	}
	// The report resumes from its snapshot: the complaint is counted once.
	second := walkHappyPath(t, a)
	_ = second
	a.eventually("/v1/reports/root-causes", func(b map[string]any) bool { return b["total"] == float64(2) })
}

func TestRetriedSubmissionWithIdempotencyKeyReturnsTheSameComplaint(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	key := map[string]string{"Idempotency-Key": "portal-req-42"}
	st1, _, b1 := a.do(http.MethodPost, "/v1/complaints", sampleComplaint, key)
	st2, h2, b2 := a.do(http.MethodPost, "/v1/complaints", sampleComplaint, key)
	if st1 != http.StatusCreated || st2 != http.StatusCreated {
		t.Fatalf("statuses %d, %d: %s %s", st1, st2, b1, b2)
	}
	if string(b1) != string(b2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry answered differently:\n%s\n%s (replayed=%q)", b1, b2, h2.Get("Idempotent-Replayed"))
	}
	var sub submitted
	_ = json.Unmarshal(b1, &sub)
	var tl timeline
	a.call(http.MethodGet, "/v1/complaints/"+sub.ID+"/timeline", nil, http.StatusOK, &tl)
	received := 0
	for _, s := range tl.Steps {
		if s.Type == "ComplaintReceived" {
			received++
		}
	}
	if received != 1 {
		t.Fatalf("%d ComplaintReceived events after a retried submission", received)
	}

	other := map[string]any{}
	for k, v := range sampleComplaint {
		other[k] = v
	}
	other["description"] = "A different problem"
	st3, _, b3 := a.do(http.MethodPost, "/v1/complaints", other, key)
	if st3 != http.StatusUnprocessableEntity || !strings.Contains(string(b3), "Idempotency-Key") {
		t.Fatalf("reused key with another body: %d %s", st3, b3)
	}
}

func TestBadInputIsRefusedNamingTheField(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"missing email", "POST", "/v1/complaints", map[string]any{"customer": map[string]any{"id": "c", "name": "n"}, "channel": "web", "product": "p", "description": "d"}, 400, "customer.email"},
		{"bad email", "POST", "/v1/complaints", map[string]any{"customer": map[string]any{"id": "c", "name": "n", "email": "nope"}, "channel": "web", "product": "p", "description": "d"}, 400, "customer.email"},
		{"unknown channel", "POST", "/v1/complaints", map[string]any{"customer": map[string]any{"id": "c", "name": "n", "email": "a@b.c"}, "channel": "pigeon", "product": "p", "description": "d"}, 400, "channel"},
		{"wrong type", "POST", "/v1/complaints", map[string]any{"customer": map[string]any{"id": 7}}, 400, "customer.id"},
		{"unknown field", "POST", "/v1/complaints", map[string]any{"custmer": 1}, 400, "custmer"},
		{"bad outcome", "POST", "/v1/cases/x/resolution", map[string]any{"outcome": "maybe", "root_cause": "network.outage"}, 400, "outcome"},
		{"unknown root cause", "POST", "/v1/cases/x/resolution", map[string]any{"outcome": "upheld", "root_cause": "bob"}, 400, "root_cause"},
		{"csat out of range", "POST", "/v1/followups/x/answer", map[string]any{"csat": 9, "effort": 2, "resolved": true}, 400, "csat"},
		{"missing effort", "POST", "/v1/followups/x/answer", map[string]any{"csat": 3, "resolved": true}, 400, "effort"},
		{"unknown complaint", "GET", "/v1/complaints/does-not-exist", nil, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.t = t
			status, h, body := a.do(c.method, c.path, c.body, nil)
			if status != c.status || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d problem+json: %s", status, h.Get("Content-Type"), c.status, body)
			}
			var p struct {
				Errors []struct{ Field string } `json:"errors"`
			}
			_ = json.Unmarshal(body, &p)
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Fatalf("problem does not name %q: %s", c.field, body)
			}
		})
	}
}
