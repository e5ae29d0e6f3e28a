package adapters_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// Component test of systemic issues and preventive actions: the detector,
// the views, the app and the HTTP routes over the in-memory log, with the
// timers on an embedded server. Resolutions are written with resolve times
// weeks in the past, and the clock of the app and of the timers is set
// there, so days of history pass at once: the server fires at once a
// schedule whose time has passed on the wall clock.

var actionTokens = auth.StaticTokens{
	"owner-token":   {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
}

var testPolicy = domain.SystemicPolicy{
	Detection: domain.DetectionPolicy{
		Bucket: 24 * time.Hour, EWMALambda: 0.1, TailProbability: 1e-6, MinCount: 5, WarmUpBuckets: 7, Retention: 60 * 24 * time.Hour,
		// Resolutions here come the day their complaint is received: a day
		// is complete the day after.
		Horizon: 24 * time.Hour,
	},
	Evaluation: domain.EvaluationPolicy{Window: 10 * 24 * time.Hour, Alpha: 0.05, Reduction: 0.5, Power: 0.8},
	Owners:     []string{"billing", "billing-process"},
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

type rig struct {
	t       *testing.T
	log     *memlog.Log
	handler http.Handler
	actions *app.Actions
	clock   *fakeClock
	js      jetstream.JetStream
}

func newRig(t *testing.T, start time.Time) *rig {
	ctx, cancel := context.WithCancel(context.Background())
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	_, js := natsservertest.JetStreamForTest(t)
	if _, err := timer.EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: start}
	timers := timer.New(js, timer.Options{Clock: timer.ClockFunc(clock.Now)})
	detector, err := adapters.NewDetector(ctx, log, js, testPolicy.Detection)
	if err != nil {
		t.Fatal(err)
	}
	views, err := adapters.NewActionViews(ctx, log, js)
	if err != nil {
		t.Fatal(err)
	}
	actions := app.NewActions(app.ActionsDeps{
		Log: log, Policy: policy.Loaded[domain.SystemicPolicy]{Name: "prevention", Version: "test", Value: testPolicy},
		Counts: detector, Views: views, Timers: timers, Now: clock.Now,
	})
	detector.RecordWith(actions.Detect)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = detector.Run(ctx) }()
	go func() { defer wg.Done(); _ = views.Run(ctx) }()
	consumer, err := timers.Consume(ctx, app.ServiceName, actions.OnTimer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { consumer.Stop(); cancel(); wg.Wait() })
	mux := http.NewServeMux()
	adapters.ActionsHTTP{Actions: actions}.Routes(mux)
	return &rig{t: t, log: log, handler: auth.Authenticate(actionTokens, mux), actions: actions, clock: clock, js: js}
}

func (r *rig) resolve(at time.Time, cause, product string) string {
	r.t.Helper()
	id := uuid.NewString()
	data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{
		ComplaintId: id, RootCause: cause, Product: product, ResolvedAt: timestamppb.New(at),
	}, eventlog.Metadata{ComplaintID: id})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.log.Append(context.Background(), eventlog.StreamName("case", id), eventlog.Any(), data); err != nil {
		r.t.Fatal(err)
	}
	return id
}

