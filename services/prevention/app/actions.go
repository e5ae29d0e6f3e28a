package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// RecurrenceCounts are the detector's bucketed counts, which evaluations
// measure recurrence with.
type RecurrenceCounts interface {
	CountsBetween(cause, product string, from, to time.Time) domain.Counts
}

// PreventionViews is the read model of systemic issues and preventive
// actions, with their history: the views as they were at any instant.
type PreventionViews interface {
	// Issues are the issues as of asOf (the latest when zero), latest
	// detection first.
	Issues(asOf time.Time) []api.SystemicIssue
	// Actions are the actions as of asOf (the latest when zero), latest
	// opened first.
	Actions(asOf time.Time) []api.PreventiveAction
	// EachAction gives fn each action as of asOf (the latest when zero), in
	// no order; fn must not call the views.
	EachAction(asOf time.Time, fn func(api.PreventiveAction))
	// IssueActions are the ids of the actions opened for an issue.
	IssueActions(issueID string) []string
}

// Scheduler sets and cancels prevention's timers.
type Scheduler interface {
	Schedule(ctx context.Context, t timer.Timer) error
	Cancel(ctx context.Context, service, id string) error
}

// Timer kinds of prevention.
const (
	TimerOverdue    = "preventive-action-overdue"
	TimerEvaluation = "preventive-action-evaluation"
)

// Actions are prevention's systemic issues and preventive actions: the
// commands that change them and the queries that read them.
type Actions struct {
	issues  *es.Repository[domain.Issue, domain.IssueCommand]
	actions *es.Repository[domain.Action, domain.ActionCommand]
	policy  policy.Loaded[domain.SystemicPolicy]
	counts  RecurrenceCounts
	views   PreventionViews
	timers  Scheduler
	now     func() time.Time
	logger  *slog.Logger
}

// ActionsDeps are what Actions are built from.
type ActionsDeps struct {
	Log      eventlog.Log
	Metadata func(context.Context, *eventlog.Metadata)
	Policy   policy.Loaded[domain.SystemicPolicy]
	Counts   RecurrenceCounts
	Views    PreventionViews
	Timers   Scheduler
	// Now is the clock; the wall clock in UTC when nil. Timers must tell
	// the same time (timer.Options.Clock).
	Now    func() time.Time
	Logger *slog.Logger
}

// NewActions builds the systemic issues and preventive actions.
func NewActions(d ActionsDeps) *Actions {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Actions{
		issues: &es.Repository[domain.Issue, domain.IssueCommand]{
			Log: d.Log, Category: domain.AggregateCategory, Service: ServiceName, Decider: domain.IssueDecider, Metadata: d.Metadata,
			Cache: es.NewCache[domain.Issue](es.DefaultCacheSize),
		},
		actions: &es.Repository[domain.Action, domain.ActionCommand]{
			Log: d.Log, Category: domain.AggregateCategory, Service: ServiceName, Decider: domain.NewActionDecider(d.Policy.Value), Metadata: d.Metadata,
			Cache: es.NewCache[domain.Action](es.DefaultCacheSize),
		},
		policy: d.Policy, counts: d.Counts, views: d.Views, timers: d.Timers, now: d.Now, logger: d.Logger,
	}
}

// Policy is the prevention policy in force.
func (a *Actions) Policy() policy.Loaded[domain.SystemicPolicy] { return a.policy }

// actionsSystemActor is who records detections.
var actionsSystemActor = eventlog.NewActor(eventlog.ActorSystem, ServiceName)

// Detect records a spike as a systemic issue; the same spike twice is one
// issue.
func (a *Actions) Detect(ctx context.Context, d domain.Detection) error {
	_, err := a.issues.Handle(ctx, d.IssueID, es.Command[domain.IssueCommand]{
		Body: domain.DetectIssue{Detection: d}, Actor: actionsSystemActor, IdempotencyKey: "detect/" + d.IssueID,
	})
	return err
}

// Issue is one systemic issue, as its stream holds it.
func (a *Actions) Issue(ctx context.Context, id string) (api.SystemicIssue, error) {
	s, _, err := a.issues.Load(ctx, id)
	if errors.Is(err, es.ErrNotFound) || err == nil && s.Status == domain.IssueUnknown {
		return api.SystemicIssue{}, domain.ErrNoSuchIssue
	}
	if err != nil {
		return api.SystemicIssue{}, err
	}
	return issueView(s, a.views.IssueActions(id)), nil
}

// CloseIssue closes a systemic issue: fixed, or explained.
func (a *Actions) CloseIssue(ctx context.Context, id, reason string, actor eventlog.Actor, key string) (api.SystemicIssue, error) {
	res, err := a.issues.Handle(ctx, id, es.Command[domain.IssueCommand]{
		Body: domain.CloseIssue{Reason: reason, By: string(actor), At: a.now()}, Actor: actor, IdempotencyKey: actionsKeyOr(key, "close/"+id),
	})
	if err != nil {
		return api.SystemicIssue{}, err
	}
	return issueView(res.State, a.views.IssueActions(id)), nil
}

