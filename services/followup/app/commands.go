package app

import (
	"context"

	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// RequestSurvey asks the customer of a resolved complaint. causationID is the
// CaseResolved event's id; the actor is follow-up itself.
func (a *Followup) RequestSurvey(ctx context.Context, complaintID, causationID string) error {
	_, err := a.followups.Handle(ctx, complaintID, es.Command[domain.Command]{
		Body:        domain.RequestSurvey{ComplaintID: complaintID, At: a.now()},
		ComplaintID: complaintID, CausationID: causationID, IdempotencyKey: causationID, Actor: Actor,
	})
	return err
}

// RecordAnswer records the customer's answer, given by actor (the customer,
// or an agent who took it on the phone).
func (a *Followup) RecordAnswer(ctx context.Context, complaintID string, actor eventlog.Actor, ans domain.RecordAnswer) (domain.Followup, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Followup{}, decider.Refusef(domain.ErrNoSurvey, "complaint %q", complaintID)
	}
	ans.At = a.now()
	res, err := a.followups.Handle(ctx, complaintID, es.Command[domain.Command]{
		Body: ans, ComplaintID: complaintID, CausationID: complaintID, Actor: actor,
	})
	return res.State, err
}
