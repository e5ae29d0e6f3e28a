package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

var at = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)

const (
	id  = "0193e6a0-0000-7000-8000-000000000003"
	day = 24 * time.Hour
)

func ptr[T any](v T) *T { return &v }

// rules are the default policy's: survey 2 days after settlement, chasers 3
// and 7 days after the survey, closure 14 days after it.
func rules(t testing.TB, edit ...func(*domain.Policy)) domain.Rules {
	t.Helper()
	p, err := policy.LoadFS[domain.Policy](policy.Defaults(), domain.PolicyName)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := policy.LoadFS[notify.Templates](policy.Defaults(), "templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edit {
		e(&p.Value)
	}
	return domain.Rules{Policy: p.Value, Templates: &tpl.Value}
}

func spec(t *testing.T, edit ...func(*domain.Policy)) *decidertest.Spec[domain.Followup, domain.Command] {
	return decidertest.For(t, domain.NewDecider(rules(t, edit...)))
}

var ctxOfComplaint = domain.Context{CustomerID: "cust-1", Product: "broadband", Team: "network-ops", RootCause: "network.outage", Reference: "CMP-1"}

func scheduled(round int32, settledAt time.Time) *complaintsv1.FollowUpScheduled {
	return &complaintsv1.FollowUpScheduled{
		ComplaintId: id, Resolution: round, Due: timestamppb.New(settledAt.Add(2 * day)), ScheduledAt: timestamppb.New(settledAt),
		CustomerId: "cust-1", Product: "broadband", Team: "network-ops", RootCause: "network.outage", Reference: "CMP-1",
	}
}

// surveyed is the survey of round 1 sent at `at`.
func surveyed(round int32) []proto.Message {
	settled := at.Add(-2 * day)
	return []proto.Message{
		scheduled(round, settled),
		&complaintsv1.SurveyRequested{ComplaintId: id, RequestedAt: timestamppb.New(at), Resolution: round,
			ChaserDue: timestamppb.New(at.Add(3 * day)), CloseDue: timestamppb.New(at.Add(14 * day))},
	}
}

func typesOf(events []proto.Message) string {
	var names []string
	for _, e := range events {
		names = append(names, string(proto.MessageName(e).Name()))
	}
	return strings.Join(names, ",")
}

func TestASettledResolutionSchedulesItsFollowUpAfterThePolicyDelay(t *testing.T) {
	o := spec(t).When(domain.Schedule{ComplaintID: id, Resolution: 1, Context: ctxOfComplaint, At: at})
	events, err := o.Events()
	if err != nil || len(events) != 1 {
		t.Fatalf("%v %v", typesOf(events), err)
	}
	s := events[0].(*complaintsv1.FollowUpScheduled)
	if !s.Due.AsTime().Equal(at.Add(2*day)) || s.Resolution != 1 || s.CustomerId != "cust-1" || s.Team != "network-ops" ||
		s.DecidedBy.GetPolicy() != "followup" || !strings.HasPrefix(s.DecidedBy.GetVersion(), "2026-11-26+") {
		t.Fatalf("scheduled %v", s)
	}
	o.ThenState(func(t testing.TB, f domain.Followup) {
		if due, ok := f.Pending(); f.Status != domain.Scheduled || !ok || !due.Equal(at.Add(2*day)) {
			t.Fatalf("state %+v", f)
		}
	})
}

func TestWithNoDelayTheSurveyGoesOutInTheSameDecision(t *testing.T) {
	events, err := spec(t, func(p *domain.Policy) { p.SurveyDelay = 0 }).
		When(domain.Schedule{ComplaintID: id, Resolution: 1, Context: ctxOfComplaint, At: at}).Events()
	if err != nil || typesOf(events) != "FollowUpScheduled,SurveyRequested,NotificationRequested" {
		t.Fatalf("%s %v", typesOf(events), err)
	}
	n := events[2].(*complaintsv1.NotificationRequested)
	if n.Purpose != notify.Survey || n.CustomerId != "cust-1" || !strings.Contains(n.Subject, "CMP-1") || n.NotificationId != id+":survey:round-1" {
		t.Fatalf("notification %v", n)
	}
}

