package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation"
	compadapters "github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/tools/client"
)

// approvalPolicy sends every outage's 50.00 to an approver (over the 30.00
// limit) and issues a billing refund of 10.00 at once: the default policy
// issues everything at once, so the whole system never lists any.
const approvalPolicy = `version: "tools-client-1"
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

// compensationAPI serves compensation's own HTTP routes over the memory
// log, deciding redress on every CaseResolved appended to it and keeping
// the list of redress awaiting approval, as the service does.
func compensationAPI(t *testing.T) (string, eventlog.Log) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(approvalPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := compensation.LoadPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := memlog.New()
	comp := compensation.NewApp(log, p, nil)
	awaiting, err := compadapters.NewAwaiting(ctx, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	comp.WithAwaiting(awaiting)
	done := make(chan struct{})
	go func() { defer close(done); _ = awaiting.Run(ctx) }()
	sub, err := log.Subscribe(ctx, eventlog.Beginning, eventlog.Filter{Categories: []string{"case"}, EventTypes: []string{compadapters.CaseResolvedType}},
		compadapters.OnCaseResolved(comp))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	compadapters.HTTP{App: comp}.Routes(mux)
	srv := httptest.NewServer(auth.Authenticate(auth.StaticTokens{
		"approver-token": {Subject: "boss-1", Roles: []auth.Role{auth.RoleApprover}},
		"owner-token":    {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	}, mux))
	t.Cleanup(func() { srv.Close(); sub.Stop(); cancel(); <-done; _ = log.Close() })
	return srv.URL, log
}

// resolved appends the CaseResolved resolution would record.
func resolved(t *testing.T, log eventlog.Log, id, agent, cause string) {
	t.Helper()
	data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD,
		Product: "broadband", RootCause: cause, ResolvedBy: agent, Resolution: 1},
		eventlog.Metadata{ComplaintID: id, Service: "resolution", Actor: eventlog.NewActor(eventlog.ActorAgent, agent)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := log.Append(context.Background(), eventlog.StreamName("case", id), eventlog.Any(), data); err != nil {
		t.Fatal(err)
	}
}

// An approver's client lists the redress waiting for a decision page by
// page, the longest waiting first, with the approver's token.
func TestClientListsTheRedressAwaitingApproval(t *testing.T) {
	url, log := compensationAPI(t)
	ctx := testContext(t)
	first, second, third, small := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	resolved(t, log, first, "agent-7", "network.outage")
	resolved(t, log, small, "agent-7", "billing.incorrect-charge")
	resolved(t, log, second, "agent-9", "network.outage")
	resolved(t, log, third, "agent-7", "network.outage")

	// The approver's token alone: a call sent with another role's would
	// carry none and be refused.
	c := client.New(url, 1)
	c.Auth = client.Credentials{ByRole: map[string]string{client.RoleApprover: "approver-token"}}
	all, err := client.WaitFor(ctx, client.Backoff{}, func(ctx context.Context) (client.RedressAwaitingList, error) {
		return c.RedressAwaitingApproval(ctx, "", 0)
	}, func(l client.RedressAwaitingList) bool { return len(l.Items) == 3 })
	if err != nil {
		t.Fatal(err)
	}
	if all.NextCursor != "" {
		t.Fatalf("three waiting, one page of 100: next cursor %q", all.NextCursor)
	}
	got := all.Items[1]
	if got.ComplaintID != second || got.Status != client.RedressAwaitingApproval || got.TotalMinor != 5000 || got.Currency != "EUR" ||
		got.Kind != "distress_and_inconvenience" || got.ResolvedBy != "agent-9" || got.ApprovalReason != "over-limit" ||
		got.PolicyRule != "outage-distress" || len(got.Items) != 1 || got.DecidedAt.IsZero() {
		t.Fatalf("second waiting: %+v", got)
	}

	page, err := c.RedressAwaitingApproval(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].ComplaintID != first || page.Items[1].ComplaintID != second || page.NextCursor == "" {
		t.Fatalf("first page of 2: %+v", page)
	}
	page, err = c.RedressAwaitingApproval(ctx, page.NextCursor, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ComplaintID != third || page.NextCursor != "" {
		t.Fatalf("second page of 2: %+v", page)
	}

	_, err = c.RedressAwaitingApproval(ctx, "", 501)
	if p, ok := client.AsProblem(err); !ok || p.Status != http.StatusBadRequest {
		t.Fatalf("a page of 501: %v", err)
	} else if _, ok := p.Field("limit"); !ok {
		t.Fatalf("problem does not name limit: %+v", p)
	}
	_, err = c.RedressAwaitingApproval(ctx, "not-a-cursor", 0)
	if p, ok := client.AsProblem(err); !ok || p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a cursor no page gave: %v", err)
	} else if _, ok := p.Field("cursor"); !ok {
		t.Fatalf("problem does not name cursor: %+v", p)
	}

	// A process owner's token is refused: the list is the approvers'.
	owner := client.New(url, 1)
	owner.Auth = client.Credentials{Token: "owner-token"}
	if _, err := owner.RedressAwaitingApproval(ctx, "", 0); err == nil {
		t.Fatal("a process owner listed the redress awaiting approval")
	} else if p, ok := client.AsProblem(err); !ok || p.Status != http.StatusForbidden {
		t.Fatalf("a process owner's list: %v", err)
	}
}
