package prevention_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
)

// Component test: prevention's app and adapters alone. The log is the
// in-memory one; the projection keeps its snapshot in a JetStream KV bucket,
// so an embedded server provides that.

var tokens = auth.StaticTokens{
	"owner-token":   {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
	"admin-token":   {Subject: "admin-1", Roles: []auth.Role{auth.RoleAdmin}},
}

// fixture is prevention over a memory log.
type fixture struct {
	t       *testing.T
	log     *memlog.Log
	facts   *adapters.Facts
	handler http.Handler
}

func newFixture(t *testing.T, view adapters.PreventionView) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	_, js := natsservertest.JetStreamForTest(t)
	facts, err := adapters.NewFacts(ctx, log, js)
	if err != nil {
		t.Fatal(err)
	}
	registry := adapters.NewRegistry(facts)
	registry.Start(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = facts.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	mux := http.NewServeMux()
	adapters.HTTP{App: app.New(facts, registry), Prevention: view}.Routes(mux)
	return &fixture{t: t, log: log, facts: facts, handler: auth.Authenticate(tokens, mux)}
}

var categoryOf = map[string]string{
	"ComplaintReceived": "complaint", "RepeatContactRecorded": "complaint",
	"RedressDecided": "redress", "RedressIssued": "redress",
	"SurveyAnswered": "followup", "ComplaintClosed": "followup",
}

// record appends an event of complaint id, recorded at the given time.
func (f *fixture) record(id string, at time.Time, m proto.Message) eventlog.Position {
	f.t.Helper()
	cat := categoryOf[es.ShortType(es.TypeOf(m))]
	if cat == "" {
		cat = "case"
	}
	data, err := es.Encode(uuid.NewString(), m, eventlog.Metadata{ComplaintID: id, RecordedAt: at})
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.log.Append(context.Background(), eventlog.StreamName(cat, id), eventlog.Any(), data)
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Position
}

// get answers a GET with a token; it decodes JSON into out when given.
func (f *fixture) get(token, path string, out any) (int, string) {
	f.t.Helper()
	return f.do(http.MethodGet, token, path, out)
}

func (f *fixture) do(method, token, path string, out any) (int, string) {
	f.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if out != nil && rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	return rec.Code, rec.Body.String()
}

// waitFor waits until the live projection has folded position pos.
func (f *fixture) waitFor(pos eventlog.Position) {
	f.t.Helper()
	testkit.EventuallyNil(f.t, func() error {
		var rep api.RootCauseReport
		if code, body := f.get("owner-token", "/v1/reports/root-causes", &rep); code != http.StatusOK {
			f.t.Fatalf("root causes: %d %s", code, body)
		}
		if rep.Position < uint64(pos) {
			return fmt.Errorf("projection at %d, want %d", rep.Position, pos)
		}
		return nil
	})
}

var day0 = time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Hour)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// lifecycle records one complaint from receipt to closure, each step an
// hour after the one before, starting at start; it returns the position of
// its last event.
func (f *fixture) lifecycle(start time.Time, product, cause string, paid int64) eventlog.Position {
	id := uuid.NewString()
	at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	f.record(id, at(0), &complaintsv1.ComplaintReceived{ComplaintId: id, Product: product, Channel: "web", Regime: "uk-fca", ReceivedAt: ts(at(0))})
	f.record(id, at(1), &complaintsv1.CaseAssigned{ComplaintId: id, Team: "team-" + product})
	f.record(id, at(2), &complaintsv1.CaseResolved{ComplaintId: id, RootCause: cause, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, ResolvedAt: ts(at(2))})
	if paid > 0 {
		f.record(id, at(3), &complaintsv1.RedressIssued{ComplaintId: id, AmountMinor: paid, Currency: "GBP"})
	}
	f.record(id, at(4), &complaintsv1.SurveyAnswered{ComplaintId: id, Effort: 2, Resolved: true})
	return f.record(id, at(5), &complaintsv1.ComplaintClosed{ComplaintId: id, ClosedAt: ts(at(5))})
}