func TestTheSameSettlementAgainOrAnOlderOneSchedulesNothing(t *testing.T) {
	spec(t).Given(scheduled(1, at)).When(domain.Schedule{ComplaintID: id, Resolution: 1, At: at}).ThenNothing()
	spec(t).Given(surveyed(2)...).When(domain.Schedule{ComplaintID: id, Resolution: 1, At: at}).ThenNothing()
	spec(t).Given(append(surveyed(1), &complaintsv1.ComplaintClosed{ComplaintId: id})...).
		When(domain.Schedule{ComplaintID: id, Resolution: 2, At: at}).ThenNothing()
}

func TestTheDueSurveyIsSentWithANotificationAndSetsTheChasers(t *testing.T) {
	due := at.Add(2 * day)
	o := spec(t).Given(scheduled(1, at)).When(domain.Fire{Due: due, At: due})
	events, err := o.Events()
	if err != nil || typesOf(events) != "SurveyRequested,NotificationRequested" {
		t.Fatalf("%s %v", typesOf(events), err)
	}
	sr := events[0].(*complaintsv1.SurveyRequested)
	if !sr.ChaserDue.AsTime().Equal(due.Add(3*day)) || !sr.CloseDue.AsTime().Equal(due.Add(14*day)) || sr.Resolution != 1 {
		t.Fatalf("survey %v", sr)
	}
	o.ThenState(func(t testing.TB, f domain.Followup) {
		if f.Status != domain.AwaitingAnswer || !f.Due.Equal(due.Add(3*day)) {
			t.Fatalf("state %s due %s", f.Status, f.Due)
		}
	})
}

func TestAStaleOrRepeatedFiringIsIgnored(t *testing.T) {
	// A firing for a time the follow-up does not wait for.
	spec(t).Given(scheduled(1, at)).When(domain.Fire{Due: at.Add(time.Hour), At: at.Add(time.Hour)}).ThenNothing()
	// The survey's firing delivered again after the survey went out.
	spec(t).Given(surveyed(1)...).When(domain.Fire{Due: at, At: at.Add(time.Minute)}).ThenNothing()
	// Any firing once the round is over.
	for _, end := range []proto.Message{
		&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 5, Resolved: false, Resolution: 1},
		&complaintsv1.FollowUpCancelled{ComplaintId: id, Resolution: 1},
		&complaintsv1.ComplaintClosed{ComplaintId: id},
	} {
		spec(t).Given(append(surveyed(1), end)...).When(domain.Fire{Due: at.Add(3 * day), At: at.Add(3 * day)}).ThenNothing()
	}
}

