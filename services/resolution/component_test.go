package resolution_test

// Component tests: resolution's application, its HTTP adapter and its
// consumer on their own, over the in-memory event log and static bearer
// tokens. No NATS server: the consumer is fed by the memory log's
// subscription.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/resolution"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

var tokens = auth.StaticTokens{
	"agent-token":    {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
	"approver-token": {Subject: "approver-1", Roles: []auth.Role{auth.RoleApprover}},
	"auditor-token":  {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	"owner-token":    {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	"crm-token":      {Subject: "crm", Roles: []auth.Role{auth.RoleIntakeSystem}},
}

type component struct {
	log *memlog.Log
	app *app.Resolution
	url string
}

func start(t *testing.T, configDir string) *component {
	t.Helper()
	p, err := resolution.LoadPolicy(configDir)
	if err != nil {
		t.Fatal(err)
	}
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	a := app.New(app.Deps{Log: log, Policy: p})
	mux := http.NewServeMux()
	adapters.HTTP{App: a}.Routes(mux)
	srv := httptest.NewServer(auth.Authenticate(verifier{}, mux))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, s := range []struct {
		filter  eventlog.Filter
		handler func(context.Context, eventlog.RecordedEvent) error
	}{
		{eventlog.Filter{Categories: []string{"complaint"}, EventTypes: []string{adapters.ComplaintReceivedType}}, adapters.OnComplaintReceived(a)},
		{eventlog.Filter{Categories: []string{"followup"}, EventTypes: []string{adapters.SurveyAnsweredType}}, adapters.OnSurveyAnswered(a)},
		{eventlog.Filter{Categories: []string{"clock"}, EventTypes: []string{adapters.ClockBreachedType}}, adapters.OnClockBreached(a)},
		{eventlog.Filter{Categories: app.QueueCategories, EventTypes: app.QueueEventTypes}, adapters.OnQueueEvent(a)},
	} {
		sub, err := log.Subscribe(ctx, 0, s.filter, s.handler)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sub.Stop)
	}
	return &component{log: log, app: a, url: srv.URL}
}

// verifier knows the static tokens, and "customer-<complaint id>" as the
// capability token of customer cust-1 for that complaint.
type verifier struct{}

func (verifier) Verify(ctx context.Context, token string) (auth.Principal, error) {
	if id, ok := strings.CutPrefix(token, "customer-"); ok {
		return auth.Principal{Subject: "cust-1", Roles: []auth.Role{auth.RoleCustomer}, ComplaintID: id}, nil
	}
	return tokens.Verify(ctx, token)
}

// receive appends a ComplaintReceived as intake would, and waits until its
// case is open.
func (c *component) receive(t *testing.T, product string) string {
	t.Helper()
	return c.receiveComplaint(t, &complaintsv1.ComplaintReceived{Product: product, Description: "it does not work", Regime: "uk-fca"})
}

func (c *component) receiveComplaint(t *testing.T, rec *complaintsv1.ComplaintReceived) string {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	rec.ComplaintId, rec.Channel, rec.Reference, rec.CustomerId = id, "web", "CMP-TEST", "cust-1"
	c.append(t, "complaint", id, "intake", rec)
	testkit.Eventually(t, "a case opened for "+id, func() bool {
		cs, err := c.app.Case(context.Background(), id)
		return err == nil && cs.Status == domain.Open
	})
	return id
}

// append appends one event to category-id as service would.
func (c *component) append(t *testing.T, category, id, service string, m proto.Message) {
	t.Helper()
	e, err := es.Encode(uuid.Must(uuid.NewV7()).String(), m,
		eventlog.Metadata{ComplaintID: id, CausationID: id, Service: service, Actor: eventlog.NewActor(eventlog.ActorSystem, service)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.log.Append(context.Background(), category+"-"+id, eventlog.Any(), e); err != nil {
		t.Fatal(err)
	}
}

// caseEvents decodes the case stream of a complaint.
func (c *component) caseEvents(t *testing.T, id string) ([]eventlog.RecordedEvent, []any) {
	t.Helper()
	recorded, err := c.log.ReadStream(context.Background(), domain.Category+"-"+id, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]any, len(recorded))
	for i, e := range recorded {
		if msgs[i], err = es.Decode(e); err != nil {
			t.Fatal(err)
		}
	}
	return recorded, msgs
}

type response struct {
	status int
	body   map[string]any
}

func (c *component) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode}
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	return out
}

func TestACaseOpensRoutedIsTransferredAndResolved(t *testing.T) {
	c := start(t, "")
	id := c.receive(t, "broadband")

	for _, token := range []string{"agent-token", "auditor-token"} {
		res := c.do(t, "GET", "/v1/cases/"+id, token, nil)
		if res.status != 200 || res.body["status"] != "open" || res.body["team"] != "network-support" {
			t.Fatalf("show as %s: %d %v", token, res.status, res.body)
		}
	}
	res := c.do(t, "POST", "/v1/cases/"+id+"/assignment", "agent-token", map[string]any{"team": "billing", "agent": "agent-7"})
	if res.status != 200 || res.body["team"] != "billing" || res.body["transfers"] != float64(1) {
		t.Fatalf("assign: %d %v", res.status, res.body)
	}
	res = c.do(t, "POST", "/v1/cases/"+id+"/resolution", "agent-token",
		map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "line fixed", "agent": "agent-7"})
	if res.status != 200 || res.body["status"] != "resolved" || res.body["root_cause"] != "network.outage" {
		t.Fatalf("resolve: %d %v", res.status, res.body)
	}
	// Resolving again the same way changes nothing.
	res = c.do(t, "POST", "/v1/cases/"+id+"/resolution", "agent-token",
		map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "line fixed", "agent": "agent-7"})
	if res.status != 200 {
		t.Fatalf("resolve again: %d %v", res.status, res.body)
	}

	recorded, msgs := c.caseEvents(t, id)
	if len(msgs) != 8 {
		t.Fatalf("case events %v", msgs)
	}
	wantActors := []eventlog.Actor{app.Actor, app.Actor, app.Actor, "agent:agent-7", "agent:agent-7", "agent:agent-7", "agent:agent-7", "agent:agent-7"}
	for i, e := range recorded {
		if e.Metadata.Actor != wantActors[i] {
			t.Errorf("%s: actor %q, want %q", e.Type, e.Metadata.Actor, wantActors[i])
		}
	}
	routed := msgs[2].(*complaintsv1.CaseAssigned).GetDecidedBy()
	if routed.GetPolicy() != "routing" || routed.GetRuleId() != "network-products" || !strings.HasPrefix(routed.GetVersion(), "2026-11-25+") {
		t.Errorf("routing decided by %v", routed)
	}
	if tr := msgs[3].(*complaintsv1.CaseTransferred); tr.Reason != domain.DefaultTransferReason || tr.Transfers != 1 {
		t.Errorf("transfer %v", tr)
	}
	if owner := msgs[5].(*complaintsv1.NotificationRequested); owner.Purpose != "case-owner" {
		t.Errorf("case owner message %v", owner)
	}
	if final := msgs[7].(*complaintsv1.NotificationRequested); final.Template != "final-response.uk-fca" {
		t.Errorf("final response %v", final)
	}
	if transfer := msgs[4].(*complaintsv1.CaseAssigned).GetDecidedBy(); transfer != nil {
		t.Errorf("an agent's transfer names a policy: %v", transfer)
	}
	if resolved := msgs[6].(*complaintsv1.CaseResolved).GetDecidedBy(); resolved.GetPolicy() != "taxonomy" || resolved.GetVersion() == "" {
		t.Errorf("resolution decided by %v", resolved)
	}

	res = c.do(t, "GET", "/v1/root-causes", "owner-token", nil)
	if causes, _ := res.body["root_causes"].([]any); res.status != 200 || len(causes) != 10 {
		t.Fatalf("root causes: %d %v", res.status, res.body)
	}
}

