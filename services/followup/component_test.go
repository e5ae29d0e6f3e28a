package followup_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Component tests: follow-up's app and adapters alone, over the in-memory
// event log, called through its HTTP routes with static tokens, through its
// consumer with the events compensation and resolution would publish, and
// through its timer handler with the firings the timers would deliver.

const day = 24 * time.Hour

// fakeTimers records the one pending timer per id, as the timer stream does.
type fakeTimers struct {
	mu      sync.Mutex
	pending map[string]timer.Timer
	cancels int
}

func (f *fakeTimers) Schedule(_ context.Context, t timer.Timer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending[t.ID] = t
	return nil
}

func (f *fakeTimers) Cancel(_ context.Context, _, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.pending, id)
	f.cancels++
	return nil
}

type component struct {
	t      *testing.T
	log    *memlog.Log
	app    *app.Followup
	http   http.Handler
	tokens auth.StaticTokens
	timers *fakeTimers
	silent *adapters.SilentFold
	now    time.Time
}

func start(t *testing.T) *component {
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	rules, err := followup.LoadRules("")
	if err != nil {
		t.Fatal(err)
	}
	c := &component{t: t, log: log, timers: &fakeTimers{pending: map[string]timer.Timer{}}, silent: adapters.NewSilentFold(),
		now: time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)}
	c.app = app.New(app.Ports{
		Followups: followup.Repository(log, rules, nil), Timers: c.timers, Complaints: adapters.Complaints{Log: log},
		Silent: foldedSilent{c.silent}, Now: func() time.Time { return c.now },
	})
	mux := http.NewServeMux()
	adapters.HTTP{App: c.app}.Routes(mux)
	c.tokens = auth.StaticTokens{
		"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
		"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
		"owner-token":   {Subject: "po-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	}
	c.http = auth.Authenticate(c.tokens, mux)
	return c
}

// customer issues the capability token of one complaint's customer.
func (c *component) customer(complaintID string) string {
	token := "customer-" + complaintID
	c.tokens[token] = auth.Principal{Subject: "cust-" + complaintID[:8], Roles: []auth.Role{auth.RoleCustomer}, ComplaintID: complaintID}
	return token
}

func (c *component) append(category, complaintID, service string, m proto.Message) eventlog.RecordedEvent {
	c.t.Helper()
	ctx := context.Background()
	data, err := es.Encode(uuid.NewString(), m, eventlog.Metadata{ComplaintID: complaintID, Service: service})
	if err != nil {
		c.t.Fatal(err)
	}
	stream := eventlog.StreamName(category, complaintID)
	if _, err := c.log.Append(ctx, stream, eventlog.Any(), data); err != nil {
		c.t.Fatal(err)
	}
	recorded, err := c.log.ReadStream(ctx, stream, eventlog.FromStart)
	if err != nil {
		c.t.Fatal(err)
	}
	return recorded[len(recorded)-1]
}

// received and resolved record what intake and resolution would.
func (c *component) received(id string) {
	c.append("complaint", id, "intake", &complaintsv1.ComplaintReceived{ComplaintId: id, CustomerId: "cust-9", Product: "broadband", Reference: "CMP-42"})
	c.append("case", id, "resolution", &complaintsv1.CaseAssigned{ComplaintId: id, Team: "network-ops"})
}

func (c *component) resolved(id string, resolution int32) {
	c.append("case", id, "resolution", &complaintsv1.CaseResolved{ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD,
		RootCause: "network.outage", Resolution: resolution})
}

// deliver hands a recorded event to the consumer, as the bus would.
func (c *component) deliver(e eventlog.RecordedEvent) {
	c.t.Helper()
	if err := adapters.OnRoundEvent(c.app)(context.Background(), e); err != nil {
		c.t.Fatal(err)
	}
}

// settle appends compensation's RedressSettled and delivers it.
func (c *component) settle(id string, resolution int32) eventlog.RecordedEvent {
	e := c.append("redress", id, "compensation", &complaintsv1.RedressSettled{ComplaintId: id, Resolution: resolution})
	c.deliver(e)
	return e
}

func (c *component) reopen(id string) {
	c.deliver(c.append("case", id, "resolution", &complaintsv1.CaseReopened{ComplaintId: id, Reason: "customer called"}))
}

// pending is the complaint's pending follow-up timer.
func (c *component) pending(id string) (timer.Timer, bool) {
	tid, _ := app.TimerID(id)
	c.timers.mu.Lock()
	defer c.timers.mu.Unlock()
	t, ok := c.timers.pending[tid]
	return t, ok
}

// fire moves the clock to the pending timer's due time and delivers it.
func (c *component) fire(id string) timer.Fired {
	c.t.Helper()
	t, ok := c.pending(id)
	if !ok {
		c.t.Fatalf("no pending timer for %s", id)
	}
	c.now = t.Due
	f := timer.Fired{Service: t.Service, ID: t.ID, Due: t.Due, FireID: t.Service + "." + t.ID + "@" + t.Due.Format(time.RFC3339Nano),
		Kind: t.Kind, ComplaintID: t.ComplaintID, ScheduledBy: t.Actor, Delivery: 1}
	if err := adapters.OnTimer(c.app)(context.Background(), f); err != nil {
		c.t.Fatal(err)
	}
	return f
}

func (c *component) do(method, path, token, body string, headers ...string) (int, map[string]any) {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
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

func (c *component) types(complaintID string) string {
	var names []string
	for _, e := range c.events(complaintID) {
		names = append(names, es.ShortType(e.Type))
	}
	return strings.Join(names, ",")
}

func (c *component) last(complaintID string) proto.Message {
	c.t.Helper()
	events := c.events(complaintID)
	m, err := es.Decode(events[len(events)-1])
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

func (c *component) status(id string) map[string]any {
	c.t.Helper()
	code, body := c.do("GET", "/v1/followups/"+id, "auditor-token", "")
	if code != 200 {
		c.t.Fatalf("GET follow-up: %d %v", code, body)
	}
	return body
}

func TestASettledResolutionIsFollowedUpAfterTheDelayAndAYesClosesTheComplaint(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.received(id)
	c.resolved(id, 1)
	settled := c.settle(id, 1)
	c.deliver(settled) // delivered twice: scheduled once

	if v := c.status(id); v["status"] != "scheduled" || v["round"] != 1.0 || v["survey_due"] != "2026-03-07T10:00:00Z" || v["team"] != "network-ops" || v["customer_id"] != "cust-9" {
		t.Fatalf("after settlement: %v", v)
	}
	if tm, ok := c.pending(id); !ok || !tm.Due.Equal(c.now.Add(2*day)) || tm.Kind != app.TimerKind {
		t.Fatalf("timer %+v %v", tm, ok)
	}
	code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":5,"effort":7,"resolved":true}`)
	if code != 404 {
		t.Fatalf("an answer before the survey: %d %v", code, body)
	}

	fired := c.fire(id)
	if v := c.status(id); v["status"] != "awaiting_answer" || v["next_due"] != "2026-03-10T10:00:00Z" {
		t.Fatalf("after the survey: %v", v)
	}
	n, ok := c.last(id).(*complaintsv1.NotificationRequested)
	if !ok || n.Purpose != "survey" || n.CustomerId != "cust-9" || !strings.Contains(n.Subject, "CMP-42") {
		t.Fatalf("survey notification %v", n)
	}
	// The same firing again (at-least-once delivery) changes nothing.
	if err := adapters.OnTimer(c.app)(context.Background(), fired); err != nil {
		t.Fatal(err)
	}

	code, body = c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":5,"effort":7,"nps":10,"resolved":true,"comment":"fixed"}`, "Idempotency-Key", "k-1")
	if code != 200 || body["status"] != "closed" {
		t.Fatalf("answer: %d %v", code, body)
	}
	// The customer is told it is closed; the staff's view holds the answer.
	v := c.status(id)
	if v["status"] != "closed" || v["closed_reason"] != "customer-confirmed-resolved" || v["csat"] != 5.0 {
		t.Fatalf("after the answer: %v", v)
	}
	if answers := v["answers"].([]any); len(answers) != 1 || answers[0].(map[string]any)["nps"] != 10.0 {
		t.Fatalf("answers %v", v["answers"])
	}
	// The same request again (a retry) changes nothing; a different one is refused.
	if code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":5,"effort":7,"nps":10,"resolved":true,"comment":"fixed"}`, "Idempotency-Key", "k-1"); code != 200 {
		t.Fatalf("retried answer: %d %v", code, body)
	}
	if code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":1,"effort":1,"resolved":true}`); code != 409 {
		t.Fatalf("a different answer: %d %v", code, body)
	}
	if got := c.types(id); got != "FollowUpScheduled,SurveyRequested,NotificationRequested,SurveyAnswered,ComplaintClosed" {
		t.Fatalf("events %s", got)
	}
	closed := c.last(id).(*complaintsv1.ComplaintClosed)
	if closed.CustomerId != "cust-9" || closed.Product != "broadband" || closed.Team != "network-ops" || closed.RootCause != "network.outage" {
		t.Fatalf("closed %v", closed)
	}
	events := c.events(id)
	if events[0].Metadata.Actor != app.Actor || events[1].Metadata.Actor != fired.Actor() || string(events[3].Metadata.Actor) != "customer:cust-"+id[:8] {
		t.Fatalf("actors %s %s %s", events[0].Metadata.Actor, events[1].Metadata.Actor, events[3].Metadata.Actor)
	}
	if _, ok := c.pending(id); ok {
		t.Fatal("a timer is left after the closure")
	}
}

func TestANoEndsTheRoundAndTheNextResolutionStartsANewOne(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.received(id)
	c.settle(id, 1)
	c.fire(id)
	code, body := c.do("POST", "/v1/followups/"+id+"/answer", "agent-token", `{"csat":2,"effort":2,"resolved":false,"reason":"still no signal"}`)
	if code != 200 || body["status"] != "answered" {
		t.Fatalf("answer: %d %v", code, body)
	}
	if _, ok := c.pending(id); ok {
		t.Fatal("the chasers are still pending after the answer")
	}
	if got := c.types(id); got != "FollowUpScheduled,SurveyRequested,NotificationRequested,SurveyAnswered,LowSatisfactionAlert" {
		t.Fatalf("events %s", got)
	}
	if a := c.last(id).(*complaintsv1.LowSatisfactionAlert); a.Team != "network-ops" || strings.Join(a.Reasons, ",") != "csat<=2,effort<=3" {
		t.Fatalf("alert %v", a)
	}
	// Resolution reopens the case (because of the answer): nothing to cancel.
	c.reopen(id)
	if got := c.types(id); strings.Contains(got, "FollowUpCancelled") {
		t.Fatalf("events %s", got)
	}
	c.resolved(id, 2)
	c.settle(id, 2)
	if v := c.status(id); v["status"] != "scheduled" || v["round"] != 2.0 || len(v["answers"].([]any)) != 1 {
		t.Fatalf("second round: %v", v)
	}
	c.fire(id)
	if code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":4,"effort":6,"resolved":true}`); code != 200 || body["status"] != "closed" {
		t.Fatalf("second answer: %d %v", code, body)
	}
}

