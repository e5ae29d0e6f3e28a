package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

var actions = domain.NewActionDecider(domain.SystemicPolicy{Owners: []string{"billing", "billing-process"}})

var (
	openedAt = day0
	due      = day0.Add(30 * 24 * time.Hour)
	open     = domain.OpenAction{
		ActionID: "action_1", IssueID: detection.IssueID, RootCause: "billing.incorrect-charge", Owner: "billing-process",
		Description: "Check tariff tables against the price list before each release", Due: due, By: "process-owner:p-1", At: openedAt,
	}
	opened = &complaintsv1.PreventiveActionOpened{
		ActionId: "action_1", IssueId: detection.IssueID, RootCause: "billing.incorrect-charge", Owner: "billing-process",
		Description: open.Description, Due: timestamppb.New(due), OpenedBy: "process-owner:p-1", OpenedAt: timestamppb.New(openedAt),
	}
	completedAt = day0.Add(20 * 24 * time.Hour)
	window      = 60 * 24 * time.Hour
	completed   = &complaintsv1.PreventiveActionCompleted{
		ActionId: "action_1", Completion: "Release checklist changed", CompletedBy: "process-owner:p-1",
		CompletedAt: timestamppb.New(completedAt), EvaluateAt: timestamppb.New(completedAt.Add(window)),
	}
)

func TestAnActionIsOpenedForAProcessOrTeamNeverAPerson(t *testing.T) {
	decidertest.For(t, actions).When(open).Then(opened)
	decidertest.For(t, actions).Given(opened).When(open).ThenNothing()

	for _, tc := range []struct {
		name   string
		change func(*domain.OpenAction)
		want   error
	}{
		{"a person as owner", func(c *domain.OpenAction) { c.Owner = "agent:a-7" }, domain.ErrOwnerNotAProcess},
		{"a name as owner", func(c *domain.OpenAction) { c.Owner = "Jane Smith" }, domain.ErrOwnerNotAProcess},
		{"no description", func(c *domain.OpenAction) { c.Description = " " }, domain.ErrDescriptionRequired},
		{"no cause", func(c *domain.OpenAction) { c.RootCause = "" }, domain.ErrCauseRequired},
		{"due in the past", func(c *domain.OpenAction) { c.Due = openedAt.Add(-time.Hour) }, domain.ErrDueNotInFuture},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := open
			tc.change(&c)
			decidertest.For(t, actions).When(c).ThenError(tc.want)
		})
	}
	other := open
	other.Description = "something else"
	decidertest.For(t, actions).Given(opened).When(other).ThenError(domain.ErrActionExists)
}

func TestAnActionPastItsDueDateIsFlaggedOverdueOnce(t *testing.T) {
	overdue := &complaintsv1.PreventiveActionOverdue{ActionId: "action_1", Due: timestamppb.New(due), FlaggedAt: timestamppb.New(due.Add(time.Second))}
	decidertest.For(t, actions).Given(opened).
		When(domain.FlagOverdue{Due: due, At: due.Add(time.Second)}).
		Then(overdue).
		ThenState(func(t testing.TB, s domain.Action) {
			if s.Status != domain.ActionOverdue {
				t.Fatalf("status %s", s.Status)
			}
		})
	decidertest.For(t, actions).Given(opened, overdue).When(domain.FlagOverdue{Due: due, At: due.Add(time.Minute)}).ThenNothing()
	decidertest.For(t, actions).Given(opened, completed).When(domain.FlagOverdue{Due: due, At: due}).ThenNothing()
	decidertest.For(t, actions).Given(opened).When(domain.FlagOverdue{Due: due.Add(-time.Hour), At: due}).ThenNothing()
}