// firedDue is the due time of the last firing of an action's timer.
func (r *rig) firedDue(actionID, name string) time.Time {
	r.t.Helper()
	id, err := timer.ID(actionID, name)
	if err != nil {
		r.t.Fatal(err)
	}
	st, err := r.js.Stream(context.Background(), timer.StreamName)
	if err != nil {
		r.t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(context.Background(), timer.FireSubject(app.ServiceName, id))
	if err != nil {
		r.t.Fatalf("no firing of %s: %v", id, err)
	}
	due, err := time.Parse(time.RFC3339Nano, m.Header.Get(timer.HeaderDue))
	if err != nil {
		r.t.Fatal(err)
	}
	return due
}

func (r *rig) do(method, path, token string, body any, out any) int {
	r.t.Helper()
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req := httptest.NewRequest(method, path, &buf)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	r.handler.ServeHTTP(rec, req)
	if out != nil && rec.Code < 300 {
		// Decoding into a value already decoded into would keep the fields
		// this answer omits (an issue of all products has no product): each
		// answer is read into a zero value.
		reflect.ValueOf(out).Elem().SetZero()
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			r.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	if rec.Code >= 400 && out != nil {
		if p, ok := out.(*map[string]any); ok {
			_ = json.Unmarshal(rec.Body.Bytes(), p)
		}
	}
	return rec.Code
}

const cause = "billing.incorrect-charge"

// The scenario runs from two days: one where the broadband issue is listed
// before the issue of all products and one where it is listed after. Both
// are detected at the same instant, so they are listed by id, which hashes
// the window's date: no assertion may depend on that order, or the test
// passes or fails with the date it runs on. Both days are weeks in the past
// so that the timers, which the server fires on the wall clock, fire at once.
func TestASpikeBecomesASystemicIssueAndAnActionIsMeasuredAfterCompletion(t *testing.T) {
	weeksAgo := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -40)
	for _, broadbandFirst := range []bool{true, false} {
		name := "the broadband issue listed second"
		if broadbandFirst {
			name = "the broadband issue listed first"
		}
		t.Run(name, func(t *testing.T) { spikeScenario(t, spikeDay0(t, weeksAgo, broadbandFirst)) })
	}
}

// A year ahead of the wall clock the scenario holds too: nothing but the
// server's timers reads the wall clock. Those fire a year from now, so the
// action is not flagged overdue and is evaluated on request.
func TestTheSpikeScenarioHoldsOnTheClockAYearAhead(t *testing.T) {
	spikeScenario(t, time.Now().UTC().Truncate(24*time.Hour).AddDate(1, 0, 0))
}

// spikeDay0 is the latest day, from from back, whose scenario lists the
// broadband issue first (or second): the spike is on day 20.
func spikeDay0(t *testing.T, from time.Time, broadbandFirst bool) time.Time {
	t.Helper()
	day0 := from
	for range 366 {
		spike := day0.AddDate(0, 0, 20)
		if domain.IssueID(cause, "broadband", spike) < domain.IssueID(cause, "", spike) == broadbandFirst {
			return day0
		}
		day0 = day0.AddDate(0, 0, -1)
	}
	t.Fatalf("no day in a year lists the broadband issue first: %v", broadbandFirst)
	return time.Time{}
}

func spikeScenario(t *testing.T, day0 time.Time) {
	day := func(n int, hour int) time.Time { return day0.AddDate(0, 0, n).Add(time.Duration(hour) * time.Hour) }
	r := newRig(t, day(20, 12))
	// The server fires the timers on the wall clock: at once when the
	// scenario's days are past on it, long after the test otherwise.
	timersFire := day(32, 0).Before(time.Now())

	// Twenty days of one incorrect charge a day among five other broadband complaints,
	// then fifteen on day 20, then ten quiet days after the fix.
	var burst []string
	for d := range 31 {
		for i := range 5 {
			r.resolve(day(d, 9+i), "network.outage", "broadband")
		}
		switch {
		case d < 20:
			r.resolve(day(d, 15), cause, "broadband")
		case d == 20:
			for i := range 15 {
				burst = append(burst, r.resolve(day(d, 10).Add(time.Duration(i)*time.Minute), cause, "broadband"))
			}
		case d == 25:
			r.resolve(day(d, 15), cause, "broadband")
		}
	}

	var issues api.SystemicIssues
	testkit.Eventually(t, "the systemic issues", func() bool {
		r.do(http.MethodGet, "/v1/systemic-issues?status=open", "auditor-token", nil, &issues)
		return len(issues.Issues) == 2
	})
	var issue api.SystemicIssue
	for _, i := range issues.Issues {
		if i.Product == "broadband" {
			issue = i
		}
		if i.RootCause != cause || !i.WindowStart.Equal(day(20, 0)) || i.Status != "open" || !strings.HasPrefix(i.Method, "poisson-ewma(") {
			t.Fatalf("issue %+v", i)
		}
	}
	if issue.ID == "" || issue.Observed != int64(len(issue.ComplaintIDs)) || issue.ComplaintIDs[0] != burst[0] || issue.Expected > 1.5 {
		t.Fatalf("broadband issue %+v, want the burst's complaints against a baseline near one a day", issue)
	}
	if code := r.do(http.MethodGet, "/v1/systemic-issues", "agent-token", nil, nil); code != http.StatusForbidden {
		t.Fatalf("an agent listed systemic issues: %d", code)
	}

	// A person is never an action's owner.
	var problem map[string]any
	code := r.do(http.MethodPost, "/v1/preventive-actions", "owner-token", map[string]any{
		"issue_id": issue.ID, "owner": "agent:a-7", "description": "Retrain", "due": day(25, 0),
	}, &problem)
	if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(problem), "owner") {
		t.Fatalf("a person as owner: %d %v", code, problem)
	}
	if code := r.do(http.MethodPost, "/v1/preventive-actions", "auditor-token", map[string]any{
		"issue_id": issue.ID, "owner": "billing-process", "description": "x", "due": day(25, 0),
	}, nil); code != http.StatusForbidden {
		t.Fatalf("an auditor opened an action: %d", code)
	}

	beforeOpening := time.Now()
	var action api.PreventiveAction
	if code := r.do(http.MethodPost, "/v1/preventive-actions", "owner-token", map[string]any{
		"issue_id": issue.ID, "owner": "billing-process", "description": "Check tariff tables against the price list before each release", "due": day(21, 0),
	}, &action); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	if action.RootCause != cause || action.Product != "broadband" || action.Status != "open" {
		t.Fatalf("action %+v", action)
	}
	if timersFire {
		// Its due date is already past on the wall clock: the timer flags it.
		testkit.Eventually(t, "the action flagged overdue", func() bool {
			r.do(http.MethodGet, "/v1/preventive-actions/"+action.ID, "auditor-token", nil, &action)
			return action.Status == "overdue"
		})
		// It fired for the action's due date, whatever the wall clock said.
		if due := r.firedDue(action.ID, "overdue"); !due.Equal(day(21, 0)) {
			t.Fatalf("the overdue timer was due %v, want day 21 (%v)", due, day(21, 0))
		}
	}
	testkit.Eventually(t, "the issue listing its action", func() bool {
		r.do(http.MethodGet, "/v1/systemic-issues/"+issue.ID, "auditor-token", nil, &issue)
		return len(issue.Actions) == 1 && issue.Actions[0] == action.ID
	})

	// Completed on day 21: the windows are days 11-20 and 22-31 (the day of
	// completion belongs to neither), both past on the wall clock, so the
	// evaluation timer fires at once; a year ahead it is asked for on day 32.
	r.clock.Set(day(21, 0))
	if code := r.do(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/completion", "owner-token", map[string]any{"completion": "Release checklist now compares tariffs"}, &action); code != http.StatusOK {
		t.Fatalf("complete: %d", code)
	}
	if action.EvaluateAt == nil || !action.EvaluateAt.Equal(day(32, 0)) {
		t.Fatalf("evaluate at %v, want day 32", action.EvaluateAt)
	}
	if timersFire {
		testkit.Eventually(t, "the evaluation", func() bool {
			r.do(http.MethodGet, "/v1/preventive-actions/"+action.ID, "auditor-token", nil, &action)
			return action.Status == "evaluated"
		})
	} else {
		if code := r.do(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/evaluation", "owner-token", map[string]any{}, nil); code != http.StatusConflict {
			t.Fatalf("evaluation before the window closed: %d, want 409", code)
		}
		r.clock.Set(day(32, 0))
		if code := r.do(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/evaluation", "owner-token", map[string]any{}, &action); code != http.StatusOK {
			t.Fatalf("evaluate: %d", code)
		}
		r.clock.Set(day(21, 0))
	}
	e := action.Effectiveness
	if e.Verdict != stats.Effective || e.BeforeCount != 9+15 || e.AfterCount != 1 || e.BeforeExposure != 10*5+24 || e.AfterExposure != 9*5+1 ||
		e.PValue >= 0.05 || e.RateRatio <= 0 || e.RateRatio >= 0.5 || !strings.Contains(e.Method, "exposure=complaint-volume") {
		t.Fatalf("effectiveness %+v", e)
	}
	if !e.WindowBeforeStart.Equal(day(11, 0)) || !e.WindowAfterEnd.Equal(day(32, 0)) {
		t.Fatalf("windows %v to %v, want day 11 to day 32", e.WindowBeforeStart, e.WindowAfterEnd)
	}

	// The company supplies its own exposure: the same counts on bills sent.
	// Not before the window after completion has closed.
	if code := r.do(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/evaluation", "owner-token", map[string]any{"exposure_before": 1000, "exposure_after": 3000}, nil); code != http.StatusConflict {
		t.Fatalf("evaluation before the window closed: %d, want 409", code)
	}
	r.clock.Set(day(32, 1))
	if code := r.do(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/evaluation", "owner-token", map[string]any{"exposure_before": 1000, "exposure_after": 3000}, &action); code != http.StatusOK {
		t.Fatalf("evaluate with exposure: %d", code)
	}
	if e := action.Effectiveness; e.BeforeExposure != 1000 || e.AfterExposure != 3000 || e.Verdict != stats.Effective || !strings.Contains(e.Method, "exposure=supplied") {
		t.Fatalf("effectiveness with the company's exposure %+v", e)
	}

	// As of before the action was opened, there was none; now there is one.
	list, _ := r.actions.PreventiveActions(context.Background(), beforeOpening)
	if len(list) != 0 {
		t.Fatalf("actions as of before opening: %+v", list)
	}
	var all api.PreventiveActions
	testkit.Eventually(t, "the listed evaluation", func() bool {
		r.do(http.MethodGet, "/v1/preventive-actions?cause="+cause+"&status=evaluated", "owner-token", nil, &all)
		return len(all.Actions) == 1 && all.Actions[0].Effectiveness != nil && all.Actions[0].Effectiveness.AfterExposure == 3000
	})

	// The issue is closed once, by a process owner; as of before the
	// closure it was open.
	beforeClosing := time.Now()
	var closed api.SystemicIssue
	if code := r.do(http.MethodPost, "/v1/systemic-issues/"+issue.ID+"/closure", "owner-token", map[string]any{"reason": "tariff check in place; recurrence fell"}, &closed); code != http.StatusOK || closed.Status != "closed" {
		t.Fatalf("close: %d %+v", code, closed)
	}
	testkit.Eventually(t, "one open issue left", func() bool {
		r.do(http.MethodGet, "/v1/systemic-issues?status=open", "auditor-token", nil, &issues)
		return len(issues.Issues) == 1 && issues.Issues[0].Product == ""
	})
	var then api.SystemicIssues
	r.do(http.MethodGet, "/v1/systemic-issues?status=open&as_of="+beforeClosing.UTC().Format(time.RFC3339Nano), "auditor-token", nil, &then)
	if len(then.Issues) != 2 {
		t.Fatalf("open issues as of before the closure: %+v", then.Issues)
	}
	if code := r.do(http.MethodGet, "/v1/systemic-issues?as_of=yesterday", "auditor-token", nil, nil); code != http.StatusBadRequest {
		t.Fatalf("a malformed as_of: %d", code)
	}
}

