package companysim

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation"
	compadapters "github.com/complaintflow/complaintflow/services/compensation/adapters"
	compapp "github.com/complaintflow/complaintflow/services/compensation/app"
	compdomain "github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/followup"
	fuadapters "github.com/complaintflow/complaintflow/services/followup/adapters"
	fuapp "github.com/complaintflow/complaintflow/services/followup/app"
	fudomain "github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/intake"
	inadapters "github.com/complaintflow/complaintflow/services/intake/adapters"
	inapp "github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/prevention"
	pvadapters "github.com/complaintflow/complaintflow/services/prevention/adapters"
	pvapp "github.com/complaintflow/complaintflow/services/prevention/app"
	pvdomain "github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/services/resolution"
	resadapters "github.com/complaintflow/complaintflow/services/resolution/adapters"
	resapp "github.com/complaintflow/complaintflow/services/resolution/app"
	resdomain "github.com/complaintflow/complaintflow/services/resolution/domain"
)

// tapLog is the memory log with a tap: every event appended through it is
// read back from the log and queued for the consumers, and the position of
// the last event each projection follows is kept, to wait for them.
type tapLog struct {
	*memlog.Log
	mu      sync.Mutex
	queue   []eventlog.RecordedEvent
	last    map[string]eventlog.Position // by event type
	lastCat map[string]eventlog.Position // by category
	events  int
}

func (l *tapLog) Append(ctx context.Context, stream string, expected eventlog.ExpectedRevision, events ...eventlog.EventData) (eventlog.AppendResult, error) {
	res, err := l.Log.Append(ctx, stream, expected, events...)
	if err != nil || len(events) == 0 {
		return res, err
	}
	back, rerr := l.Log.ReadStream(ctx, stream, res.NextRevision-eventlog.Revision(len(events)))
	if rerr != nil {
		return res, rerr
	}
	cat, _, _ := eventlog.SplitStream(stream)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range back {
		l.queue = append(l.queue, e)
		l.last[e.Type] = max(l.last[e.Type], e.Position)
		l.lastCat[cat] = max(l.lastCat[cat], e.Position)
		l.events++
	}
	return res, nil
}

func (l *tapLog) take() []eventlog.RecordedEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue = nil
	return q
}

func (l *tapLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events
}

func (l *tapLog) lastOf(types ...string) eventlog.Position {
	l.mu.Lock()
	defer l.mu.Unlock()
	var p eventlog.Position
	for _, t := range types {
		p = max(p, l.last[t])
	}
	return p
}

func (l *tapLog) lastOfCategory(cat string) eventlog.Position {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastCat[cat]
}

// Run is a plan being driven through the services.
type Run struct {
	Plan   *Plan
	Truth  Truth
	Clock  *Clock
	agenda *Agenda
	timers *Timers
	log    *tapLog

	intake       *inapp.Intake
	resolution   *resapp.Resolution
	compensation *compapp.Compensation
	followup     *fuapp.Followup
	actions      *pvapp.Actions
	facts        *pvadapters.Facts
	detector     *pvadapters.Detector
	watch        *pvadapters.IntakeWatch
	views        *pvadapters.ActionViews
	silent       *fuadapters.Silent

	consumers map[string][]func(context.Context, eventlog.RecordedEvent) error
	byID      map[string]int
	reopened  map[int]bool
	actionIDs []string
	// Anomalies are what the system did that the plan did not expect.
	Anomalies []string
	// URL is where the API of the run answers, and Token the process
	// owner's bearer token.
	URL, Token string

	server *http.Server
	nats   interface{ Shutdown() }
	nc     *nats.Conn
	store  string
	cancel context.CancelFunc
	done   sync.WaitGroup
	Events int
	// Progress, when set, is told of every simulated day the run enters.
	Progress func(day time.Time, complaints, events int)
}

