package compensation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Component tests: compensation's app and adapters alone, over the in-memory
// event log, called through its HTTP routes with static tokens and through
// its consumer with the events resolution would publish.

var tokens = auth.StaticTokens{
	"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
	"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	"owner-token":   {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	// The agent who resolves also holds the approver role: four eyes.
	"resolver-approver-token": {Subject: "agent-7", Roles: []auth.Role{auth.RoleApprover}},
	"approver-token":          {Subject: "boss-1", Roles: []auth.Role{auth.RoleApprover}},
	"payments-token":          {Subject: "payments", Roles: []auth.Role{auth.RolePayments}},
	"crm-token":               {Subject: "crm", Roles: []auth.Role{auth.RoleIntakeSystem}},
	"admin-token":             {Subject: "root", Roles: []auth.Role{auth.RoleAdmin}},
}

type component struct {
	t    *testing.T
	log  *memlog.Log
	app  *app.Compensation
	http http.Handler
}

func start(t *testing.T, configDir string) *component {
	t.Helper()
	p, err := compensation.LoadPolicy(configDir)
	if err != nil {
		t.Fatal(err)
	}
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	a := compensation.NewApp(log, p, nil)
	mux := http.NewServeMux()
	adapters.HTTP{App: a}.Routes(mux)
	return &component{t: t, log: log, app: a, http: auth.Authenticate(tokens, mux)}
}

// resolve appends a CaseResolved as resolution would and hands it to the
// consumer, returning the consumer's answer and the event's id.
func (c *component) resolve(complaintID string, outcome complaintsv1.Outcome, product, cause string) (string, error) {
	c.t.Helper()
	ctx := context.Background()
	data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{ComplaintId: complaintID, Outcome: outcome, Product: product, RootCause: cause},
		eventlog.Metadata{ComplaintID: complaintID, Service: "resolution", Actor: eventlog.NewActor(eventlog.ActorAgent, "agent-7")})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.log.Append(ctx, eventlog.StreamName("case", complaintID), eventlog.Any(), data); err != nil {
		c.t.Fatal(err)
	}
	recorded, err := c.log.ReadStream(ctx, eventlog.StreamName("case", complaintID), eventlog.FromStart)
	if err != nil {
		c.t.Fatal(err)
	}
	e := recorded[len(recorded)-1]
	return e.ID, c.redeliver(e)
}

func (c *component) redeliver(e eventlog.RecordedEvent) error {
	return adapters.OnCaseResolved(c.app)(context.Background(), e)
}

func (c *component) get(path, token string) (int, map[string]any) {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	c.http.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		c.t.Fatalf("GET %s: %d %q is not JSON", path, rec.Code, rec.Body.String())
	}
	return rec.Code, body
}

func (c *component) post(path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	c.http.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		c.t.Fatalf("POST %s: %d %q is not JSON", path, rec.Code, rec.Body.String())
	}
	return rec.Code, out
}

func types(events []eventlog.RecordedEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, strings.TrimPrefix(e.Type, "complaints.v1."))
	}
	return out
}

func (c *component) redressEvents(complaintID string) []eventlog.RecordedEvent {
	c.t.Helper()
	events, err := c.log.ReadStream(context.Background(), eventlog.StreamName(domain.Category, complaintID), eventlog.FromStart)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return events
}