func TestTheDefaultPreventionPolicyLoads(t *testing.T) {
	p, err := policy.Load[domain.SystemicPolicy]("", domain.SystemicPolicyName)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Value.IsOwner("billing-process") || p.Value.IsOwner("agent:a-7") || p.Value.Detection.Bucket != 24*time.Hour || !strings.HasPrefix(p.Version, "2026-11-26+") {
		t.Fatalf("default policy %+v", p)
	}
}

// The requests are judged on the app's clock, today or a year ahead.
func TestAnActionOnlyForACauseAndBadRequests(t *testing.T) {
	today := time.Now().UTC()
	t.Run("today", func(t *testing.T) { actionRequests(t, today) })
	t.Run("a year ahead", func(t *testing.T) { actionRequests(t, today.AddDate(1, 0, 0)) })
}

func actionRequests(t *testing.T, now time.Time) {
	r := newRig(t, now)
	var action api.PreventiveAction
	body := map[string]any{"root_cause": cause, "owner": "billing", "description": "Simplify the bill", "due": now.Add(time.Hour)}
	if code := r.do(http.MethodPost, "/v1/preventive-actions", "owner-token", body, &action); code != http.StatusCreated || action.IssueID != "" {
		t.Fatalf("open for a cause: %d %+v", code, action)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"neither issue nor cause", map[string]any{"owner": "billing", "description": "x", "due": now.Add(time.Hour)}, http.StatusBadRequest},
		{"an unknown issue", map[string]any{"issue_id": "issue_nope", "owner": "billing", "description": "x", "due": now.Add(time.Hour)}, http.StatusUnprocessableEntity},
		{"an action given as the issue", map[string]any{"issue_id": action.ID, "owner": "billing", "description": "x", "due": now.Add(time.Hour)}, http.StatusUnprocessableEntity},
		{"due in the past", map[string]any{"root_cause": cause, "owner": "billing", "description": "x", "due": now.Add(-time.Hour)}, http.StatusUnprocessableEntity},
		{"an unknown field", map[string]any{"root_cause": cause, "owner": "billing", "description": "x", "due": now.Add(time.Hour), "blame": "Bob"}, http.StatusBadRequest},
	} {
		if code := r.do(http.MethodPost, "/v1/preventive-actions", "owner-token", tc.body, nil); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	if code := r.do(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/evaluation", "owner-token", map[string]any{}, nil); code != http.StatusConflict {
		t.Errorf("evaluating an open action: %d, want 409", code)
	}
	if code := r.do(http.MethodGet, "/v1/preventive-actions/action_nope", "owner-token", nil, nil); code != http.StatusNotFound {
		t.Errorf("an unknown action: %d, want 404", code)
	}
	if code := r.do(http.MethodGet, "/v1/systemic-issues/issue_nope", "owner-token", nil, nil); code != http.StatusNotFound {
		t.Errorf("an unknown issue: %d, want 404", code)
	}
}