func TestCompletionSchedulesTheEvaluationAfterTheWindow(t *testing.T) {
	complete := domain.CompleteAction{Completion: "Release checklist changed", By: "process-owner:p-1", At: completedAt, EvaluateAt: completedAt.Add(window)}
	decidertest.For(t, actions).Given(opened).When(complete).Then(completed)
	decidertest.For(t, actions).Given(opened, completed).When(complete).ThenNothing()
	other := complete
	other.Completion = "something else"
	decidertest.For(t, actions).Given(opened, completed).When(other).ThenError(domain.ErrCompletedOtherwise)
	decidertest.For(t, actions).When(complete).ThenError(domain.ErrNoSuchAction)
	empty := complete
	empty.Completion = ""
	decidertest.For(t, actions).Given(opened).When(empty).ThenError(domain.ErrCompletionRequired)
}

func TestTheEvaluationRecordsTheMeasuredEffect(t *testing.T) {
	evaluateAt := completedAt.Add(window)
	before, after := stats.Window{Count: 60, Exposure: 1000}, stats.Window{Count: 20, Exposure: 1000}
	effect := stats.Evaluate(before, after, stats.EffectParams{Alpha: 0.05, Reduction: 0.5, Power: 0.8})
	cmd := domain.EvaluateAction{
		Scheduled: evaluateAt, Before: before, After: after, Effect: effect, Method: "conditional-binomial",
		BeforeStart: completedAt.Add(-window), AfterEnd: evaluateAt, At: evaluateAt.Add(time.Hour),
	}
	evaluated := &complaintsv1.PreventiveActionEvaluated{
		ActionId: "action_1", Verdict: stats.Effective, BeforeCount: 60, BeforeExposure: 1000, AfterCount: 20, AfterExposure: 1000,
		RateRatio: effect.RateRatio, PValue: effect.PValue, Method: "conditional-binomial",
		WindowBeforeStart: timestamppb.New(completedAt.Add(-window)), WindowAfterEnd: timestamppb.New(evaluateAt),
		EvaluatedAt: timestamppb.New(evaluateAt.Add(time.Hour)),
	}
	decidertest.For(t, actions).Given(opened, completed).When(cmd).Then(evaluated)
	// The timer again, or a stale one: nothing.
	decidertest.For(t, actions).Given(opened, completed, evaluated).When(cmd).ThenNothing()
	stale := cmd
	stale.Scheduled = evaluateAt.Add(-time.Hour)
	decidertest.For(t, actions).Given(opened, completed).When(stale).ThenNothing()
	// A process owner asks again, with the company's exposure: a new evaluation.
	asked := cmd
	asked.Scheduled = time.Time{}
	decidertest.For(t, actions).Given(opened, completed, evaluated).When(asked).Then(evaluated)
	early := asked
	early.At = evaluateAt.Add(-time.Second)
	decidertest.For(t, actions).Given(opened, completed).When(early).ThenError(domain.ErrAfterWindowOpen)
	decidertest.For(t, actions).Given(opened).When(asked).ThenError(domain.ErrNotCompleted)
}

func TestThePolicyNamesTheFieldInError(t *testing.T) {
	p := domain.SystemicPolicy{Owners: []string{"billing", "billing"}}
	err := p.Validate()
	for _, field := range []string{"detection.bucket", "detection.ewma_lambda", "evaluation.window", "evaluation.alpha", "owners[1]"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
	if errors.Is(err, nil) {
		t.Fatal("no error")
	}
}

func TestTheEvaluationWindowsAreWholeBucketsEitherSideOfTheCompletionBucket(t *testing.T) {
	completed := day0.Add(20*24*time.Hour + 15*time.Hour)
	before, after := domain.EvaluationWindows(completed, 10*24*time.Hour, 24*time.Hour)
	if !before.Start.Equal(day0.Add(10*24*time.Hour)) || !before.End.Equal(day0.Add(20*24*time.Hour)) ||
		!after.Start.Equal(day0.Add(21*24*time.Hour)) || !after.End.Equal(day0.Add(31*24*time.Hour)) {
		t.Fatalf("before %v, after %v", before, after)
	}
	b2, a2 := domain.WindowsOf(completed, after.End, 24*time.Hour)
	if b2 != before || a2 != after {
		t.Fatalf("windows of the completed action %v %v, want %v %v", b2, a2, before, after)
	}
}
