package intake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// raw answers a GET with its status and body as sent.
func (c *component) raw(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// customerView is the complaint's view with the customer token, checked
// on its raw body for every sign of staff-only data.
func customerView(t *testing.T, c *component, id, token string) map[string]any {
	t.Helper()
	status, body := c.raw(t, "/v1/complaints/"+id, token)
	if status != http.StatusOK {
		t.Fatalf("show with the customer token: %d %s", status, body)
	}
	for _, staffOnly := range []string{"agent-secret", "secret", "escalat", "decided_by", "approv", "over-limit", "flags", "legal-threat",
		"severity", "priority", "tier", "root_cause", "review", "transfer", "effort", "clocks", "policy", "resolved_by",
		"ada@example.com", "ada lovelace", "cust-1"} {
		if strings.Contains(strings.ToLower(body), staffOnly) {
			t.Errorf("the customer view holds %q: %s", staffOnly, body)
		}
	}
	var view map[string]any
	if err := json.Unmarshal([]byte(body), &view); err != nil {
		t.Fatal(err)
	}
	return view
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A customer's token opens the customer's view of their complaint: where
// it stands, by when, who handles it, what they are asked, the redress
// decided. Nothing of the staff's working reaches them: agent ids, triage,
// escalations, transfer reasons, notes, approval, the rules that decided.
// The timeline, the staff's audit trail, is refused them.
func TestACustomerTokenGetsTheCustomerViewAndNoStaffData(t *testing.T) {
	c := start(t)
	res := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	if res.status != http.StatusCreated {
		t.Fatalf("submit: %d %v", res.status, res.body)
	}
	id, token := res.body["id"].(string), res.body["customer_token"].(string)
	at := timestamppb.New(now)
	resolution := func(events ...proto.Message) {
		for _, e := range events {
			c.record(t, "case-"+id, id, "resolution", e)
		}
	}

	resolution(
		&complaintsv1.CaseOpened{ComplaintId: id, CustomerId: "cust-1", OpenedAt: at},
		&complaintsv1.CaseTriaged{ComplaintId: id, Severity: "critical", Priority: 1, Flags: []string{"legal-threat"},
			ReviewRequired: true, DecidedBy: &complaintsv1.PolicyRef{Policy: "triage", RuleId: "secret-triage-rule"}},
		&complaintsv1.CaseAssigned{ComplaintId: id, Team: "billing", AssignedBy: "agent-secret-1", Agent: "agent-secret-1",
			AgentDisplayName: "Sam from Billing"},
		&complaintsv1.CaseEscalated{ComplaintId: id, Tier: 2, Reason: "secret-escalation-reason", EscalatedBy: "agent-secret-2"},
		&complaintsv1.CaseTransferred{ComplaintId: id, FromTeam: "billing", ToTeam: "network-support",
			Reason: "secret-transfer-reason", TransferredBy: "agent-secret-3"},
		&complaintsv1.CaseClaimed{ComplaintId: id, Agent: "agent-secret-4", AgentDisplayName: "Kim from Network Support"},
		&complaintsv1.CaseReviewed{ComplaintId: id, Reviewer: "agent-secret-5", Notes: "secret internal note"},
		&complaintsv1.InformationRequested{ComplaintId: id, RequestId: "r-1", Question: "Which router do you have?",
			RequestedBy: "agent-secret-4", RequestedAt: at, InformationRequests: 1},
		&complaintsv1.InformationProvided{ComplaintId: id, RequestId: "r-1", Answer: "secret answer"},
		&complaintsv1.InformationRequested{ComplaintId: id, RequestId: "r-2", Question: "When did it stop?",
			RequestedBy: "agent-secret-4", RequestedAt: at, InformationRequests: 2},
	)
	view := customerView(t, c, id, token)
	if got, want := mustJSON(t, view["information_requests"]), `[{"question":"When did it stop?","request_id":"r-2","requested_at":"2026-11-20T09:30:00Z"}]`; got != want {
		t.Errorf("open information requests: %s, want %s", got, want)
	}
	if view["status"] != "awaiting_customer" || view["survey"] != "not_requested" || view["redress"] != nil {
		t.Errorf("before resolution: %v", view)
	}

	resolution(&complaintsv1.CaseResolved{ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "secret.root-cause",
		Summary: "secret resolution summary", ResolvedBy: "agent-secret-4", ResolvedAt: at, Team: "network-support"})
	c.record(t, "redress-"+id, id, "compensation", &complaintsv1.RedressDecided{ComplaintId: id,
		Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, AmountMinor: 2500, Currency: "GBP", PolicyRule: "secret-rule",
		DecidedBy:        &complaintsv1.PolicyRef{Policy: "redress", Version: "secret-version", RuleId: "secret-rule"},
		ApprovalRequired: true, ApprovalReason: "over-limit", ResolvedBy: "agent-secret-4", ResolverActor: "agent:agent-secret-4",
		Items: []*complaintsv1.RedressItem{
			{ItemId: "1-0", Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, AmountMinor: 2500, Currency: "GBP"},
			{ItemId: "1-1", Kind: complaintsv1.RedressKind_REDRESS_KIND_APOLOGY}}})
	c.record(t, "followup-"+id, id, "followup", &complaintsv1.SurveyRequested{ComplaintId: id, RequestedAt: at, Resolution: 1})

	view = customerView(t, c, id, token)
	want := map[string]any{
		"id": id, "reference": res.body["reference"], "status": "awaiting_feedback", "respond_by": "2026-12-04T23:59:59Z",
		"outcome": "upheld", "resolved_at": "2026-11-20T09:30:00Z",
		"handled_by":           map[string]any{"team": "network-support", "name": "Kim from Network Support"},
		"information_requests": []any{},
		"redress": map[string]any{"items": []any{
			map[string]any{"kind": "account_credit", "amount_minor": 2500, "currency": "GBP"},
			map[string]any{"kind": "apology", "amount_minor": 0}}, "issued": false},
		"survey": "requested",
	}
	for k, w := range want {
		if got, want := mustJSON(t, view[k]), mustJSON(t, w); got != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if now, _ := view["now"].(string); now == "" {
		t.Errorf("no word on what is happening now: %v", view)
	}

	// The timeline is the staff's audit trail: a customer token is refused.
	if status, body := c.raw(t, "/v1/complaints/"+id+"/timeline", token); status != http.StatusForbidden ||
		!strings.Contains(body, "/problems/forbidden") || strings.Contains(body, "agent-secret") {
		t.Fatalf("timeline with the customer token: %d %s", status, body)
	}

	// Staff still get the whole view and the timeline.
	status, body := c.raw(t, "/v1/complaints/"+id, "agent-token")
	if status != http.StatusOK {
		t.Fatalf("show with the agent token: %d %s", status, body)
	}
	for _, staffData := range []string{`"agent":"agent-secret-4"`, `"flags":["legal-threat"]`, `"tier":2`, `"name":"Ada Lovelace"`,
		`"root_cause":"secret.root-cause"`} {
		if !strings.Contains(body, staffData) {
			t.Errorf("the staff view lacks %s: %s", staffData, body)
		}
	}
	if status, body := c.raw(t, "/v1/complaints/"+id+"/timeline", "auditor-token"); status != http.StatusOK || !strings.Contains(body, "secret-escalation-reason") {
		t.Fatalf("timeline with the auditor token: %d %s", status, body)
	}
}
