package system_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// api drives the HTTP API the way a support tool or customer portal would.
// Each service may live on its own address (addr maps a path prefix to it).
// Requests carry the test token of the role they need (roleFor), or token
// when set: a customer's capability token.
type api struct {
	t     *testing.T
	addr  func(path string) string
	token string
}

// as is a with every request sent with token (a customer's own steps).
func (a api) as(token string) api {
	a.token = token
	return a
}

// testTokens are the development tokens of the system under test, by role:
// written into its data directory before it starts (writeTestTokens), which
// it then reuses instead of making its own.
var testTokens = func() map[string]string {
	m := map[string]string{}
	for _, r := range auth.TokenRoles {
		m[string(r)] = "system-test-token-" + string(r)
	}
	return m
}()

// writeTestTokens puts testTokens where a system started on dataDir finds
// its development tokens.
func writeTestTokens(t *testing.T, dataDir string) {
	t.Helper()
	b, err := json.Marshal(testTokens)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, auth.DevTokensFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// roleFor is the role a request is sent with: intake systems submit, process
// owners read reports, agents do the rest (customers' steps go through
// api.as with their own token).
func roleFor(method, path string) auth.Role {
	switch {
	case method == http.MethodPost && path == "/v1/complaints":
		return auth.RoleIntakeSystem
	case strings.HasPrefix(path, "/v1/reports/"), path == "/reports", strings.HasPrefix(path, "/v1/systemic-issues"), strings.HasPrefix(path, "/v1/preventive-actions"):
		return auth.RoleProcessOwner
	case strings.HasPrefix(path, "/v1/projections"):
		return auth.RoleAdmin
	case method == http.MethodPost && (strings.HasSuffix(path, "/review") || strings.HasSuffix(path, "/approval")):
		return auth.RoleApprover
	case method == http.MethodPost && strings.HasSuffix(path, "/confirmation"):
		return auth.RolePayments
	}
	return auth.RoleAgent
}

// natsRole is the role a NATS request is sent with, as roleFor for HTTP:
// intake systems submit, approvers review, the payment system confirms,
// agents do the rest.
func natsRole(subject string) auth.Role {
	switch subject {
	case "complaints.intake.submit":
		return auth.RoleIntakeSystem
	case "complaints.resolution.review":
		return auth.RoleApprover
	case "complaints.compensation.confirm":
		return auth.RolePayments
	}
	return auth.RoleAgent
}

// authorize sets the request's bearer token.
func (a api) authorize(req *http.Request, method, path string) {
	token := a.token
	if token == "" {
		token = testTokens[string(roleFor(method, path))]
	}
	req.Header.Set("Authorization", "Bearer "+token)
}

func oneAddress(addr string) func(string) string { return func(string) string { return addr } }

func (a api) do(method, path string, body any, headers map[string]string) (int, http.Header, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+a.addr(path)+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	a.authorize(req, method, path)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// call performs a request expecting status want and decodes the answer.
func (a api) call(method, path string, body any, want int, out any) {
	a.t.Helper()
	status, _, data := a.do(method, path, body, nil)
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// eventually polls GET path until it answers 200 and ok accepts the body.
func (a api) eventually(path string, ok func(body map[string]any) bool) map[string]any {
	a.t.Helper()
	var body map[string]any
	testkit.EventuallyNil(a.t, func() error {
		status, _, data := a.do(http.MethodGet, path, nil, nil)
		if status == http.StatusOK {
			body = nil
			if err := json.Unmarshal(data, &body); err != nil {
				a.t.Fatal(err)
			}
			if ok == nil || ok(body) {
				return nil
			}
		}
		return fmt.Errorf("GET %s never got there; last answer: %d %s", path, status, data)
	})
	return body
}

var sampleComplaint = map[string]any{
	"customer":        map[string]any{"id": "c-1", "name": "Ann Lee", "email": "ann@example.com"},
	"channel":         "web",
	"product":         "broadband",
	"description":     "No service for 3 days",
	"desired_outcome": "refund for the days without service",
}

var customers atomic.Int64

// anotherCustomersComplaint is sampleComplaint from a customer of its own: a
// second complaint of one customer about one product while the first is
// open would be recorded as a repeat contact on it.
func anotherCustomersComplaint() map[string]any {
	n := customers.Add(1)
	c := maps.Clone(sampleComplaint)
	c["customer"] = map[string]any{"id": fmt.Sprintf("c-other-%d", n), "name": "Ann Lee", "email": fmt.Sprintf("ann%d@example.com", n)}
	return c
}

type submitted struct {
	ID              string `json:"id"`
	CustomerToken   string `json:"customer_token"`
	Reference       string `json:"reference"`
	Status          string `json:"status"`
	Acknowledgement struct {
		Message   string    `json:"message"`
		RespondBy time.Time `json:"respond_by"`
	} `json:"acknowledgement"`
}

type timeline struct {
	ComplaintID string `json:"complaint_id"`
	Steps       []struct {
		Type       string          `json:"type"`
		Service    string          `json:"service"`
		RecordedAt time.Time       `json:"recorded_at"`
		Position   uint64          `json:"position"`
		Data       json.RawMessage `json:"data"`
	} `json:"steps"`
}

// walkHappyPath takes one complaint from submission to closed and returns its id.
func walkHappyPath(t *testing.T, a api) string {
	t.Helper()
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	if sub.ID == "" || sub.Reference == "" || sub.Status != "acknowledged" || sub.Acknowledgement.Message == "" || sub.Acknowledgement.RespondBy.IsZero() {
		t.Fatalf("submission answer incomplete: %+v", sub)
	}
	caseView := a.eventually("/v1/cases/"+sub.ID, nil)
	if caseView["team"] != "network-support" {
		t.Fatalf("case not routed by product: %v", caseView)
	}
	a.call(http.MethodPost, "/v1/cases/"+sub.ID+"/resolution", map[string]any{
		"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange fault fixed; credit applied", "agent": "a-7",
	}, http.StatusOK, nil)
	a.eventually("/v1/redress/"+sub.ID, func(b map[string]any) bool { return b["status"] == "issued" })
	a.eventually("/v1/followups/"+sub.ID, nil)
	customer := a
	if sub.CustomerToken != "" {
		customer = a.as(sub.CustomerToken)
	}
	customer.call(http.MethodPost, "/v1/followups/"+sub.ID+"/answer", map[string]any{
		"csat": 5, "effort": 2, "resolved": true, "comment": "Thanks",
	}, http.StatusOK, nil)
	view := a.eventually("/v1/complaints/"+sub.ID, func(b map[string]any) bool { return b["status"] == "closed" })
	if c, _ := view["customer"].(map[string]any); c["name"] != "Ann Lee" || c["email"] != "ann@example.com" {
		t.Fatalf("personal data not opened in view: %v", view["customer"])
	}
	return sub.ID
}

// wantLifecycle is the happy path's timeline: each step and who recorded it.
// fastPolicies is the policy directory the lifecycle tests run with: the
// survey goes out as soon as redress is settled (the default waits days).
const fastPolicies = "../../deploy/policies/fast"

var wantLifecycle = []struct{ typ, service string }{
	{"ComplaintReceived", "intake"},
	{"ComplaintAcknowledged", "intake"},
	{"CaseOpened", "resolution"},
	{"CaseAssigned", "resolution"},
	{"CaseResolved", "resolution"},
	{"RedressDecided", "compensation"},
	{"RedressIssued", "compensation"},
	{"SurveyRequested", "followup"},
	{"SurveyAnswered", "followup"},
	{"ComplaintClosed", "followup"},
}

// checkTimeline checks the timeline holds every step once, in log order. The
// redress and survey steps both follow the resolution and may interleave.
func checkTimeline(t *testing.T, a api, id string) timeline {
	t.Helper()
	var tl timeline
	a.call(http.MethodGet, "/v1/complaints/"+id+"/timeline", nil, http.StatusOK, &tl)
	if tl.ComplaintID != id {
		t.Fatalf("timeline of %q, want %q", tl.ComplaintID, id)
	}
	// The lifecycle's steps each appear once, in log order. Other steps
	// (clocks, triage, notifications, settlement...) may sit between them.
	lifecycle := map[string]bool{}
	for _, w := range wantLifecycle {
		lifecycle[w.typ] = true
	}
	index := map[string]int{}
	for i, s := range tl.Steps {
		if i > 0 && s.Position <= tl.Steps[i-1].Position {
			t.Fatalf("timeline not in log order at step %d: %+v", i, tl.Steps)
		}
		if !lifecycle[s.Type] {
			continue
		}
		if _, dup := index[s.Type]; dup {
			if s.Type == "CaseAssigned" {
				continue // naming the agent after routing assigns again
			}
			t.Fatalf("step %s appears twice", s.Type)
		}
		index[s.Type] = i
	}
	for _, w := range wantLifecycle {
		i, ok := index[w.typ]
		if !ok {
			t.Fatalf("timeline lacks %s: %+v", w.typ, tl.Steps)
		}
		if tl.Steps[i].Service != w.service {
			t.Fatalf("%s recorded by %q, want %q", w.typ, tl.Steps[i].Service, w.service)
		}
	}
	before := func(a, b string) {
		if index[a] > index[b] {
			t.Fatalf("%s after %s in timeline", a, b)
		}
	}
	before("ComplaintReceived", "ComplaintAcknowledged")
	before("ComplaintAcknowledged", "CaseOpened")
	before("CaseOpened", "CaseAssigned")
	before("CaseAssigned", "CaseResolved")
	before("CaseResolved", "RedressDecided")
	before("RedressDecided", "RedressIssued")
	before("CaseResolved", "SurveyRequested")
	before("SurveyRequested", "SurveyAnswered")
	before("SurveyAnswered", "ComplaintClosed")
	return tl
}

// tryDo is do for requests that may fail in transit (a server going away):
// status 0 then, and safe to call from any goroutine.
func (a api) tryDo(method, path string, body any) (int, http.Header, []byte) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, nil
	}
	req, err := http.NewRequest(method, "http://"+a.addr(path)+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, nil
	}
	req.Header.Set("Content-Type", "application/json")
	a.authorize(req, method, path)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}