func TestRefusals(t *testing.T) {
	c := start(t, "")
	open := c.receive(t, "tv")
	done := c.receive(t, "billing")
	if res := c.do(t, "POST", "/v1/cases/"+done+"/resolution", "agent-token",
		map[string]any{"outcome": "rejected", "root_cause": "billing.incorrect-charge"}); res.status != 200 {
		t.Fatalf("resolve: %d %v", res.status, res.body)
	}
	unknown := "0193e6a0-0000-7000-8000-000000000001"
	resolution := func(outcome, cause string) map[string]any {
		return map[string]any{"outcome": outcome, "root_cause": cause}
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"show without a token", "GET", "/v1/cases/" + open, "", nil, 401, ""},
		{"show as the intake system", "GET", "/v1/cases/" + open, "crm-token", nil, 403, ""},
		{"resolve as an auditor", "POST", "/v1/cases/" + open + "/resolution", "auditor-token", resolution("upheld", "network.outage"), 403, ""},
		{"assign as an auditor", "POST", "/v1/cases/" + open + "/assignment", "auditor-token", map[string]any{"team": "x"}, 403, ""},
		{"root causes without a token", "GET", "/v1/root-causes", "", nil, 401, ""},
		{"show an unknown case", "GET", "/v1/cases/" + unknown, "agent-token", nil, 404, ""},
		{"show a malformed id", "GET", "/v1/cases/nope", "agent-token", nil, 404, ""},
		{"resolve an unknown case", "POST", "/v1/cases/" + unknown + "/resolution", "agent-token", resolution("upheld", "network.outage"), 404, ""},
		{"assign an unknown case", "POST", "/v1/cases/" + unknown + "/assignment", "agent-token", map[string]any{"team": "x"}, 404, ""},
		{"assign without a team", "POST", "/v1/cases/" + open + "/assignment", "agent-token", map[string]any{"team": ""}, 400, "team"},
		{"resolve with a root cause outside the taxonomy", "POST", "/v1/cases/" + open + "/resolution", "agent-token", resolution("upheld", "lazy-engineer"), 400, "root_cause"},
		{"resolve without an outcome", "POST", "/v1/cases/" + open + "/resolution", "agent-token", resolution("", "network.outage"), 400, "outcome"},
		{"resolve a resolved case differently", "POST", "/v1/cases/" + done + "/resolution", "agent-token", resolution("upheld", "billing.incorrect-charge"), 409, ""},
		{"move a resolved case", "POST", "/v1/cases/" + done + "/assignment", "agent-token", map[string]any{"team": "network-support"}, 409, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.do(t, tc.method, tc.path, tc.token, tc.body)
			field := ""
			if errs, _ := res.body["errors"].([]any); len(errs) > 0 {
				field, _ = errs[0].(map[string]any)["field"].(string)
			}
			if res.status != tc.status || field != tc.field {
				t.Fatalf("answered %d (field %q) %v, want %d (field %q)", res.status, field, res.body, tc.status, tc.field)
			}
		})
	}
	if _, msgs := c.caseEvents(t, open); len(msgs) != 3 {
		t.Fatalf("the open case has %d events after refusals", len(msgs))
	}
}