func TestAReopenedCaseCancelsThePendingRoundAndItsTimer(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.received(id)
	c.settle(id, 1)
	c.fire(id) // survey out, first chaser pending
	stale, _ := c.pending(id)
	c.reopen(id)
	if v := c.status(id); v["status"] != "cancelled" {
		t.Fatalf("after reopen: %v", v)
	}
	if _, ok := c.pending(id); ok {
		t.Fatal("the chaser is still pending")
	}
	// A chaser firing that raced the cancel acts on nothing.
	c.timers.pending[stale.ID] = stale
	c.fire(id)
	if got := c.types(id); got != "FollowUpScheduled,SurveyRequested,NotificationRequested,FollowUpCancelled" {
		t.Fatalf("events %s", got)
	}
	if code, body := c.do("POST", "/v1/followups/"+id+"/answer", c.customer(id), `{"csat":4,"effort":6,"resolved":true}`); code != 409 {
		t.Fatalf("answering a cancelled survey: %d %v", code, body)
	}
}

func TestASilentCustomerIsChasedClosedForNoResponseAndReported(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.received(id)
	c.resolved(id, 1)
	c.settle(id, 1)
	c.fire(id) // survey
	c.fire(id) // chaser 1, day 3
	if v := c.status(id); v["status"] != "chased" || v["chasers_sent"] != 1.0 {
		t.Fatalf("after a chaser: %v", v)
	}
	c.fire(id) // chaser 2, day 7
	c.fire(id) // closure, day 14
	v := c.status(id)
	if v["status"] != "closed" || v["closed_reason"] != "no-response" || v["chasers_sent"] != 2.0 {
		t.Fatalf("after silence: %v", v)
	}
	if got := c.types(id); got != "FollowUpScheduled,SurveyRequested,NotificationRequested,SurveyChaserSent,NotificationRequested,SurveyChaserSent,NotificationRequested,ComplaintClosed" {
		t.Fatalf("events %s", got)
	}

	for _, e := range c.events(id) {
		if err := c.silent.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	code, body := c.do("GET", "/v1/reports/silent-customers?limit=10", "owner-token", "")
	if code != 200 || body["total"] != 1.0 {
		t.Fatalf("report: %d %v", code, body)
	}
	row := body["complaints"].([]any)[0].(map[string]any)
	group := body["groups"].([]any)[0].(map[string]any)
	if row["complaint_id"] != id || row["customer_id"] != "cust-9" || row["product"] != "broadband" || row["closed_at"] != "2026-03-21T10:00:00Z" ||
		group["team"] != "network-ops" || group["root_cause"] != "network.outage" || group["count"] != 1.0 {
		t.Fatalf("report: %v", body)
	}
	if code, body := c.do("GET", "/v1/reports/silent-customers?team=billing", "agent-token", ""); code != 200 || body["total"] != 0.0 {
		t.Fatalf("another team's report: %d %v", code, body)
	}
	if code, body := c.do("GET", "/v1/reports/silent-customers", "auditor-token", ""); code != 403 {
		t.Fatalf("an auditor: %d %v", code, body)
	}
	if code, body := c.do("GET", "/v1/reports/silent-customers?limit=0", "owner-token", ""); code != 400 {
		t.Fatalf("limit 0: %d %v", code, body)
	}
}

func TestRefusalsAnswerWithTheirKindNamingTheField(t *testing.T) {
	c := start(t)
	id, other, unsettled := uuid.NewString(), uuid.NewString(), uuid.NewString()
	for _, x := range []string{id, other} {
		c.received(x)
		c.settle(x, 1)
		c.fire(x)
	}
	answer := "/v1/followups/" + id + "/answer"
	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
		field                           string
	}{
		{"no token", "POST", answer, "", `{"csat":2,"effort":6,"resolved":false}`, 401, ""},
		{"another complaint's customer", "POST", answer, c.customer(other), `{"csat":2,"effort":6,"resolved":false}`, 403, ""},
		{"a customer reading", "GET", "/v1/followups/" + id, c.customer(id), "", 403, ""},
		{"an auditor answering", "POST", answer, "auditor-token", `{"csat":2,"effort":6,"resolved":false}`, 403, ""},
		{"csat out of range", "POST", answer, c.customer(id), `{"csat":9,"effort":6,"resolved":false}`, 400, "csat"},
		{"effort out of range", "POST", answer, c.customer(id), `{"csat":3,"effort":0,"resolved":false}`, 400, "effort"},
		{"nps out of range", "POST", answer, c.customer(id), `{"csat":3,"effort":6,"nps":11,"resolved":false}`, 400, "nps"},
		{"missing resolved", "POST", answer, c.customer(id), `{"csat":2,"effort":6}`, 400, "resolved"},
		{"a reason for a yes", "POST", answer, c.customer(id), `{"csat":2,"effort":6,"resolved":true,"reason":"x"}`, 400, "reason"},
		{"an unknown field", "POST", answer, c.customer(id), `{"csat":2,"effort":6,"resolved":true,"stars":5}`, 400, "stars"},
		{"no survey yet", "POST", "/v1/followups/" + unsettled + "/answer", c.customer(unsettled), `{"csat":5,"effort":1,"resolved":true}`, 404, ""},
		{"no follow-up to read", "GET", "/v1/followups/" + unsettled, "agent-token", "", 404, ""},
		{"not an id", "GET", "/v1/followups/nope", "agent-token", "", 404, ""},
	} {
		code, body := c.do(tc.method, tc.path, tc.token, tc.body)
		if code != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, code, body, tc.want)
			continue
		}
		if tc.field != "" {
			errs, _ := body["errors"].([]any)
			if len(errs) == 0 || errs[0].(map[string]any)["field"] != tc.field {
				t.Errorf("%s: %v does not name %s", tc.name, body, tc.field)
			}
		}
	}
	if got := c.types(id); got != "FollowUpScheduled,SurveyRequested,NotificationRequested" {
		t.Fatalf("events %s", got)
	}
}

