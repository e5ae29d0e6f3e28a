package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
)

var at = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)

const id = "0193e6a0-0000-7000-8000-000000000003"

func requested() *complaintsv1.SurveyRequested {
	return &complaintsv1.SurveyRequested{ComplaintId: id, RequestedAt: timestamppb.New(at)}
}

func TestAResolvedComplaintGetsASurvey(t *testing.T) {
	decidertest.For(t, domain.Decider).When(domain.RequestSurvey{ComplaintID: id, At: at}).
		Then(requested()).
		ThenStateEquals(domain.Followup{ComplaintID: id, Status: domain.Requested})
}

func TestASurveyIsRequestedOnce(t *testing.T) {
	decidertest.For(t, domain.Decider).Given(requested()).When(domain.RequestSurvey{ComplaintID: id, At: at}).ThenNothing()
}

func TestACustomerWhoSaysItIsFixedClosesTheComplaint(t *testing.T) {
	decidertest.For(t, domain.Decider).Given(requested()).
		When(domain.RecordAnswer{CSAT: 4, Effort: 2, Resolved: true, Comment: "thanks", At: at}).
		Then(
			&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 2, Resolved: true, Comment: "thanks", AnsweredAt: timestamppb.New(at)},
			&complaintsv1.ComplaintClosed{ComplaintId: id, Reason: domain.ReasonCustomerAgreed, ClosedAt: timestamppb.New(at)},
		).
		ThenStateEquals(domain.Followup{ComplaintID: id, Status: domain.Closed, CSAT: 4, Effort: 2, Resolved: true, Comment: "thanks"})
}

func TestACustomerWhoSaysItIsNotFixedKeepsTheComplaintOpen(t *testing.T) {
	decidertest.For(t, domain.Decider).Given(requested()).
		When(domain.RecordAnswer{CSAT: 2, Effort: 6, Resolved: false, At: at}).
		Then(&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 2, Effort: 6, Resolved: false, AnsweredAt: timestamppb.New(at)}).
		ThenState(func(t testing.TB, f domain.Followup) {
			if f.Status != domain.Answered {
				t.Fatalf("status %s, want answered (still open)", f.Status)
			}
		})
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
	} {
		decidertest.For(t, domain.Decider).Given(requested()).When(c.answer).ThenError(c.want)
	}
	if r, _ := decider.AsRefusal(domain.ErrEffort); r.Kind != decider.Unacceptable || r.Field != "effort" {
		t.Fatalf("ErrEffort is %+v, want an Unacceptable refusal of field effort", r)
	}
}

func TestAnAnswerNeedsASurveyAndIsGivenOnce(t *testing.T) {
	decidertest.For(t, domain.Decider).When(domain.RecordAnswer{CSAT: 4, Effort: 2, At: at}).ThenError(domain.ErrNoSurvey)
	answered := &complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 2, Resolved: false}
	decidertest.For(t, domain.Decider).Given(requested(), answered).When(domain.RecordAnswer{CSAT: 4, Effort: 2, At: at}).ThenNothing()
	decidertest.For(t, domain.Decider).Given(requested(), answered).When(domain.RecordAnswer{CSAT: 1, Effort: 7, At: at}).ThenError(domain.ErrAlreadyAnswered)
	closed := &complaintsv1.ComplaintClosed{ComplaintId: id}
	yes := &complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 5, Effort: 1, Resolved: true}
	decidertest.For(t, domain.Decider).Given(requested(), yes, closed).When(domain.RecordAnswer{CSAT: 5, Effort: 1, Resolved: true, At: at}).ThenNothing()
	decidertest.For(t, domain.Decider).Given(requested(), yes, closed).When(domain.RecordAnswer{CSAT: 5, Effort: 1, Resolved: false, At: at}).ThenError(domain.ErrAlreadyAnswered)
}