// SystemicIssues are the systemic issues as of asOf (now when zero).
func (a *Actions) SystemicIssues(_ context.Context, asOf time.Time) ([]api.SystemicIssue, error) {
	return a.views.Issues(asOf), nil
}

// PreventiveActions are the preventive actions as of asOf (now when zero).
func (a *Actions) PreventiveActions(_ context.Context, asOf time.Time) ([]api.PreventiveAction, error) {
	return a.views.Actions(asOf), nil
}

// OpenRequest opens a preventive action for an issue or a cause.
type OpenRequest struct {
	IssueID     string
	RootCause   string
	Product     string
	Owner       string
	Description string
	Due         time.Time
}

// Refusals of the requests.
var (
	ErrUnknownIssue  = decider.Rejects("issue_id", "no systemic issue has this id")
	ErrIssueMismatch = decider.Rejects("root_cause", "differs from the systemic issue's")
)

// OpenAction opens a preventive action and sets the timer that flags it
// overdue. With an idempotency key a retried request opens it once.
func (a *Actions) OpenAction(ctx context.Context, r OpenRequest, actor eventlog.Actor, key string) (api.PreventiveAction, error) {
	if r.IssueID != "" {
		issue, _, err := a.issues.Load(ctx, r.IssueID)
		switch {
		case errors.Is(err, es.ErrNotFound) || err == nil && issue.Status == domain.IssueUnknown:
			return api.PreventiveAction{}, ErrUnknownIssue
		case err != nil:
			return api.PreventiveAction{}, err
		}
		d := issue.Detected
		if r.RootCause != "" && r.RootCause != d.GetRootCause() || r.Product != "" && r.Product != d.GetProduct() {
			return api.PreventiveAction{}, ErrIssueMismatch
		}
		r.RootCause, r.Product = d.GetRootCause(), d.GetProduct()
	}
	id := "action_" + uuid.Must(uuid.NewV7()).String()
	if key != "" {
		sum := sha256.Sum256([]byte("open-action/" + string(actor) + "/" + key))
		id = "action_" + hex.EncodeToString(sum[:])[:24]
	}
	res, err := a.actions.Handle(ctx, id, es.Command[domain.ActionCommand]{
		Body: domain.OpenAction{
			ActionID: id, IssueID: r.IssueID, RootCause: r.RootCause, Product: r.Product, Owner: r.Owner,
			Description: r.Description, Due: r.Due.UTC(), By: string(actor), At: a.now(),
		},
		Actor: actor, IdempotencyKey: actionsKeyOr(key, "open/"+id),
	})
	if err != nil {
		return api.PreventiveAction{}, err
	}
	if res.State.Status == domain.ActionOpen {
		if err := a.schedule(ctx, id, "overdue", TimerOverdue, res.State.Opened.GetDue().AsTime(), actor); err != nil {
			return api.PreventiveAction{}, err
		}
	}
	return actionView(res.State), nil
}

// Action is one preventive action, as its stream holds it.
func (a *Actions) Action(ctx context.Context, id string) (api.PreventiveAction, error) {
	s, _, err := a.actions.Load(ctx, id)
	if errors.Is(err, es.ErrNotFound) || err == nil && s.Status == domain.ActionUnknown {
		return api.PreventiveAction{}, domain.ErrNoSuchAction
	}
	if err != nil {
		return api.PreventiveAction{}, err
	}
	return actionView(s), nil
}

// CompleteAction records that an action is done and sets the timer that
// evaluates it once the window after completion (and the grace) has passed.
func (a *Actions) CompleteAction(ctx context.Context, id, completion string, actor eventlog.Actor, key string) (api.PreventiveAction, error) {
	now := a.now()
	_, after := domain.EvaluationWindows(now, a.policy.Value.Evaluation.Window, a.policy.Value.Detection.Bucket)
	res, err := a.actions.Handle(ctx, id, es.Command[domain.ActionCommand]{
		Body:  domain.CompleteAction{Completion: completion, By: string(actor), At: now, EvaluateAt: after.End},
		Actor: actor, IdempotencyKey: actionsKeyOr(key, "complete/"+id),
	})
	if err != nil {
		return api.PreventiveAction{}, err
	}
	if res.State.Status == domain.ActionCompleted {
		evaluateAt := res.State.Completed.GetEvaluateAt().AsTime()
		if err := a.schedule(ctx, id, "evaluation", TimerEvaluation, evaluateAt, actor); err != nil {
			return api.PreventiveAction{}, err
		}
		if tid, err := timer.ID(id, "overdue"); err == nil {
			if err := a.timers.Cancel(ctx, ServiceName, tid); err != nil {
				a.logger.Warn("overdue timer not cancelled; its firing will be ignored", "action_id", id, "err", err)
			}
		}
	}
	return actionView(res.State), nil
}