func TestASilentCustomerIsChasedThenTheComplaintClosesForNoResponse(t *testing.T) {
	given := surveyed(1)
	first := spec(t).Given(given...).When(domain.Fire{Due: at.Add(3 * day), At: at.Add(3 * day)})
	events, err := first.Events()
	if err != nil || typesOf(events) != "SurveyChaserSent,NotificationRequested" {
		t.Fatalf("first chaser: %s %v", typesOf(events), err)
	}
	if c := events[0].(*complaintsv1.SurveyChaserSent); c.Chaser != 1 || !c.ChaserDue.AsTime().Equal(at.Add(7*day)) {
		t.Fatalf("first chaser %v", c)
	}
	if n := events[1].(*complaintsv1.NotificationRequested); n.Purpose != notify.SurveyChaser || n.NotificationId != id+":survey-chaser:round-1-chaser-1" {
		t.Fatalf("chaser notification %v", n)
	}
	given = append(given, events...)
	events, err = spec(t).Given(given...).When(domain.Fire{Due: at.Add(7 * day), At: at.Add(7 * day)}).Events()
	if err != nil || typesOf(events) != "SurveyChaserSent,NotificationRequested" {
		t.Fatalf("second chaser: %s %v", typesOf(events), err)
	}
	if c := events[0].(*complaintsv1.SurveyChaserSent); c.Chaser != 2 || c.ChaserDue != nil || !c.CloseDue.AsTime().Equal(at.Add(14*day)) {
		t.Fatalf("second chaser %v", c)
	}
	given = append(given, events...)
	spec(t).Given(given...).When(domain.Fire{Due: at.Add(14 * day), At: at.Add(14 * day)}).
		Then(&complaintsv1.ComplaintClosed{ComplaintId: id, Reason: domain.ReasonNoResponse, ClosedAt: timestamppb.New(at.Add(14 * day)),
			CustomerId: "cust-1", Product: "broadband", Team: "network-ops", RootCause: "network.outage"}).
		ThenState(func(t testing.TB, f domain.Followup) {
			if _, pending := f.Pending(); f.Status != domain.Closed || pending || f.ChasersSent != 2 {
				t.Fatalf("state %+v", f)
			}
		})
}

func TestACustomerWhoSaysItIsFixedClosesTheComplaint(t *testing.T) {
	spec(t).Given(surveyed(1)...).
		When(domain.RecordAnswer{CSAT: 4, Effort: 6, NPS: ptr[int32](9), Resolved: true, Comment: "thanks", At: at}).
		Then(
			&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 6, Nps: 9, Resolved: true, Comment: "thanks", AnsweredAt: timestamppb.New(at), Resolution: 1},
			&complaintsv1.ComplaintClosed{ComplaintId: id, Reason: domain.ReasonCustomerAgreed, ClosedAt: timestamppb.New(at),
				CustomerId: "cust-1", Product: "broadband", Team: "network-ops", RootCause: "network.outage"},
		).
		ThenState(func(t testing.TB, f domain.Followup) {
			if f.Status != domain.Closed || f.ClosedReason != domain.ReasonCustomerAgreed || len(f.Answers) != 1 {
				t.Fatalf("state %+v", f)
			}
		})
}

func TestACustomerWhoSaysItIsNotFixedEndsTheRoundAndTheNextSettlementStartsANewOne(t *testing.T) {
	no := domain.RecordAnswer{CSAT: 3, Effort: 5, Resolved: false, Reason: "still down", At: at}
	o := spec(t).Given(surveyed(1)...).When(no).
		Then(&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 3, Effort: 5, Nps: -1, Resolved: false, Reason: "still down", AnsweredAt: timestamppb.New(at), Resolution: 1})
	o.ThenState(func(t testing.TB, f domain.Followup) {
		if _, pending := f.Pending(); f.Status != domain.Answered || pending {
			t.Fatalf("state %+v", f)
		}
	})
	answered, _ := o.Events()
	events, err := spec(t).Given(append(surveyed(1), answered...)...).
		When(domain.Schedule{ComplaintID: id, Resolution: 2, Context: ctxOfComplaint, At: at.Add(5 * day)}).Events()
	if err != nil || typesOf(events) != "FollowUpScheduled" || events[0].(*complaintsv1.FollowUpScheduled).Resolution != 2 {
		t.Fatalf("second round: %s %v", typesOf(events), err)
	}
}

