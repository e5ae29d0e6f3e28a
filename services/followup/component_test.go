package followup_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
)

// Component tests: follow-up's app and adapters alone, over the in-memory
// event log, called through its HTTP routes with static tokens and through
// its consumer with the events resolution would publish.

type component struct {
	t      *testing.T
	log    *memlog.Log
	app    *app.Followup
	http   http.Handler
	tokens auth.StaticTokens
}

func start(t *testing.T) *component {
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	a := followup.NewApp(log, nil)
	mux := http.NewServeMux()
	adapters.HTTP{App: a}.Routes(mux)
	tokens := auth.StaticTokens{
		"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
		"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	}
	return &component{t: t, log: log, app: a, http: auth.Authenticate(tokens, mux), tokens: tokens}
}

// customer issues the capability token of one complaint's customer.
func (c *component) customer(complaintID string) string {
	token := "customer-" + complaintID
	c.tokens[token] = auth.Principal{Subject: "cust-" + complaintID[:8], Roles: []auth.Role{auth.RoleCustomer}, ComplaintID: complaintID}
	return token
}

// resolve appends a CaseResolved as resolution would and hands it to the
// consumer.
func (c *component) resolve(complaintID string) {
	c.t.Helper()
	ctx := context.Background()
	data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{ComplaintId: complaintID, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "billing.error"},
		eventlog.Metadata{ComplaintID: complaintID, Service: "resolution"})
	if err != nil {
		c.t.Fatal(err)
	}
	stream := eventlog.StreamName("case", complaintID)
	if _, err := c.log.Append(ctx, stream, eventlog.Any(), data); err != nil {
		c.t.Fatal(err)
	}
	recorded, err := c.log.ReadStream(ctx, stream, eventlog.FromStart)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := adapters.OnCaseResolved(c.app)(ctx, recorded[len(recorded)-1]); err != nil {
		c.t.Fatal(err)
	}
}

func (c *component) do(method, path, token, body string) (int, map[string]any) {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	c.http.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		c.t.Fatalf("%s %s: %d %q is not JSON", method, path, rec.Code, rec.Body.String())
	}
	return rec.Code, out
}

func (c *component) events(complaintID string) []eventlog.RecordedEvent {
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

func TestTheCustomerAnswersTheSurveyWithTheirOwnTokenAndAYesClosesTheComplaint(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.resolve(id)
	if code, body := c.do("GET", "/v1/followups/"+id, "auditor-token", ""); code != 200 || body["status"] != "survey_requested" {
		t.Fatalf("GET after resolution: %d %v", code, body)
	}
	code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":5,"effort":1,"resolved":true,"comment":"fixed"}`)
	if code != 200 || body["status"] != "closed" || body["csat"] != 5.0 || body["resolved"] != true {
		t.Fatalf("answer: %d %v", code, body)
	}
	// The same answer again (a retried request) changes nothing.
	if code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":5,"effort":1,"resolved":true,"comment":"fixed"}`); code != 200 || body["status"] != "closed" {
		t.Fatalf("same answer again: %d %v", code, body)
	}

	events := c.events(id)
	want := []struct{ typ, actor string }{
		{es.TypeOf(&complaintsv1.SurveyRequested{}), "system:followup"},
		{es.TypeOf(&complaintsv1.SurveyAnswered{}), "customer:cust-" + id[:8]},
		{es.TypeOf(&complaintsv1.ComplaintClosed{}), "customer:cust-" + id[:8]},
	}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i, w := range want {
		if events[i].Type != w.typ || string(events[i].Metadata.Actor) != w.actor {
			t.Errorf("event %d: %s by %q, want %s by %q", i, events[i].Type, events[i].Metadata.Actor, w.typ, w.actor)
		}
	}
}

func TestAnAgentMayRecordTheAnswerTakenOnThePhone(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.resolve(id)
	if code, body := c.do("POST", "/v1/followups/"+id+"/answer", "agent-token", `{"csat":2,"effort":6,"resolved":false}`); code != 200 || body["status"] != "answered" {
		t.Fatalf("answer: %d %v", code, body)
	}
	if got := c.events(id)[1].Metadata.Actor; got != "agent:agent-7" {
		t.Fatalf("answer recorded by %q, want agent:agent-7", got)
	}
}

func TestRefusalsAnswerWithTheirKindNeverAsInternalErrors(t *testing.T) {
	c := start(t)
	id, other, unresolved := uuid.NewString(), uuid.NewString(), uuid.NewString()
	c.resolve(id)
	c.resolve(other)
	answer := "/v1/followups/" + id + "/answer"
	if code, body := c.do("POST", answer, c.customer(id), `{"csat":2,"effort":6,"resolved":false}`); code != 200 {
		t.Fatalf("first answer: %d %v", code, body)
	}
	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"no token", "POST", answer, "", `{"csat":2,"effort":6,"resolved":false}`, 401},
		{"another complaint's customer", "POST", answer, c.customer(other), `{"csat":2,"effort":6,"resolved":false}`, 403},
		{"a customer reading", "GET", "/v1/followups/" + id, c.customer(id), "", 403},
		{"an auditor answering", "POST", answer, "auditor-token", `{"csat":2,"effort":6,"resolved":false}`, 403},
		{"csat out of range", "POST", answer, c.customer(id), `{"csat":9,"effort":6,"resolved":false}`, 400},
		{"missing resolved", "POST", answer, c.customer(id), `{"csat":2,"effort":6}`, 400},
		{"a different second answer", "POST", answer, c.customer(id), `{"csat":5,"effort":1,"resolved":true}`, 409},
		{"no survey yet", "POST", "/v1/followups/" + unresolved + "/answer", c.customer(unresolved), `{"csat":5,"effort":1,"resolved":true}`, 404},
		{"no survey to read", "GET", "/v1/followups/" + unresolved, "agent-token", "", 404},
		{"not an id", "GET", "/v1/followups/nope", "agent-token", "", 404},
	} {
		if code, body := c.do(tc.method, tc.path, tc.token, tc.body); code != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, code, body, tc.want)
		}
	}
	if n := len(c.events(id)); n != 2 {
		t.Fatalf("%d events, want SurveyRequested and one SurveyAnswered", n)
	}
}