func TestWithNoDelayTheSurveyIsOutAsSoonAsTheRedressIsSettled(t *testing.T) {
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	rules, err := followup.LoadRules("")
	if err != nil {
		t.Fatal(err)
	}
	rules.Policy.SurveyDelay = 0
	timers := &fakeTimers{pending: map[string]timer.Timer{}}
	a := app.New(app.Ports{Followups: followup.Repository(log, rules, nil), Timers: timers, Complaints: adapters.Complaints{Log: log}, Silent: foldedSilent{adapters.NewSilentFold()}})
	id := uuid.NewString()
	if err := a.Schedule(context.Background(), &complaintsv1.RedressSettled{ComplaintId: id, Resolution: 1}, uuid.NewString()); err != nil {
		t.Fatal(err)
	}
	f, err := a.Followup(context.Background(), id)
	if err != nil || f.Status != domain.AwaitingAnswer {
		t.Fatalf("%+v %v", f, err)
	}
	if len(timers.pending) != 1 {
		t.Fatalf("timers %v: want the first chaser", timers.pending)
	}
}

// foldedSilent serves the silent-customers report from a fold the test feeds
// events to; it keeps no history, so it answers as_of with the report now.
type foldedSilent struct{ *adapters.SilentFold }

func (f foldedSilent) ReportAsOf(_ context.Context, q domain.SilentQuery, _ time.Time) (domain.SilentReport, error) {
	return f.Report(q), nil
}
