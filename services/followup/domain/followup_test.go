package domain_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
)

var at = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)

const id = "0193e6a0-0000-7000-8000-000000000003"

func requested() *complaintsv1.SurveyRequested {
	return &complaintsv1.SurveyRequested{ComplaintId: id, RequestedAt: timestamppb.New(at)}
}

func TestAResolvedComplaintGetsASurvey(t *testing.T) {
	decidertest.For(t, domain.Decider).When(domain.RequestSurvey{ComplaintID: id, At: at}).Then(requested())
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
		)
}

func TestACustomerWhoSaysItIsNotFixedKeepsTheComplaintOpen(t *testing.T) {
	decidertest.For(t, domain.Decider).Given(requested()).
		When(domain.RecordAnswer{CSAT: 2, Effort: 6, Resolved: false, At: at}).
		Then(&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 2, Effort: 6, Resolved: false, AnsweredAt: timestamppb.New(at)})
}

func TestAnswerValuesAreChecked(t *testing.T) {
	for _, c := range []struct {
		answer domain.RecordAnswer
		field  string
	}{
		{domain.RecordAnswer{CSAT: 0, Effort: 3}, "csat"},
		{domain.RecordAnswer{CSAT: 6, Effort: 3}, "csat"},
		{domain.RecordAnswer{CSAT: 3, Effort: 0}, "effort"},
		{domain.RecordAnswer{CSAT: 3, Effort: 8}, "effort"},
	} {
		_, err := decidertest.For(t, domain.Decider).Given(requested()).When(c.answer).Events()
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("answer %+v: got %v, want a field error on %s", c.answer, err, c.field)
		}
	}
}

func TestAnAnswerNeedsASurveyAndIsGivenOnce(t *testing.T) {
	decidertest.For(t, domain.Decider).When(domain.RecordAnswer{CSAT: 4, Effort: 2, At: at}).ThenError(domain.ErrNoSurvey)
	answered := &complaintsv1.SurveyAnswered{ComplaintId: id, Csat: 4, Effort: 2, Resolved: false}
	decidertest.For(t, domain.Decider).Given(requested(), answered).When(domain.RecordAnswer{CSAT: 4, Effort: 2, At: at}).ThenNothing()
	decidertest.For(t, domain.Decider).Given(requested(), answered).When(domain.RecordAnswer{CSAT: 1, Effort: 7, At: at}).ThenError(domain.ErrAlreadyAnswered)
}
