package app

import (
	"slices"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// ApplyToIssue folds one event of a systemic issue's stream into its view.
// A PreventiveActionOpened for the issue adds the action to it.
func ApplyToIssue(v api.SystemicIssue, e proto.Message) api.SystemicIssue {
	switch e := e.(type) {
	case *complaintsv1.SystemicIssueDetected:
		v = api.SystemicIssue{
			ID: e.GetIssueId(), RootCause: e.GetRootCause(), Product: e.GetProduct(), Status: domain.IssueOpen.String(),
			WindowStart: e.GetWindowStart().AsTime(), WindowEnd: e.GetWindowEnd().AsTime(),
			Observed: e.GetObserved(), Expected: e.GetExpected(), UpperLimit: e.GetUpperLimit(), Method: e.GetMethod(),
			ComplaintIDs: slices.Clone(e.GetComplaintIds()), DetectedAt: e.GetDetectedAt().AsTime(), Actions: v.Actions,
		}
		if v.ComplaintIDs == nil {
			v.ComplaintIDs = []string{}
		}
	case *complaintsv1.SystemicIssueClosed:
		v.Status = domain.IssueClosed.String()
	case *complaintsv1.PreventiveActionOpened:
		if !slices.Contains(v.Actions, e.GetActionId()) {
			v.Actions = append(slices.Clone(v.Actions), e.GetActionId())
		}
	}
	return v
}

// ApplyToAction folds one event of a preventive action's stream into its
// view.
func ApplyToAction(v api.PreventiveAction, e proto.Message) api.PreventiveAction {
	switch e := e.(type) {
	case *complaintsv1.PreventiveActionOpened:
		v = api.PreventiveAction{
			ID: e.GetActionId(), IssueID: e.GetIssueId(), RootCause: e.GetRootCause(), Product: e.GetProduct(),
			Owner: e.GetOwner(), Description: e.GetDescription(), Due: e.GetDue().AsTime(),
			Status: domain.ActionOpen.String(), OpenedAt: e.GetOpenedAt().AsTime(),
		}
	case *complaintsv1.PreventiveActionOverdue:
		if v.Status == domain.ActionOpen.String() {
			v.Status = domain.ActionOverdue.String()
		}
	case *complaintsv1.PreventiveActionCompleted:
		completed, evaluate := e.GetCompletedAt().AsTime(), e.GetEvaluateAt().AsTime()
		v.Status, v.Completion, v.CompletedAt, v.EvaluateAt = domain.ActionCompleted.String(), e.GetCompletion(), &completed, &evaluate
	case *complaintsv1.PreventiveActionEvaluated:
		v.Status = domain.ActionEvaluated.String()
		v.Effectiveness = &api.Effectiveness{
			Verdict: e.GetVerdict(), BeforeCount: e.GetBeforeCount(), BeforeExposure: e.GetBeforeExposure(),
			AfterCount: e.GetAfterCount(), AfterExposure: e.GetAfterExposure(), RateRatio: e.GetRateRatio(),
			PValue: e.GetPValue(), Method: e.GetMethod(), EvaluatedAt: e.GetEvaluatedAt().AsTime(),
			WindowBeforeStart: e.GetWindowBeforeStart().AsTime(), WindowAfterEnd: e.GetWindowAfterEnd().AsTime(),
		}
	}
	return v
}

// actionView is the view of an action's state.
func actionView(s domain.Action) api.PreventiveAction {
	var v api.PreventiveAction
	for _, e := range []proto.Message{s.Opened, s.Overdue, s.Completed, s.Evaluated} {
		if e != nil && !actionsNilMessage(e) {
			v = ApplyToAction(v, e)
		}
	}
	return v
}

// issueView is the view of an issue's state, with the actions opened for it.
func issueView(s domain.Issue, actions []string) api.SystemicIssue {
	v := api.SystemicIssue{Actions: actions}
	if s.Detected != nil {
		v = ApplyToIssue(v, s.Detected)
	}
	if s.Closed != nil {
		v = ApplyToIssue(v, s.Closed)
	}
	return v
}

func actionsNilMessage(m proto.Message) bool { return !m.ProtoReflect().IsValid() }