// A company routes a product to another team by dropping a routing.yaml in
// CONFIG_DIR: the next case goes there, and its assignment names the new
// file's version and rule.
func TestAConfigDirectoryReroutesAProduct(t *testing.T) {
	dir := t.TempDir()
	routing := `version: "acme-2026-12"
rules:
  - id: tv-to-video
    products: [tv]
    team: video-support
default:
  id: everything-else
  team: customer-care
`
	if err := os.WriteFile(filepath.Join(dir, "routing.yaml"), []byte(routing), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	id := c.receive(t, "tv")
	_, msgs := c.caseEvents(t, id)
	a := msgs[2].(*complaintsv1.CaseAssigned)
	if a.Team != "video-support" || a.DecidedBy.GetRuleId() != "tv-to-video" || !strings.HasPrefix(a.DecidedBy.GetVersion(), "acme-2026-12+") {
		t.Fatalf("assigned %v", a)
	}
	// taxonomy.yaml is not in the directory: the default is in force.
	if res := c.do(t, "GET", "/v1/root-causes", "agent-token", nil); len(res.body["root_causes"].([]any)) != 10 {
		t.Fatalf("root causes %v", res.body)
	}

	if err := os.WriteFile(filepath.Join(dir, "routing.yaml"), []byte(strings.Replace(routing, "team: video-support", "teams: video-support", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := resolution.LoadPolicy(dir)
	if err == nil || !strings.Contains(err.Error(), `routing.yaml: line 5 column 5: unknown field "teams"`) {
		t.Fatalf("a misspelt field: %v", err)
	}
}

// The bus may deliver an event again: the consumer opens the case once.
func TestARedeliveredComplaintOpensNothingNew(t *testing.T) {
	c := start(t, "")
	id := c.receive(t, "delivery")
	received, err := c.log.ReadStream(context.Background(), "complaint-"+id, 0)
	if err != nil || len(received) != 1 {
		t.Fatalf("complaint stream %v, %v", received, err)
	}
	handle := adapters.OnComplaintReceived(c.app)
	for range 2 {
		if err := handle(context.Background(), received[0]); err != nil {
			t.Fatal(err)
		}
	}
	if _, msgs := c.caseEvents(t, id); len(msgs) != 3 || msgs[2].(*complaintsv1.CaseAssigned).Team != "logistics" {
		t.Fatalf("case events after redelivery: %v", msgs)
	}
}