var (
	systemActor   = eventlog.NewActor(eventlog.ActorSystem, "intake-system")
	ownerActor    = eventlog.NewActor(eventlog.ActorAgent, "owner-1")
	paymentsActor = eventlog.NewActor(eventlog.ActorSystem, "payments")
	approverActor = eventlog.NewActor(eventlog.ActorAgent, "approver-1")
)

// Start builds the five services' applications over a memory log on the
// simulated clock, with an embedded NATS server for the projections'
// snapshots, and serves their report routes on a loopback port. The
// services decide with the policies of configDir (empty: the embedded
// defaults), as CONFIG_DIR gives them.
func Start(ctx context.Context, p *Plan, configDir string) (*Run, error) {
	regimes, err := regime.Load(configDir)
	if err != nil {
		return nil, err
	}
	pol, err := policy.Load[pvdomain.SystemicPolicy](configDir, pvdomain.SystemicPolicyName)
	if err != nil {
		return nil, err
	}
	rules, err := followup.LoadRules(configDir)
	if err != nil {
		return nil, err
	}
	r := &Run{Plan: p, Clock: &Clock{now: p.Scenario.StartTime()}, agenda: &Agenda{}, byID: map[string]int{}, reopened: map[int]bool{}}
	r.Truth = TruthOf(p, regimes, Policies{Window: pol.Value.Evaluation.Window, Params: pol.Value.Evaluation.Effect(), SurveyDelay: rules.Policy.SurveyDelay,
		TailProbability: pol.Value.Detection.TailProbability, MinCount: pol.Value.Detection.MinCount})
	r.timers = newTimers(r.Clock, r.agenda)
	r.log = &tapLog{Log: memlog.New(), last: map[string]eventlog.Position{}, lastCat: map[string]eventlog.Position{}}
	now := r.Clock.Now

	r.store, err = os.MkdirTemp("", "companysim-")
	if err != nil {
		return nil, err
	}
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: r.store, ServerName: "companysim"})
	if err != nil {
		return nil, err
	}
	r.nats = srv
	r.nc, err = nats.Connect(srv.ClientURL())
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(r.nc)
	if err != nil {
		return nil, err
	}
	if err := provision.Provision(ctx, js); err != nil {
		return nil, err
	}

	inPolicy, err := intake.LoadPolicy(configDir)
	if err != nil {
		return nil, err
	}
	r.intake, err = inapp.New(inapp.Deps{Log: r.log, Policy: inPolicy, Regime: p.Scenario.Regime, FingerprintKey: make([]byte, 32), Now: now})
	if err != nil {
		return nil, err
	}
	resPolicy, err := resolution.LoadPolicy(configDir)
	if err != nil {
		return nil, err
	}
	r.resolution = resapp.New(resapp.Deps{Log: r.log, Policy: resPolicy, Now: now})
	compPolicy, err := compensation.LoadPolicy(configDir)
	if err != nil {
		return nil, err
	}
	r.compensation = compensation.NewApp(r.log, compPolicy, nil).WithClock(now).WithTimers(r.timers)
	r.silent, err = fuadapters.NewSilent(ctx, r.log, js)
	if err != nil {
		return nil, err
	}
	r.followup = fuapp.New(fuapp.Ports{
		Followups: followup.Repository(r.log, rules, nil), Timers: r.timers,
		Complaints: fuadapters.Complaints{Log: r.log}, Silent: r.silent, Now: now,
	})
	r.facts, err = pvadapters.NewFacts(ctx, r.log, js)
	if err != nil {
		return nil, err
	}
	r.detector, err = pvadapters.NewDetector(ctx, r.log, js, pol.Value.Detection)
	if err != nil {
		return nil, err
	}
	r.views, err = pvadapters.NewActionViews(ctx, r.log, js)
	if err != nil {
		return nil, err
	}
	r.actions = pvapp.NewActions(pvapp.ActionsDeps{
		Log: r.log, Policy: pol, Counts: r.detector, Views: r.views, Timers: r.timers, Now: now,
		Logger: slog.New(slog.DiscardHandler),
	})
	r.detector.RecordWith(r.actions.Detect)
	r.watch, err = pvadapters.NewIntakeWatch(ctx, r.log, js, pol.Value.EarlyWarning)
	if err != nil {
		return nil, err
	}
	r.watch.RecordWith(r.actions.Detect)
	registry := pvadapters.NewRegistry(r.facts)
	reports := pvapp.New(r.facts, registry).CountingBusinessDaysWith(prevention.AnsweredIn3BusinessDays(regimes))

	r.timers.handle(compapp.ServiceName, compadapters.OnTimer(r.compensation))
	r.timers.handle(fuapp.ServiceName, fuadapters.OnTimer(r.followup))
	r.timers.handle(pvapp.ServiceName, func(ctx context.Context, f timer.Fired) error {
		if err := r.beforeEvaluation(ctx); err != nil {
			return err
		}
		return r.actions.OnTimer(ctx, f)
	})
	r.consumers = map[string][]func(context.Context, eventlog.RecordedEvent) error{
		es.TypeOf(&complaintsv1.ComplaintReceived{}):        {resadapters.OnComplaintReceived(r.resolution)},
		es.TypeOf(&complaintsv1.CaseResolved{}):             {compadapters.OnCaseResolved(r.compensation)},
		es.TypeOf(&complaintsv1.RedressSettled{}):           {fuadapters.OnRoundEvent(r.followup)},
		es.TypeOf(&complaintsv1.CaseReopened{}):             {fuadapters.OnRoundEvent(r.followup), inadapters.OnCaseReopened(r.intake), r.onReopened},
		es.TypeOf(&complaintsv1.SurveyAnswered{}):           {resadapters.OnSurveyAnswered(r.resolution)},
		es.TypeOf(&complaintsv1.RedressIssuanceRequested{}): {r.onIssuanceRequested},
		es.TypeOf(&complaintsv1.RedressApprovalRequested{}): {r.onApprovalRequested},
		es.TypeOf(&complaintsv1.SurveyRequested{}):          {r.onSurveyRequested},
	}

	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	registry.Start(runCtx)
	for _, run := range []func(context.Context) error{r.facts.Run, r.detector.Run, r.watch.Run, r.views.Run, r.silent.Run} {
		r.done.Add(1)
		go func() { defer r.done.Done(); _ = run(runCtx) }()
	}

	r.Token = "companysim-owner"
	tokens := auth.StaticTokens{r.Token: {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner, auth.RoleAuditor}}}
	mux := http.NewServeMux()
	pvadapters.HTTP{App: reports, Prevention: r.actions}.Routes(mux)
	pvadapters.ActionsHTTP{Actions: r.actions}.Routes(mux)
	fuadapters.HTTP{App: r.followup}.Routes(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.URL = "http://" + ln.Addr().String()
	r.server = &http.Server{Handler: auth.Authenticate(tokens, mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.server.Serve(ln) }()

	r.schedule()
	return r, nil
}

// Close stops the run and removes its store.
func (r *Run) Close() {
	if r.server != nil {
		_ = r.server.Close()
	}
	if r.cancel != nil {
		r.cancel()
		r.done.Wait()
	}
	if r.nc != nil {
		r.nc.Close()
	}
	if r.nats != nil {
		r.nats.Shutdown()
	}
	_ = r.log.Close()
	if r.store != "" {
		_ = os.RemoveAll(r.store)
	}
}

func (r *Run) anomaly(format string, args ...any) {
	if len(r.Anomalies) < 200 {
		r.Anomalies = append(r.Anomalies, fmt.Sprintf(format, args...))
	}
}

// schedule puts every complaint's receipt and every action on the agenda.
func (r *Run) schedule() {
	r.Truth.IDs = make([]string, len(r.Plan.Complaints))
	for i := range r.Plan.Complaints {
		st := &r.Plan.Complaints[i]
		r.agenda.At(st.ReceivedAt, func(ctx context.Context) error { return r.receive(ctx, i) })
	}
	r.actionIDs = make([]string, len(r.Truth.Actions))
	for i, a := range r.Truth.Actions {
		r.agenda.At(a.OpenedAt, func(ctx context.Context) error {
			v, err := r.actions.OpenAction(ctx, pvapp.OpenRequest{
				RootCause: a.Cause, Product: a.Product, Owner: a.Owner, Description: a.Name,
				Due: a.CompletedAt.Add(14 * 24 * time.Hour),
			}, ownerActor, fmt.Sprintf("open-action-%d", i))
			if err != nil {
				return fmt.Errorf("action %s: %w", a.Name, err)
			}
			r.actionIDs[i] = v.ID
			return nil
		})
		r.agenda.At(a.CompletedAt, func(ctx context.Context) error {
			if r.actionIDs[i] == "" {
				return nil
			}
			_, err := r.actions.CompleteAction(ctx, r.actionIDs[i], "done: "+a.Name, ownerActor, fmt.Sprintf("complete-action-%d", i))
			return err
		})
	}
}

// Drive runs the agenda to its end: every complaint received, worked,
// resolved, surveyed and closed, every timer fired.
func (r *Run) Drive(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, ok := r.agenda.next()
		if !ok {
			break
		}
		if r.Progress != nil && it.at.Truncate(24*time.Hour).After(r.Clock.Now().Truncate(24*time.Hour)) {
			r.Progress(it.at, len(r.byID), r.log.count())
		}
		r.Clock.set(it.at)
		if err := it.do(ctx); err != nil {
			return fmt.Errorf("%s: %w", it.at.Format(time.RFC3339), err)
		}
		if err := r.pump(ctx); err != nil {
			return fmt.Errorf("%s: %w", it.at.Format(time.RFC3339), err)
		}
	}
	r.Events = r.log.count()
	return r.Settle(ctx)
}