func TestAResolvedComplaintGetsItsRedressRequestedAndIssuedOnceConfirmed(t *testing.T) {
	c := start(t, "")
	id := uuid.NewString()
	causation, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_UPHELD, "broadband", "network.outage")
	if err != nil {
		t.Fatal(err)
	}
	code, body := c.get("/v1/redress/"+id, "agent-token")
	if code != http.StatusOK || body["status"] != "issuing" || body["kind"] != "account_credit" ||
		body["amount_minor"] != 2500.0 || body["policy_rule"] != "upheld-broadband-outage" || body["total_minor"] != 2500.0 {
		t.Fatalf("GET redress: %d %v", code, body)
	}
	by, _ := body["decided_by"].(map[string]any)
	if by["policy"] != "redress" || by["rule_id"] != "upheld-broadband-outage" || !strings.HasPrefix(by["version"].(string), "2026-11-26+") {
		t.Fatalf("decided_by %v", body["decided_by"])
	}
	events := c.redressEvents(id)
	if got := types(events); len(got) != 2 || got[1] != "RedressIssuanceRequested" {
		t.Fatalf("events %v, want RedressDecided and RedressIssuanceRequested", got)
	}
	for _, e := range events {
		if e.Metadata.Actor != "system:compensation" || e.Metadata.CausationID != causation || e.Metadata.ComplaintID != id {
			t.Fatalf("event %s metadata %+v: want actor system:compensation caused by %s", e.Type, e.Metadata, causation)
		}
	}
	// The bus delivers at least once: the same CaseResolved again adds nothing.
	resolved, _ := c.log.ReadStream(context.Background(), eventlog.StreamName("case", id), eventlog.FromStart)
	if err := c.redeliver(resolved[0]); err != nil {
		t.Fatal(err)
	}
	if n := len(c.redressEvents(id)); n != 2 {
		t.Fatalf("after a redelivery %d redress events, want still 2", n)
	}
	// The payment system confirms, twice: issued once, settled once.
	iid := domain.IssuanceID(id, "1-0")
	path := "/v1/redress/" + id + "/issuances/" + iid + "/confirmation"
	for i, wantDup := range []bool{false, true} {
		code, out := c.post(path, "payments-token", map[string]any{"status": "issued", "external_reference": "PAY-1"})
		if code != 200 || out["duplicate"] != wantDup || out["status"] != "issued" || out["redress_status"] != "issued" {
			t.Fatalf("confirmation %d: %d %v", i, code, out)
		}
	}
	events = c.redressEvents(id)
	if got := types(events); len(got) != 5 || got[2] != "RedressIssued" || got[3] != "RedressSettled" || got[4] != "NotificationRequested" {
		t.Fatalf("events %v", got)
	}
	// The customer is told what was issued.
	m, err := es.Decode(events[4])
	if err != nil {
		t.Fatal(err)
	}
	if n := m.(*complaintsv1.NotificationRequested); n.Purpose != "redress-issued" || !strings.Contains(n.Text, "an account credit of 25.00 GBP") {
		t.Fatalf("notification %v", n)
	}
	// Nothing but the payment system confirms: not an agent, not another
	// company system, not an admin.
	for _, token := range []string{"agent-token", "crm-token", "admin-token"} {
		if code, out := c.post(path, token, map[string]any{"status": "issued"}); code != 403 {
			t.Fatalf("%s confirmed: %d %v", token, code, out)
		}
	}
	if code, out := c.post("/v1/redress/"+id+"/issuances/nope/confirmation", "payments-token", map[string]any{"status": "issued"}); code != 404 {
		t.Fatalf("unknown issuance: %d %v", code, out)
	}
	if code, out := c.post(path, "payments-token", map[string]any{"status": "failed"}); code != 400 {
		t.Fatalf("failure without reason: %d %v", code, out)
	}
}

func TestARejectedComplaintWithAnApologyOnlyIsSettledAtOnce(t *testing.T) {
	c := start(t, "")
	id := uuid.NewString()
	if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_REJECTED, "tv", "service.delay"); err != nil {
		t.Fatal(err)
	}
	if got := types(c.redressEvents(id)); len(got) != 2 || got[1] != "RedressSettled" {
		t.Fatalf("events %v", got)
	}
}

func TestRedressReadsNeedAStaffRoleThatMayReadRedress(t *testing.T) {
	c := start(t, "")
	id := uuid.NewString()
	if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_REJECTED, "tv", "billing.error"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 401}, {"forged", 401}, {"owner-token", 403}, {"auditor-token", 200}, {"agent-token", 200}} {
		if code, body := c.get("/v1/redress/"+id, tc.token); code != tc.want {
			t.Errorf("token %q: %d %v, want %d", tc.token, code, body, tc.want)
		}
	}
	if code, body := c.get("/v1/redress-policy", "owner-token"); code != 200 || len(body["rules"].([]any)) != 8 {
		t.Errorf("policy for a process owner: %d %v", code, body)
	}
}

func TestRedressNotDecidedYetIsNotFound(t *testing.T) {
	c := start(t, "")
	for _, id := range []string{uuid.NewString(), "not-an-id"} {
		if code, body := c.get("/v1/redress/"+id, "agent-token"); code != http.StatusNotFound {
			t.Errorf("redress of %s: %d %v, want 404", id, code, body)
		}
	}
}