func TestALowScoreAlertsTheTeamLead(t *testing.T) {
	for _, c := range []struct {
		name    string
		answer  domain.RecordAnswer
		reasons []string
	}{
		{"csat", domain.RecordAnswer{CSAT: 2, Effort: 6, Resolved: false}, []string{"csat<=2"}},
		{"effort", domain.RecordAnswer{CSAT: 4, Effort: 3, Resolved: false}, []string{"effort<=3"}},
		{"nps", domain.RecordAnswer{CSAT: 4, Effort: 6, NPS: ptr[int32](6), Resolved: false}, []string{"nps<=6"}},
		{"all", domain.RecordAnswer{CSAT: 1, Effort: 1, NPS: ptr[int32](0), Resolved: false}, []string{"csat<=2", "effort<=3", "nps<=6"}},
	} {
		c.answer.At = at
		events, err := spec(t).Given(surveyed(1)...).When(c.answer).Events()
		if err != nil || typesOf(events) != "SurveyAnswered,LowSatisfactionAlert" {
			t.Fatalf("%s: %s %v", c.name, typesOf(events), err)
		}
		a := events[1].(*complaintsv1.LowSatisfactionAlert)
		if a.Team != "network-ops" || strings.Join(a.Reasons, ",") != strings.Join(c.reasons, ",") {
			t.Fatalf("%s: alert %v", c.name, a)
		}
	}
	// A good answer, and a check the policy leaves out, raise nothing.
	events, _ := spec(t, func(p *domain.Policy) { p.LowSatisfaction.CSATAtMost = nil }).Given(surveyed(1)...).
		When(domain.RecordAnswer{CSAT: 1, Effort: 7, NPS: ptr[int32](10), At: at}).Events()
	if typesOf(events) != "SurveyAnswered" {
		t.Fatalf("no alert expected: %s", typesOf(events))
	}
}

func TestAChasedCustomerMayStillAnswer(t *testing.T) {
	given := append(surveyed(1), &complaintsv1.SurveyChaserSent{ComplaintId: id, Chaser: 1, Resolution: 1,
		ChaserDue: timestamppb.New(at.Add(7 * day)), CloseDue: timestamppb.New(at.Add(14 * day))})
	events, err := spec(t).Given(given...).When(domain.RecordAnswer{CSAT: 5, Effort: 7, Resolved: true, At: at}).Events()
	if err != nil || typesOf(events) != "SurveyAnswered,ComplaintClosed" {
		t.Fatalf("%s %v", typesOf(events), err)
	}
}

func TestAnswerValuesAreChecked(t *testing.T) {
	for _, c := range []struct {
		answer domain.RecordAnswer
		want   error
	}{
		{domain.RecordAnswer{CSAT: 0, Effort: 3}, domain.ErrCSAT},
		{domain.RecordAnswer{CSAT: 6, Effort: 3}, domain.ErrCSAT},
		{domain.RecordAnswer{CSAT: 3, Effort: 0}, domain.ErrEffort},
		{domain.RecordAnswer{CSAT: 3, Effort: 8}, domain.ErrEffort},
		{domain.RecordAnswer{CSAT: 3, Effort: 3, NPS: ptr[int32](11)}, domain.ErrNPS},
		{domain.RecordAnswer{CSAT: 3, Effort: 3, NPS: ptr[int32](-1)}, domain.ErrNPS},
	} {
		spec(t).Given(surveyed(1)...).When(c.answer).ThenError(c.want)
	}
	if r, _ := decider.AsRefusal(domain.ErrNPS); r.Kind != decider.Unacceptable || r.Field != "nps" {
		t.Fatalf("ErrNPS is %+v, want an Unacceptable refusal of field nps", r)
	}
}