func TestARebuiltDetectorRecordsNoIssueTwice(t *testing.T) {
	ctx := context.Background()
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	_, js := natsservertest.JetStreamForTest(t)
	if _, err := timer.EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -30)
	r := &rig{t: t, log: log}
	for d := range 12 {
		r.resolve(day0.AddDate(0, 0, d), cause, "")
	}
	for i := range 12 {
		r.resolve(day0.AddDate(0, 0, 12).Add(time.Duration(i)*time.Minute), cause, "")
	}
	// issueStreams counts the events of every issue stream in the whole
	// log: it appends a marker and reads until the marker, so it has seen
	// every event written before.
	issueStreams := func() map[string]int {
		const markers = "marker"
		data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{ComplaintId: "marker"}, eventlog.Metadata{ComplaintID: "marker"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := log.Append(ctx, eventlog.StreamName(markers, uuid.NewString()), eventlog.NoStream(), data); err != nil {
			t.Fatal(err)
		}
		var (
			mu      sync.Mutex
			streams = map[string]int{}
			marked  bool
		)
		sub, err := log.Subscribe(ctx, eventlog.Beginning, eventlog.Filter{Categories: []string{domain.AggregateCategory, markers}}, func(_ context.Context, e eventlog.RecordedEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if category, _, _ := eventlog.SplitStream(e.Stream); category == markers {
				marked = true
			} else {
				streams[e.Stream]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Stop()
		testkit.Eventually(t, "the marker read back", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return marked
		})
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(streams)
	}
	run := func() {
		runCtx, cancel := context.WithCancel(ctx)
		detector, err := adapters.NewDetector(runCtx, log, js, testPolicy.Detection)
		if err != nil {
			t.Fatal(err)
		}
		actions := app.NewActions(app.ActionsDeps{Log: log, Policy: policy.Loaded[domain.SystemicPolicy]{Value: testPolicy}, Counts: detector, Timers: timer.New(js, timer.Options{})})
		var recorded atomic.Int32
		detector.RecordWith(func(ctx context.Context, d domain.Detection) error {
			err := actions.Detect(ctx, d)
			if err == nil {
				recorded.Add(1)
			}
			return err
		})
		done := make(chan struct{})
		go func() { defer close(done); _ = detector.Run(runCtx) }()
		testkit.Eventually(t, "the detection recorded", func() bool { return recorded.Load() == 1 })
		cancel()
		<-done
	}
	run()
	kv, err := js.KeyValue(ctx, "projections")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, adapters.DetectorProjection); err != nil {
		t.Fatal(err)
	}
	run() // from the start of the log again: the same spike, recorded again
	streams := issueStreams()
	if len(streams) != 1 {
		t.Fatalf("issue streams %v, want the one issue of the spike", streams)
	}
	for stream, n := range streams {
		if n != 1 {
			t.Fatalf("%s holds %d events, want one detection", stream, n)
		}
	}
}

// A snapshot of the detector's counts by day resolved (before ADR 0050)
// is folded again by day received when the detector starts; the spikes of
// the past are not recorded again.
func TestADetectorSnapshotOfTheOldCountsIsRebuiltWithoutRecordingThePast(t *testing.T) {
	const cause = "billing.incorrect-charge"
	ctx := context.Background()
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	_, js := natsservertest.JetStreamForTest(t)
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -30)
	r := &rig{t: t, log: log}
	for d := range 12 {
		r.resolve(day0.AddDate(0, 0, d), cause, "")
	}
	for i := range 12 {
		r.resolve(day0.AddDate(0, 0, 12).Add(time.Duration(i)*time.Minute), cause, "")
	}
	start := func() (*adapters.Detector, *atomic.Int32, context.CancelFunc, chan struct{}) {
		runCtx, cancel := context.WithCancel(ctx)
		detector, err := adapters.NewDetector(runCtx, log, js, testPolicy.Detection)
		if err != nil {
			t.Fatal(err)
		}
		var recorded atomic.Int32
		detector.RecordWith(func(context.Context, domain.Detection) error { recorded.Add(1); return nil })
		done := make(chan struct{})
		go func() { defer close(done); _ = detector.Run(runCtx) }()
		return detector, &recorded, cancel, done
	}
	detector, recorded, cancel, done := start()
	testkit.Eventually(t, "the spike recorded", func() bool { return recorded.Load() == 1 })
	cancel()
	<-done

	// The snapshot as an older version wrote it: version 1.
	kv, err := js.KeyValue(ctx, "projections")
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, adapters.DetectorProjection)
	if err != nil {
		t.Fatal(err)
	}
	var snap map[string]any
	if err := json.Unmarshal(entry.Value(), &snap); err != nil {
		t.Fatal(err)
	}
	state := snap["state"].(map[string]any)
	state["detector"] = map[string]any{"version": 1, "origin": 0, "started": true, "causes": map[string]any{"billing.incorrect-charge": map[string]any{"series": map[string]any{"bucket": 3}}}}
	data, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, adapters.DetectorProjection, data); err != nil {
		t.Fatal(err)
	}
	_ = detector

	detector, recorded, cancel, done = start()
	defer func() { cancel(); <-done }()
	testkit.Eventually(t, "the counts folded again by day received", func() bool {
		c := detector.CountsBetween(cause, "", day0, day0.AddDate(0, 0, 13))
		return c.Cause == 24 && c.Volume == 24
	})
	if n, p := recorded.Load(), detector.Pending(); n != 0 || p != 0 {
		t.Fatalf("%d spikes recorded and %d pending after the rebuild, want the past left as it was judged", n, p)
	}
}