func TestReportsFollowTheLogAndAreForProcessOwnersAndAuditors(t *testing.T) {
	f := newFixture(t, nil)
	f.lifecycle(day0, "card", "network.outage", 1000)
	f.lifecycle(day0.Add(24*time.Hour), "card", "billing.error", 0)
	last := f.lifecycle(day0.Add(48*time.Hour), "loan", "network.outage", 500)
	f.waitFor(last)

	var rep api.RootCauseReport
	f.get("owner-token", "/v1/reports/root-causes", &rep)
	if rep.Position != uint64(last) || rep.Total != 3 || len(rep.Causes) != 2 ||
		rep.Causes[0].RootCause != "network.outage" || rep.Causes[0].Complaints != 2 || rep.Causes[0].RedressPaidMinor != 1500 ||
		rep.Causes[1].RootCause != "billing.error" || rep.Causes[1].Cumulative != 1 {
		t.Fatalf("report %+v, want network.outage 2 then billing.error 1 at position %d", rep, last)
	}
	f.get("owner-token", "/v1/reports/root-causes?product=loan", &rep)
	if rep.Total != 1 || rep.Filter.Product != "loan" {
		t.Errorf("filtered by product: %+v", rep)
	}

	var effort api.EffortReport
	if code, body := f.get("auditor-token", "/v1/reports/effort?recontact_days=14", &effort); code != 200 || effort.Overall.Complaints != 3 || effort.RecontactDays != 14 || effort.Overall.CES.Mean != 2 {
		t.Errorf("effort: %d %s", code, body)
	}

	var reg api.RegulatoryReport
	if code, body := f.get("owner-token", "/v1/reports/regulatory?regime=uk-fca", &reg); code != 200 || reg.Total.Opened != 3 || reg.Total.ClosedWithin3BusinessDays != 3 || reg.Total.RedressPaidMinor["GBP"] != 1500 {
		t.Errorf("regulatory: %d %s", code, body)
	}
	code, body := f.get("owner-token", "/v1/reports/regulatory?regime=uk-fca&format=csv", nil)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || len(rows) != 1+1+2+2+3 || rows[1][0] != "total" || rows[1][3] != "3" || rows[1][12] != "GBP 15.00" {
		t.Errorf("regulatory CSV: %d %v\n%s", code, err, body)
	}
	code, body = f.get("owner-token", "/v1/reports/regulatory?format=csv&export=cfpb", nil)
	rows, err = csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || len(rows) != 4 || rows[0][5] != "Company response to consumer" || rows[1][5] != "Closed with monetary relief" || rows[1][6] != "Yes" {
		t.Errorf("CFPB CSV: %d %v\n%s", code, err, body)
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/reports/regulatory", nil)
	req.Header.Set("Authorization", "Bearer owner-token")
	req.Header.Set("Accept", "text/csv")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Accept: text/csv answered %s", ct)
	}

	for token, want := range map[string]int{"": 401, "agent-token": 403, "auditor-token": 200, "admin-token": 200} {
		for _, path := range []string{"/v1/reports/root-causes", "/v1/reports/effort", "/v1/reports/regulatory", "/reports"} {
			if code, _ := f.get(token, path, nil); code != want {
				t.Errorf("%s with token %q: %d, want %d", path, token, code, want)
			}
		}
	}
	for path, field := range map[string]string{
		"/v1/reports/root-causes?from=yesterday":                                                "from",
		"/v1/reports/effort?recontact_days=0":                                                   "recontact_days",
		"/v1/reports/regulatory?export=xls":                                                     "export",
		"/v1/reports/root-causes?as_of=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339): "as_of",
		"/v1/reports/effort?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z":                  "to",
	} {
		code, body := f.get("owner-token", path, nil)
		if code != 400 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", path, code, body, field)
		}
	}
}