func TestACompanyChangesARuleWithoutCodeThroughConfigDir(t *testing.T) {
	dir := t.TempDir()
	file := `version: "acme-2"
auto_approve_limit_minor: 3000
rules:
  - id: outage-distress
    outcome: upheld
    root_causes: [network.*]
    kind: distress_and_inconvenience
    amount_minor: 5000
    currency: EUR
  - id: upheld-refund
    outcome: upheld
    kind: refund
    amount_minor: 2000
    currency: EUR
`
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	id := uuid.NewString()
	if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_UPHELD, "broadband", "network.outage"); err != nil {
		t.Fatal(err)
	}
	code, body := c.get("/v1/redress/"+id, "agent-token")
	by, _ := body["decided_by"].(map[string]any)
	// 5000 is above the company's limit of 3000: decided, awaiting approval.
	if code != 200 || body["status"] != "awaiting_approval" || body["approval_reason"] != "over-limit" || body["amount_minor"] != 5000.0 || body["currency"] != "EUR" ||
		by["rule_id"] != "outage-distress" || !strings.HasPrefix(by["version"].(string), "acme-2+") {
		t.Fatalf("GET redress under the company's policy: %d %v", code, body)
	}
	if got := types(c.redressEvents(id)); len(got) != 2 || got[1] != "RedressApprovalRequested" {
		t.Fatalf("events %v, want RedressDecided and RedressApprovalRequested (not requested above the limit)", got)
	}
	// Four eyes: the agent who resolved may not approve, whatever their roles.
	if code, out := c.post("/v1/redress/"+id+"/approval", "resolver-approver-token", map[string]any{"decision": "approve"}); code != 409 {
		t.Fatalf("the resolver approved: %d %v", code, out)
	}
	if code, out := c.post("/v1/redress/"+id+"/approval", "approver-token", map[string]any{"decision": "reject"}); code != 400 {
		t.Fatalf("a rejection without reason: %d %v", code, out)
	}
	code, out := c.post("/v1/redress/"+id+"/approval", "approver-token", map[string]any{"decision": "approve"})
	if code != 200 || out["status"] != "issuing" || out["approved_by"] != "agent:boss-1" {
		t.Fatalf("approval: %d %v", code, out)
	}
	if code, out := c.post("/v1/redress/"+id+"/approval", "approver-token", map[string]any{"decision": "approve"}); code != 409 {
		t.Fatalf("a second approval: %d %v", code, out)
	}
}

func TestAnExhaustedBudgetSendsRedressToAnApproverAndTheBudgetsShowIt(t *testing.T) {
	dir := t.TempDir()
	file := `version: "tight"
currency: GBP
auto_approve_limit_minor: 10000
budgets: {monthly_minor: {financial-loss: 3000}}
rules:
  - {id: refund, outcome: upheld, kind: refund, amount_minor: 2000}
`
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	first, second := uuid.NewString(), uuid.NewString()
	for _, id := range []string{first, second} {
		if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_UPHELD, "tv", "billing.error"); err != nil {
			t.Fatal(err)
		}
	}
	if _, body := c.get("/v1/redress/"+first, "agent-token"); body["status"] != "issuing" {
		t.Fatalf("first: %v", body)
	}
	if _, body := c.get("/v1/redress/"+second, "agent-token"); body["status"] != "awaiting_approval" || body["approval_reason"] != "budget-exhausted" {
		t.Fatalf("second: %v", body)
	}
	code, body := c.get("/v1/redress-budgets", "owner-token")
	b := body["budgets"].([]any)[0].(map[string]any)
	if code != 200 || b["category"] != "financial-loss" || b["used_minor"] != 2000.0 || b["remaining_minor"] != 1000.0 {
		t.Fatalf("budgets: %d %v", code, body)
	}
	// An approver lets it through: recorded over budget.
	if code, out := c.post("/v1/redress/"+second+"/approval", "approver-token", map[string]any{"decision": "approve"}); code != 200 {
		t.Fatalf("approval: %d %v", code, out)
	}
	_, body = c.get("/v1/redress-budgets", "owner-token")
	b = body["budgets"].([]any)[0].(map[string]any)
	if b["used_minor"] != 4000.0 || b["over_budget_minor"] != 1000.0 || b["remaining_minor"] != 0.0 {
		t.Fatalf("budgets after the approval: %v", body)
	}
}