func TestAnAnswerNeedsASurveyAndIsGivenOncePerRound(t *testing.T) {
	yes := domain.RecordAnswer{CSAT: 4, Effort: 2, Resolved: true, At: at}
	spec(t).When(yes).ThenError(domain.ErrNoSurvey)
	spec(t).Given(scheduled(1, at)).When(yes).ThenError(domain.ErrNoSurvey)
	answered := &complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 2, Nps: -1, Resolved: false, Resolution: 1}
	spec(t).Given(append(surveyed(1), answered)...).When(domain.RecordAnswer{CSAT: 4, Effort: 2, At: at.Add(time.Hour)}).ThenNothing()
	spec(t).Given(append(surveyed(1), answered)...).When(domain.RecordAnswer{CSAT: 1, Effort: 7, At: at}).ThenError(domain.ErrAlreadyAnswered)
	closed := &complaintsv1.ComplaintClosed{ComplaintId: id, Reason: domain.ReasonCustomerAgreed}
	answeredYes := &complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 2, Nps: -1, Resolved: true, Resolution: 1}
	spec(t).Given(append(surveyed(1), answeredYes, closed)...).When(yes).ThenNothing()
	spec(t).Given(append(surveyed(1), answeredYes, closed)...).When(domain.RecordAnswer{CSAT: 4, Effort: 2, Resolved: false, At: at}).ThenError(domain.ErrAlreadyAnswered)
	// Closed for no response: too late to answer.
	spec(t).Given(append(surveyed(1), &complaintsv1.ComplaintClosed{ComplaintId: id, Reason: domain.ReasonNoResponse})...).When(yes).ThenError(domain.ErrClosed)
}

func TestAReopenedCaseCancelsThePendingRound(t *testing.T) {
	cancel := domain.CancelRound{Reason: domain.ReasonCaseReopened, At: at}
	want := &complaintsv1.FollowUpCancelled{ComplaintId: id, Resolution: 1, Reason: domain.ReasonCaseReopened, CancelledAt: timestamppb.New(at)}
	spec(t).Given(scheduled(1, at)).When(cancel).Then(want)
	spec(t).Given(surveyed(1)...).When(cancel).Then(want).
		ThenState(func(t testing.TB, f domain.Followup) {
			if _, pending := f.Pending(); f.Status != domain.Cancelled || pending {
				t.Fatalf("state %+v", f)
			}
		})
	// Reopened because the customer said no: the round is already over.
	spec(t).Given(append(surveyed(1), &complaintsv1.SurveyAnswered{ComplaintId: id, Resolution: 1, Csat: 3, Effort: 4})...).When(cancel).ThenNothing()
	spec(t).When(cancel).ThenNothing()
	// The survey of a cancelled round can no longer be answered.
	spec(t).Given(append(surveyed(1), want)...).When(domain.RecordAnswer{CSAT: 4, Effort: 4, At: at}).ThenError(domain.ErrRoundOver)
}

func TestThePolicyIsCheckedNamingTheField(t *testing.T) {
	for _, c := range []struct {
		yaml, want string
	}{
		{"version: x\nsurvey_delay: -1s\nclose_after: 1h\n", "survey_delay: must not be negative"},
		{"version: x\nchasers: [2h, 1h]\nclose_after: 3h\n", "chasers[1]: must be after"},
		{"version: x\nchasers: [2h]\nclose_after: 1h\n", "close_after: must come after the last chaser"},
		{"version: x\nchasers: [2h]\n", "close_after: is required"},
		{"version: x\nclose_after: 1h\nlow_satisfaction: {csat_at_most: 9}\n", "low_satisfaction.csat_at_most: must be from 1 to 5"},
		{"version: x\nclose_after: 1h\nsurvey_dealy: 1h\n", "survey_dealy"},
	} {
		_, err := policy.Parse[domain.Policy]("followup", "test", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
	if _, err := policy.Parse[domain.Policy]("followup", "test", []byte("version: fast\nsurvey_delay: 0s\nchasers: [1s, 2s]\nclose_after: 3s\n")); err != nil {
		t.Fatalf("a fast policy: %v", err)
	}
}

func TestTheFastPolicyForDemonstrationsSendsTheSurveyAtOnce(t *testing.T) {
	l, err := policy.Load[domain.Policy]("../../../deploy/policies/fast", domain.PolicyName)
	if err != nil {
		t.Fatal(err)
	}
	if l.Source == "embedded default" || l.Value.SurveyDelay != 0 || l.Value.CloseAfter > 5*time.Minute {
		t.Fatalf("fast policy %+v from %s", l.Value, l.Source)
	}
}
