package compensation_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// withAwaiting runs the list of redress awaiting approval over the
// component's log, as the service does.
func (c *component) withAwaiting() {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := adapters.NewAwaiting(ctx, c.log, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.app.WithAwaiting(a)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	c.t.Cleanup(func() { cancel(); <-done })
}

// resolveBy appends a CaseResolved recorded by agent and hands it to the
// consumer.
func (c *component) resolveBy(complaintID, agent, product, cause string) {
	c.t.Helper()
	ctx := context.Background()
	data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{ComplaintId: complaintID, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD,
		Product: product, RootCause: cause, ResolvedBy: agent},
		eventlog.Metadata{ComplaintID: complaintID, Service: "resolution", Actor: eventlog.NewActor(eventlog.ActorAgent, agent)})
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
	if err := c.redeliver(recorded[len(recorded)-1]); err != nil {
		c.t.Fatal(err)
	}
}

func awaitingIDs(body map[string]any) []string {
	var ids []string
	items, _ := body["items"].([]any)
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["complaint_id"].(string))
	}
	return ids
}

// An approver lists every redress waiting for a decision, with what was
// decided and who proposed it; a decision takes it off the list. Readers of
// redress and admins may list, no one else.
func TestAnApproverListsTheRedressAwaitingApproval(t *testing.T) {
	dir := t.TempDir()
	file := `version: "acme-4"
auto_approve_limit_minor: 3000
rules:
  - id: outage-distress
    outcome: upheld
    root_causes: [network.*]
    kind: distress_and_inconvenience
    amount_minor: 5000
    currency: EUR
  - id: billing-refund
    outcome: upheld
    root_causes: [billing.*]
    kind: refund
    amount_minor: 1000
    currency: EUR
`
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	c.withAwaiting()
	first, second, small := uuid.NewString(), uuid.NewString(), uuid.NewString()
	c.resolveBy(first, "agent-7", "broadband", "network.outage")
	c.resolveBy(second, "agent-9", "broadband", "network.outage")
	c.resolveBy(small, "agent-7", "billing", "billing.double-charge")

	const path = "/v1/redress?status=awaiting_approval"
	var body map[string]any
	testkit.Eventually(t, "both redress over the limit listed", func() bool {
		var code int
		code, body = c.get(path, "approver-token")
		return code == 200 && len(awaitingIDs(body)) == 2
	})
	if ids := awaitingIDs(body); ids[0] != first || ids[1] != second {
		t.Fatalf("listed %v, want %s then %s (the longest waiting first)", ids, first, second)
	}
	got := body["items"].([]any)[0].(map[string]any)
	want := map[string]any{"complaint_id": first, "status": "awaiting_approval", "kind": "distress_and_inconvenience",
		"total_minor": 5000.0, "currency": "EUR", "approval_reason": "over-limit", "resolved_by": "agent-7",
		"policy_rule": "outage-distress", "resolution": 1.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (%v)", k, got[k], v, got)
		}
	}
	if items, _ := got["items"].([]any); len(items) != 1 {
		t.Errorf("items %v, want one", got["items"])
	}

	// Pages.
	code, page := c.get(path+"&limit=1", "approver-token")
	cursor, _ := page["next_cursor"].(string)
	if code != 200 || fmt.Sprint(awaitingIDs(page)) != fmt.Sprint([]string{first}) || cursor == "" {
		t.Fatalf("first page: %d %v", code, page)
	}
	code, page = c.get(path+"&limit=1&cursor="+cursor, "approver-token")
	if code != 200 || fmt.Sprint(awaitingIDs(page)) != fmt.Sprint([]string{second}) || page["next_cursor"] != nil {
		t.Fatalf("second page: %d %v", code, page)
	}

	// A decision takes the redress off the list.
	if code, out := c.post("/v1/redress/"+first+"/approval", "approver-token", map[string]any{"decision": "approve"}); code != 200 {
		t.Fatalf("approval: %d %v", code, out)
	}
	if code, out := c.post("/v1/redress/"+second+"/approval", "approver-token", map[string]any{"decision": "reject", "reason": "covered by the outage credit"}); code != 200 {
		t.Fatalf("rejection: %d %v", code, out)
	}
	testkit.Eventually(t, "the decided redress off the list", func() bool {
		code, body := c.get(path, "approver-token")
		return code == 200 && len(awaitingIDs(body)) == 0
	})

	for token, status := range map[string]int{"agent-token": 200, "auditor-token": 200, "admin-token": 200,
		"owner-token": 403, "crm-token": 403, "payments-token": 403, "": 401} {
		if code, out := c.get(path, token); code != status {
			t.Errorf("token %q: %d %v, want %d", token, code, out, status)
		}
	}
	for _, bad := range []string{"/v1/redress", "/v1/redress?status=issuing", path + "&limit=0", path + "&limit=501", path + "&limit=x"} {
		if code, out := c.get(bad, "approver-token"); code != 400 {
			t.Errorf("GET %s: %d %v, want 400", bad, code, out)
		}
	}
	if code, out := c.get(path+"&cursor=bm90LWEtY3Vyc29y", "approver-token"); code != 422 {
		t.Errorf("a cursor no page gave: %d %v, want 422", code, out)
	}
}