func TestABrokenPolicyFileStopsTheStartNamingFileAndField(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte("version: \"x\"\nrules:\n  - {id: r, outcome: upheld, kind: cash}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := compensation.New(compensation.Config{ConfigDir: dir})(host.Deps{})
	var pe *policy.Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "redress.yaml: rules[0].kind:") {
		t.Fatalf("got %v, want the start refused naming redress.yaml and rules[0].kind", err)
	}
}

// A resolution the policy has no rule for earns nothing, and is settled at
// once so that its follow-up starts.
func TestAResolutionWithoutARuleIsSettledWithNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte("version: \"x\"\nrules:\n  - {id: r, outcome: rejected, kind: apology}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	id := uuid.NewString()
	if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_UPHELD, "tv", "billing.error"); err != nil {
		t.Fatal(err)
	}
	if got := types(c.redressEvents(id)); len(got) != 2 || got[1] != "RedressSettled" {
		t.Fatalf("events %v", got)
	}
}

func TestConfigDirIsReadFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONFIG_DIR", dir)
	cfg, err := compensation.ConfigFromEnv()
	if err != nil || cfg.ConfigDir != dir {
		t.Fatalf("config %+v, %v; want ConfigDir %s", cfg, err, dir)
	}
}

// Concurrent decisions share one budget stream: the expected revision makes
// every reservation decide on the one before it, so the budget never takes
// more than its limit.
func TestConcurrentDecisionsNeverOverspendABudget(t *testing.T) {
	dir := t.TempDir()
	file := `version: "tight"
currency: GBP
auto_approve_limit_minor: 5000
budgets: {monthly_minor: {goodwill: 10000}}
rules:
  - {id: gesture, outcome: partly_upheld, kind: goodwill_gesture, amount_minor: 1000}
`
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		ids[i] = uuid.NewString()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.resolve(ids[i], complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD, "tv", "service.delay"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	issuing, waiting := 0, 0
	for _, id := range ids {
		_, body := c.get("/v1/redress/"+id, "agent-token")
		switch {
		case body["status"] == "issuing":
			issuing++
		case body["status"] == "awaiting_approval" && body["approval_reason"] == "budget-exhausted":
			waiting++
		default:
			t.Fatalf("redress %v", body)
		}
	}
	_, body := c.get("/v1/redress-budgets", "owner-token")
	b := body["budgets"].([]any)[0].(map[string]any)
	if issuing != 10 || waiting != n-10 || b["used_minor"] != 10000.0 || b["remaining_minor"] != 0.0 || b["reservations"] != 10.0 {
		t.Fatalf("%d issuing, %d waiting, budgets %v", issuing, waiting, body)
	}
}

// A pending approval escalates when its timer fires for the deadline the
// redress holds; a stale firing (another due time) changes nothing, and a
// firing delivered twice escalates once.
func TestAPendingApprovalEscalatesWhenItsTimerFires(t *testing.T) {
	dir := t.TempDir()
	file := `version: "escalating"
currency: GBP
auto_approve_limit_minor: 0
approval:
  levels: [{role: approver, limit_minor: 5000}, {role: admin, limit_minor: 50000}]
  escalate_after: 2h
rules:
  - {id: refund, outcome: upheld, kind: refund, amount_minor: 2000}
`
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	id := uuid.NewString()
	if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_UPHELD, "tv", "billing.error"); err != nil {
		t.Fatal(err)
	}
	red, err := c.app.Redress(context.Background(), id)
	if err != nil || red.EscalateAt.IsZero() || red.ApproverRole != "approver" {
		t.Fatalf("redress %+v, %v", red, err)
	}
	fire := func(due time.Time) {
		t.Helper()
		f := timer.Fired{Service: app.ServiceName, ID: id + "_approval-escalation", Due: due, Kind: app.KindEscalateApproval,
			ComplaintID: id, FireID: "compensation." + id + "_approval-escalation@" + due.Format(time.RFC3339Nano)}
		if err := c.app.OnTimer(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	fire(red.EscalateAt.Add(-time.Hour))
	fire(red.EscalateAt)
	fire(red.EscalateAt)
	got := types(c.redressEvents(id))
	if len(got) != 3 || got[2] != "RedressApprovalEscalated" {
		t.Fatalf("events %v", got)
	}
	if _, body := c.get("/v1/redress/"+id, "agent-token"); body["approver_role"] != "admin" || body["status"] != "awaiting_approval" {
		t.Fatalf("redress %v", body)
	}
}