// Exposure is what the company supplies to normalise an evaluation instead
// of the complaint volume: e.g. orders, bills or active customers in the
// window before and in the window after.
type Exposure struct {
	Before float64
	After  float64
}

// EvaluateAction measures an action's effect now that the window after its
// completion has passed, normalised by the company's exposure when given
// (by the complaint volume otherwise). It records a new evaluation.
func (a *Actions) EvaluateAction(ctx context.Context, id string, exposure *Exposure, actor eventlog.Actor, key string) (api.PreventiveAction, error) {
	s, _, err := a.actions.Load(ctx, id)
	if errors.Is(err, es.ErrNotFound) {
		return api.PreventiveAction{}, domain.ErrNoSuchAction
	}
	if err != nil {
		return api.PreventiveAction{}, err
	}
	if s.Completed == nil {
		return api.PreventiveAction{}, domain.ErrNotCompleted
	}
	cmd := a.measure(s, exposure, time.Time{})
	res, err := a.actions.Handle(ctx, id, es.Command[domain.ActionCommand]{Body: cmd, Actor: actor, IdempotencyKey: key})
	if err != nil {
		return api.PreventiveAction{}, err
	}
	return actionView(res.State), nil
}

// measure counts the cause before and after an action's completion and tests
// whether its rate fell.
func (a *Actions) measure(s domain.Action, exposure *Exposure, scheduled time.Time) domain.EvaluateAction {
	bw, aw := domain.WindowsOf(s.Completed.GetCompletedAt().AsTime(), s.Completed.GetEvaluateAt().AsTime(), a.policy.Value.Detection.Bucket)
	cause, product := s.Opened.GetRootCause(), s.Opened.GetProduct()
	cb := a.counts.CountsBetween(cause, product, bw.Start, bw.End)
	ca := a.counts.CountsBetween(cause, product, aw.Start, aw.End)
	before := stats.Window{Count: cb.Cause, Exposure: float64(cb.Volume)}
	after := stats.Window{Count: ca.Cause, Exposure: float64(ca.Volume)}
	basis := "complaint-volume"
	if exposure != nil {
		before.Exposure, after.Exposure, basis = exposure.Before, exposure.After, "supplied"
	}
	params := a.policy.Value.Evaluation.Effect()
	return domain.EvaluateAction{
		Scheduled: scheduled, Before: before, After: after, Effect: stats.Evaluate(before, after, params),
		Method: params.Method(basis), BeforeStart: bw.Start, AfterEnd: aw.End, At: a.now(),
	}
}

// actionsTimerCommand is the payload of prevention's timers.
type actionsTimerCommand struct {
	ActionID string    `json:"action_id"`
	At       time.Time `json:"at"`
}

// schedule sets an action's timer for at; the evaluation's fires after the
// policy's grace, so that late resolutions are counted.
func (a *Actions) schedule(ctx context.Context, actionID, name, kind string, at time.Time, actor eventlog.Actor) error {
	id, err := timer.ID(actionID, name)
	if err != nil {
		return err
	}
	due := at
	if kind == TimerEvaluation {
		due = at.Add(a.policy.Value.Evaluation.Grace)
	}
	payload, err := json.Marshal(actionsTimerCommand{ActionID: actionID, At: at})
	if err != nil {
		return err
	}
	return a.timers.Schedule(ctx, timer.Timer{Service: ServiceName, ID: id, Due: due, Kind: kind, Command: payload, Actor: actor})
}

// OnTimer handles prevention's fired timers: an action overdue, an action to
// evaluate. Stale and repeated firings change nothing.
func (a *Actions) OnTimer(ctx context.Context, f timer.Fired) error {
	var c actionsTimerCommand
	if err := json.Unmarshal(f.Command, &c); err != nil || c.ActionID == "" {
		a.logger.Error("prevention timer with an unreadable command dropped", "timer_id", f.ID, "kind", f.Kind, "err", err)
		return nil
	}
	cmd := es.Command[domain.ActionCommand]{Actor: f.Actor(), IdempotencyKey: f.FireID}
	switch f.Kind {
	case TimerOverdue:
		cmd.Body = domain.FlagOverdue{Due: c.At, At: actionsLater(a.now(), c.At)}
	case TimerEvaluation:
		s, _, err := a.actions.Load(ctx, c.ActionID)
		if errors.Is(err, es.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if s.Status != domain.ActionCompleted {
			return nil
		}
		cmd.Body = a.measure(s, nil, c.At)
	default:
		a.logger.Warn("prevention timer of an unknown kind ignored", "timer_id", f.ID, "kind", f.Kind)
		return nil
	}
	_, err := a.actions.Handle(ctx, c.ActionID, cmd)
	if _, refused := decider.AsRefusal(err); refused {
		a.logger.Warn("prevention timer refused", "timer_id", f.ID, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("timer %s: %w", f.ID, err)
	}
	return nil
}

func actionsKeyOr(key, fallback string) string {
	if key != "" {
		return key
	}
	return fallback
}

func actionsLater(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
