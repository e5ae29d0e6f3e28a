package domain

import (
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// ActionStatus is where a preventive action is.
type ActionStatus int

const (
	// ActionUnknown: no action has this id.
	ActionUnknown ActionStatus = iota
	// ActionOpen: opened, not yet done, not yet due.
	ActionOpen
	// ActionOverdue: its due date passed before it was completed.
	ActionOverdue
	// ActionCompleted: done; its effect is measured once the window after
	// completion has passed.
	ActionCompleted
	// ActionEvaluated: its effect has been measured.
	ActionEvaluated
)

func (s ActionStatus) String() string {
	switch s {
	case ActionOpen:
		return "open"
	case ActionOverdue:
		return "overdue"
	case ActionCompleted:
		return "completed"
	case ActionEvaluated:
		return "evaluated"
	default:
		return "unknown"
	}
}

// Action is a preventive action's state.
type Action struct {
	Status    ActionStatus
	Opened    *complaintsv1.PreventiveActionOpened
	Overdue   *complaintsv1.PreventiveActionOverdue
	Completed *complaintsv1.PreventiveActionCompleted
	// Evaluated is the latest evaluation.
	Evaluated *complaintsv1.PreventiveActionEvaluated
}

// ActionCommand is a command to a preventive action.
type ActionCommand interface{ isActionCommand() }

// OpenAction opens a preventive action for a systemic issue or a cause.
type OpenAction struct {
	ActionID    string
	IssueID     string
	RootCause   string
	Product     string
	Owner       string
	Description string
	Due         time.Time
	By          string
	At          time.Time
}

// FlagOverdue is the due-date timer firing: the action is overdue unless it
// was completed (or its due date changed) in the meantime.
type FlagOverdue struct {
	Due time.Time
	At  time.Time
}

// CompleteAction records that the change is done. Its effect is evaluated
// at EvaluateAt, when the window after completion closes (EvaluationWindows).
type CompleteAction struct {
	Completion string
	By         string
	At         time.Time
	EvaluateAt time.Time
}

// EvaluateAction records the measured effect. Scheduled is the evaluation
// time a timer firing expects (stale firings are ignored); zero when a
// process owner asks for the evaluation, e.g. with the company's exposure.
type EvaluateAction struct {
	Scheduled   time.Time
	Before      stats.Window
	After       stats.Window
	Effect      stats.Effect
	Method      string
	BeforeStart time.Time
	AfterEnd    time.Time
	At          time.Time
}

func (OpenAction) isActionCommand()     {}
func (FlagOverdue) isActionCommand()    {}
func (CompleteAction) isActionCommand() {}
func (EvaluateAction) isActionCommand() {}

// Refusals of the preventive action.
var (
	ErrNoSuchAction        = decider.NotFound("no preventive action has this id")
	ErrActionExists        = decider.Conflicts("a different preventive action already has this id")
	ErrOwnerNotAProcess    = decider.Rejects("owner", "an action is owned by a process or a team the prevention policy lists, never by a person")
	ErrDescriptionRequired = decider.Rejects("description", "say what will change in the process")
	ErrCauseRequired       = decider.Rejects("root_cause", "give the root cause or the systemic issue the action is for")
	ErrDueNotInFuture      = decider.Rejects("due", "must be in the future")
	ErrCompletionRequired  = decider.Rejects("completion", "say what was changed")
	ErrNotCompleted        = decider.Conflicts("the action is not completed: its effect cannot be measured yet")
	ErrCompletedOtherwise  = decider.Conflicts("the action was already completed with another completion")
	ErrAfterWindowOpen     = decider.Conflicts("the window after completion has not passed yet")
)

// NewActionDecider is the preventive action's logic under a policy: the
// owners it lists are the only ones an action may have.
func NewActionDecider(p SystemicPolicy) decider.Decider[Action, ActionCommand] {
	return decider.Decider[Action, ActionCommand]{
		Initial: func() Action { return Action{} },
		Decide:  func(cmd ActionCommand, s Action) ([]proto.Message, error) { return decideAction(p, cmd, s) },
		Evolve:  evolveAction,
	}
}

func decideAction(p SystemicPolicy, cmd ActionCommand, s Action) ([]proto.Message, error) {
	switch c := cmd.(type) {
	case OpenAction:
		return open(p, c, s)
	case FlagOverdue:
		if s.Status != ActionOpen || !c.Due.Equal(s.Opened.GetDue().AsTime()) || c.At.Before(c.Due) {
			return nil, nil // done in time, already flagged, or a stale firing
		}
		return []proto.Message{&complaintsv1.PreventiveActionOverdue{
			ActionId: s.Opened.GetActionId(), Due: s.Opened.GetDue(), FlaggedAt: timestamppb.New(c.At),
		}}, nil
	case CompleteAction:
		return complete(c, s)
	case EvaluateAction:
		return evaluate(c, s)
	}
	return nil, decider.Conflicts("unknown command")
}

func open(p SystemicPolicy, c OpenAction, s Action) ([]proto.Message, error) {
	e := &complaintsv1.PreventiveActionOpened{
		ActionId: c.ActionID, IssueId: c.IssueID, RootCause: c.RootCause, Product: c.Product,
		Owner: c.Owner, Description: c.Description, Due: timestamppb.New(c.Due),
		OpenedBy: c.By, OpenedAt: timestamppb.New(c.At),
	}
	if s.Status != ActionUnknown {
		if sameOpening(s.Opened, e) {
			return nil, nil // the same request, retried
		}
		return nil, ErrActionExists
	}
	switch {
	case c.RootCause == "":
		return nil, ErrCauseRequired
	case strings.TrimSpace(c.Description) == "":
		return nil, ErrDescriptionRequired
	case !p.IsOwner(c.Owner):
		return nil, decider.Refusef(ErrOwnerNotAProcess, "%q is not one of %s", c.Owner, strings.Join(p.Owners, ", "))
	case !c.Due.After(c.At):
		return nil, decider.Refusef(ErrDueNotInFuture, "%s is not after %s", c.Due.Format(time.RFC3339), c.At.Format(time.RFC3339))
	}
	return []proto.Message{e}, nil
}

func sameOpening(a, b *complaintsv1.PreventiveActionOpened) bool {
	return a.GetIssueId() == b.GetIssueId() && a.GetRootCause() == b.GetRootCause() && a.GetProduct() == b.GetProduct() &&
		a.GetOwner() == b.GetOwner() && a.GetDescription() == b.GetDescription() && a.GetDue().AsTime().Equal(b.GetDue().AsTime())
}

func complete(c CompleteAction, s Action) ([]proto.Message, error) {
	switch s.Status {
	case ActionUnknown:
		return nil, ErrNoSuchAction
	case ActionCompleted, ActionEvaluated:
		if s.Completed.GetCompletion() == c.Completion {
			return nil, nil
		}
		return nil, ErrCompletedOtherwise
	}
	if strings.TrimSpace(c.Completion) == "" {
		return nil, ErrCompletionRequired
	}
	return []proto.Message{&complaintsv1.PreventiveActionCompleted{
		ActionId: s.Opened.GetActionId(), Completion: c.Completion, CompletedBy: c.By,
		CompletedAt: timestamppb.New(c.At), EvaluateAt: timestamppb.New(c.EvaluateAt),
	}}, nil
}

func evaluate(c EvaluateAction, s Action) ([]proto.Message, error) {
	switch s.Status {
	case ActionUnknown:
		return nil, ErrNoSuchAction
	case ActionOpen, ActionOverdue:
		if !c.Scheduled.IsZero() {
			return nil, nil
		}
		return nil, ErrNotCompleted
	}
	evaluateAt := s.Completed.GetEvaluateAt().AsTime()
	if !c.Scheduled.IsZero() {
		if s.Status != ActionCompleted || !c.Scheduled.Equal(evaluateAt) {
			return nil, nil // evaluated already, or a stale firing
		}
	} else if c.At.Before(evaluateAt) {
		return nil, decider.Refusef(ErrAfterWindowOpen, "it closes at %s", evaluateAt.Format(time.RFC3339))
	}
	return []proto.Message{&complaintsv1.PreventiveActionEvaluated{
		ActionId: s.Opened.GetActionId(), Verdict: c.Effect.Verdict,
		BeforeCount: c.Before.Count, BeforeExposure: c.Before.Exposure,
		AfterCount: c.After.Count, AfterExposure: c.After.Exposure,
		RateRatio: c.Effect.RateRatio, PValue: c.Effect.PValue, Method: c.Method,
		WindowBeforeStart: timestamppb.New(c.BeforeStart), WindowAfterEnd: timestamppb.New(c.AfterEnd),
		EvaluatedAt: timestamppb.New(c.At),
	}}, nil
}

func evolveAction(s Action, e proto.Message) Action {
	switch e := e.(type) {
	case *complaintsv1.PreventiveActionOpened:
		s.Status, s.Opened = ActionOpen, e
	case *complaintsv1.PreventiveActionOverdue:
		s.Overdue = e
		if s.Status == ActionOpen {
			s.Status = ActionOverdue
		}
	case *complaintsv1.PreventiveActionCompleted:
		s.Status, s.Completed = ActionCompleted, e
	case *complaintsv1.PreventiveActionEvaluated:
		s.Status, s.Evaluated = ActionEvaluated, e
	}
	return s
}

// ActionWindow is a span of whole buckets, [Start, End).
type ActionWindow struct{ Start, End time.Time }

// EvaluationWindows are the windows an action completed at completedAt is
// measured over: the n buckets before the bucket of completion and the n
// buckets after it, n being window in whole buckets (rounded up). The bucket
// of completion belongs to neither: the change took effect during it.
func EvaluationWindows(completedAt time.Time, window, bucket time.Duration) (before, after ActionWindow) {
	n := int64((window + bucket - 1) / bucket)
	bc := BucketOf(completedAt, bucket)
	return ActionWindow{bucketStart(bc-n, bucket), bucketStart(bc, bucket)},
		ActionWindow{bucketStart(bc+1, bucket), bucketStart(bc+1+n, bucket)}
}

// WindowsOf are the windows of an action already completed: the after window
// ends at its evaluate_at, and the before window is as long.
func WindowsOf(completedAt, evaluateAt time.Time, bucket time.Duration) (before, after ActionWindow) {
	bc := BucketOf(completedAt, bucket)
	n := max(1, BucketOf(evaluateAt, bucket)-bc-1)
	return ActionWindow{bucketStart(bc-n, bucket), bucketStart(bc, bucket)},
		ActionWindow{bucketStart(bc+1, bucket), bucketStart(bc+1+n, bucket)}
}