// beforeEvaluation lets the detector catch up with every resolution so
// far before an evaluation may read its counts: as in production, where
// evaluations come three months after the resolutions they count.
func (r *Run) beforeEvaluation(ctx context.Context) error {
	return r.waitFor(ctx, func() bool { return r.detector.Position() >= r.log.lastOf(es.TypeOf(&complaintsv1.CaseResolved{})) })
}

// pump hands the events appended so far to the consumers that follow them,
// in log order, until none is left.
func (r *Run) pump(ctx context.Context) error {
	for {
		q := r.log.take()
		if len(q) == 0 {
			return nil
		}
		for _, e := range q {
			for _, h := range r.consumers[e.Type] {
				if err := h(ctx, e); err != nil {
					return fmt.Errorf("consumer of %s: %w", e.Type, err)
				}
			}
		}
	}
}

func (r *Run) waitFor(ctx context.Context, ok func() bool) error {
	for !ok() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// Settle waits until every projection has folded what the log holds, and
// the detections are recorded.
func (r *Run) Settle(ctx context.Context) error {
	factTypes := make([]string, 0, len(pvdomain.FactEvents))
	for _, m := range pvdomain.FactEvents {
		factTypes = append(factTypes, es.TypeOf(m))
	}
	resolved := es.TypeOf(&complaintsv1.CaseResolved{})
	received := es.TypeOf(&complaintsv1.ComplaintReceived{})
	closed := es.TypeOf(&complaintsv1.ComplaintClosed{})
	return r.waitFor(ctx, func() bool {
		return r.facts.Status().Position >= r.log.lastOf(factTypes...) &&
			r.detector.Position() >= r.log.lastOf(resolved) && r.detector.Pending() == 0 &&
			r.watch.Position() >= r.log.lastOf(received) && r.watch.Pending() == 0 &&
			r.views.Position() >= r.log.lastOfCategory(pvdomain.AggregateCategory) &&
			r.silent.Position() >= r.log.lastOf(closed)
	})
}

func description(st Story) string {
	return fmt.Sprintf("A complaint about %s (%s).", st.Product, st.TrueCause)
}

// receive submits a story's complaint and puts its case work on the agenda.
func (r *Run) receive(ctx context.Context, i int) error {
	st := r.Plan.Complaints[i]
	cust := r.Plan.Customers[st.Customer]
	key := fmt.Sprintf("sim-%d-%d", r.Plan.Seed, i)
	out, err := r.intake.Submit(ctx, inapp.Submission{
		CustomerID: cust.ID, Channel: st.Channel, Product: st.Product, Description: description(st),
		Vulnerable: cust.Vulnerable, IdempotencyKey: key, Actor: systemActor,
	})
	if err != nil {
		return fmt.Errorf("complaint %d: %w", i, err)
	}
	id := out.Complaint.ID
	if out.RepeatContact {
		r.anomaly("complaint %d of %s recorded as a repeat contact on %s", i, cust.ID, id)
		return nil
	}
	r.Truth.IDs[i], r.byID[id] = id, i
	for k, c := range st.Repeats {
		r.agenda.At(st.ReceivedAt.Add(c.After), func(ctx context.Context) error {
			rep, err := r.intake.Submit(ctx, inapp.Submission{
				CustomerID: cust.ID, Channel: c.Channel, Product: st.Product, Description: "Any news? " + description(st),
				Vulnerable: cust.Vulnerable, IdempotencyKey: fmt.Sprintf("%s-r%d", key, k), Actor: systemActor,
			})
			if err != nil {
				return err
			}
			if !rep.RepeatContact || rep.Complaint.ID != id {
				r.anomaly("repeat contact %d of complaint %d opened complaint %s", k, i, rep.Complaint.ID)
			}
			return nil
		})
	}
	if st.Transfer > 0 {
		r.agenda.At(st.ReceivedAt.Add(st.Transfer), func(ctx context.Context) error {
			c, err := r.resolution.Case(ctx, id)
			if err != nil {
				return err
			}
			team := "case-handling"
			if c.Team == team {
				team = "customer-care"
			}
			_, err = r.resolution.Assign(ctx, resapp.Request{Actor: eventlog.NewActor(eventlog.ActorAgent, "lead-1"), IdempotencyKey: key + "-transfer"}, id,
				resdomain.AssignCase{Team: team, Reason: "wrong team"})
			return err
		})
	}
	if info := st.Info; info != nil {
		var requestID string
		agent := resapp.Request{Actor: eventlog.NewActor(eventlog.ActorAgent, "agent-1"), IdempotencyKey: key + "-ask"}
		r.agenda.At(st.ReceivedAt.Add(info.Ask), func(ctx context.Context) error {
			_, rid, err := r.resolution.RequestInformation(ctx, agent, id, resdomain.RequestInformation{Question: "Which bill?"})
			requestID = rid
			return err
		})
		if info.Answered {
			r.agenda.At(st.ReceivedAt.Add(info.Answer), func(ctx context.Context) error {
				_, err := r.resolution.ProvideInformation(ctx, resapp.Request{Actor: eventlog.NewActor(eventlog.ActorCustomer, cust.ID), IdempotencyKey: key + "-answer"}, id,
					resdomain.ProvideInformation{RequestID: requestID, Answer: "This one.", Channel: info.Channel})
				return err
			})
		}
	}
	r.agenda.At(st.ReceivedAt.Add(st.Resolve), func(ctx context.Context) error { return r.resolve(ctx, i, id, 1) })
	return nil
}

var outcomes = map[string]complaintsv1.Outcome{
	"upheld": complaintsv1.Outcome_OUTCOME_UPHELD, "partly_upheld": complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD,
	"rejected": complaintsv1.Outcome_OUTCOME_REJECTED,
}

// resolve gives the final response, reviewing the case first when triage
// asked for a review.
func (r *Run) resolve(ctx context.Context, i int, id string, round int) error {
	st := r.Plan.Complaints[i]
	agent := resapp.Request{Actor: eventlog.NewActor(eventlog.ActorAgent, "agent-1"), IdempotencyKey: fmt.Sprintf("resolve-%s-%d", id, round)}
	c, err := r.resolution.Case(ctx, id)
	if err != nil {
		return err
	}
	if c.ReviewRequired && !c.Reviewed {
		if _, err := r.resolution.Review(ctx, resapp.Request{Actor: eventlog.NewActor(eventlog.ActorAgent, "reviewer-1"), IdempotencyKey: fmt.Sprintf("review-%s", id)}, id,
			resdomain.ReviewCase{Reviewer: "reviewer-1", Notes: "checked"}); err != nil {
			return fmt.Errorf("review %d: %w", i, err)
		}
	}
	_, err = r.resolution.Resolve(ctx, agent, id, resdomain.ResolveCase{
		Outcome: outcomes[st.Outcome], RootCause: st.RecordedCause, Summary: "We looked into it.", Agent: "agent-1",
	})
	if err != nil {
		return fmt.Errorf("resolve %d: %w", i, err)
	}
	return nil
}

// onReopened resolves a reopened case again after the plan's delay.
func (r *Run) onReopened(_ context.Context, e eventlog.RecordedEvent) error {
	i, ok := r.byID[e.Metadata.ComplaintID]
	if !ok {
		return nil
	}
	st := r.Plan.Complaints[i]
	if !st.Reopened() || r.reopened[i] {
		r.anomaly("complaint %d reopened unplanned", i)
		return nil
	}
	r.reopened[i] = true
	id := e.Metadata.ComplaintID
	r.agenda.At(r.Clock.Now().Add(st.Reresolve), func(ctx context.Context) error { return r.resolve(ctx, i, id, 2) })
	return nil
}

// onSurveyRequested has the customer answer the survey, or not.
func (r *Run) onSurveyRequested(_ context.Context, e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	sr := m.(*complaintsv1.SurveyRequested)
	i, ok := r.byID[sr.ComplaintId]
	if !ok {
		return nil
	}
	st := r.Plan.Complaints[i]
	a := st.Survey
	if sr.Resolution > 1 {
		if st.Second == nil {
			r.anomaly("complaint %d surveyed for resolution %d", i, sr.Resolution)
			return nil
		}
		a = *st.Second
	}
	if !a.Answered {
		return nil
	}
	id := sr.ComplaintId
	r.agenda.At(r.Clock.Now().Add(a.After), func(ctx context.Context) error {
		nps := a.NPS
		_, err := r.followup.RecordAnswer(ctx, id, eventlog.NewActor(eventlog.ActorCustomer, r.Plan.Customers[st.Customer].ID),
			fmt.Sprintf("answer-%s-%d", id, sr.Resolution), fudomain.RecordAnswer{CSAT: a.CSAT, Effort: a.CES, NPS: &nps, Resolved: a.Resolved,
				Reason: reasonOf(a)})
		if err != nil {
			return fmt.Errorf("answer of complaint %d: %w", i, err)
		}
		return nil
	})
	return nil
}

func reasonOf(a Answer) string {
	if a.Resolved {
		return ""
	}
	return "It is still not fixed."
}

// onIssuanceRequested is the payment system: every issuance is confirmed
// at once.
func (r *Run) onIssuanceRequested(ctx context.Context, e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	q := m.(*complaintsv1.RedressIssuanceRequested)
	_, _, err = r.compensation.Confirm(ctx, compapp.Confirmation{
		ComplaintID: q.ComplaintId, IssuanceID: q.IssuanceId, Issued: true, ExternalReference: "pay-" + q.IssuanceId,
		Attempt: q.Attempt, Actor: paymentsActor,
	})
	return err
}

// onApprovalRequested is an approver approving the redress as decided.
func (r *Run) onApprovalRequested(ctx context.Context, e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	q := m.(*complaintsv1.RedressApprovalRequested)
	_, _, err = r.compensation.Approve(ctx, q.ComplaintId, compapp.Approval{
		Decision: compdomain.Approve, Approver: approverActor, Roles: []string{string(auth.RoleApprover), string(auth.RoleAdmin)},
		IdempotencyKey: "approve-" + e.ID,
	})
	return err
}