// TestAsOfIsTheStateAtThatInstant: a report as of an instant equals the
// live report of a log that stopped at that instant.
func TestAsOfIsTheStateAtThatInstant(t *testing.T) {
	f := newFixture(t, nil)
	before := newFixture(t, nil)
	// The log in the order things happened: three lifecycles, a complaint
	// received before the instant and resolved after it, three more.
	var lastBefore, last eventlog.Position
	lifecycle := func(i int) {
		start := day0.Add(time.Duration(i) * 24 * time.Hour)
		cause := []string{"network.outage", "billing.error"}[i%2]
		last = f.lifecycle(start, "card", cause, int64(100*i))
		if i < 3 {
			lastBefore = before.lifecycle(start, "card", cause, int64(100*i))
		}
	}
	for i := range 3 {
		lifecycle(i)
	}
	id := uuid.NewString()
	asOf := day0.Add(3*24*time.Hour - time.Minute)
	receivedAt := asOf.Add(-time.Hour)
	f.record(id, receivedAt, &complaintsv1.ComplaintReceived{ComplaintId: id, Product: "card", Regime: "uk-fca", ReceivedAt: ts(receivedAt)})
	lastBefore = before.record(id, receivedAt, &complaintsv1.ComplaintReceived{ComplaintId: id, Product: "card", Regime: "uk-fca", ReceivedAt: ts(receivedAt)})
	f.record(id, asOf.Add(time.Hour), &complaintsv1.CaseResolved{ComplaintId: id, RootCause: "billing.error", ResolvedAt: ts(asOf.Add(time.Hour))})
	for i := 3; i < 6; i++ {
		lifecycle(i)
	}
	f.waitFor(last)
	before.waitFor(lastBefore)

	q := "as_of=" + asOf.Format(time.RFC3339)
	for _, path := range []string{"/v1/reports/root-causes", "/v1/reports/effort", "/v1/reports/regulatory"} {
		var asOfRep, liveRep map[string]any
		if code, body := f.get("owner-token", path+"?"+q, &asOfRep); code != 200 {
			t.Fatalf("%s as of: %d %s", path, code, body)
		}
		before.get("owner-token", path, &liveRep)
		if asOfRep["as_of"] == nil {
			t.Errorf("%s: the answer does not say it is as of %s", path, asOf)
		}
		for _, m := range []map[string]any{asOfRep, liveRep} {
			delete(m, "generated_at")
			delete(m, "log_position")
			delete(m, "as_of")
		}
		if !reflect.DeepEqual(asOfRep, liveRep) {
			t.Errorf("%s as of %s:\n %v\nthe log up to then:\n %v", path, asOf, asOfRep, liveRep)
		}
	}
	var now api.RootCauseReport
	f.get("owner-token", "/v1/reports/root-causes", &now)
	if now.Total != 7 {
		t.Errorf("live report counts %d, want 7", now.Total)
	}
}

func TestARebuildGivesTheSameFiguresAsTheLiveProjection(t *testing.T) {
	f := newFixture(t, nil)
	var last eventlog.Position
	for i := range 10 {
		last = f.lifecycle(day0.Add(time.Duration(i)*13*time.Hour), []string{"card", "loan"}[i%2], []string{"a.cause", "b.cause", "c.cause"}[i%3], int64(i*50))
	}
	f.waitFor(last)
	reports := func() map[string]string {
		out := map[string]string{}
		for _, path := range []string{"/v1/reports/root-causes", "/v1/reports/effort", "/v1/reports/regulatory"} {
			var m map[string]any
			f.get("owner-token", path, &m)
			delete(m, "generated_at")
			b, _ := json.Marshal(m)
			out[path] = string(b)
		}
		return out
	}
	live := reports()

	var st api.ProjectionStatus
	if code, body := f.do(http.MethodPost, "owner-token", "/v1/projections/prevention-facts/rebuild", nil); code != 403 {
		t.Fatalf("rebuild as process owner: %d %s", code, body)
	}
	if code, body := f.do(http.MethodPost, "admin-token", "/v1/projections/nope/rebuild", nil); code != 404 {
		t.Fatalf("rebuild of an unknown projection: %d %s", code, body)
	}
	if code, body := f.do(http.MethodPost, "admin-token", "/v1/projections/prevention-facts/rebuild", &st); code != 202 || st.Name != "prevention-facts" {
		t.Fatalf("rebuild: %d %s", code, body)
	}
	testkit.EventuallyNil(t, func() error {
		f.get("admin-token", "/v1/projections/prevention-facts", &st)
		if st.Rebuild.Running || st.Rebuild.FinishedAt.IsZero() {
			return fmt.Errorf("rebuild not done: %+v", st)
		}
		return nil
	})
	if st.Rebuild.Error != "" || st.Rebuild.Position != uint64(last) || st.Rebuild.Applied == 0 {
		t.Fatalf("rebuild %+v, want every event up to %d", st.Rebuild, last)
	}
	if rebuilt := reports(); !reflect.DeepEqual(rebuilt, live) {
		t.Fatalf("rebuilt reports\n %v\nlive\n %v", rebuilt, live)
	}
	var list api.ProjectionList
	if code, _ := f.get("admin-token", "/v1/projections", &list); code != 200 || len(list.Projections) != 1 {
		t.Errorf("projections: %d %+v", code, list)
	}
}
