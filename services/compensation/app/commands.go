package app

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
)

// DecideFor decides (and, within the approval limit, issues) redress for a
// resolved case. causationID is the CaseResolved event's id; the actor is
// compensation itself. A resolution the policy has no rule for is refused
// with domain.ErrNoRule, a permanent refusal.
func (a *Compensation) DecideFor(ctx context.Context, resolved *complaintsv1.CaseResolved, causationID string) error {
	_, err := a.redresses.Handle(ctx, resolved.ComplaintId, es.Command[domain.Command]{
		Body: domain.DecideRedress{
			ComplaintID: resolved.ComplaintId, Outcome: resolved.Outcome, Product: resolved.Product,
			RootCause: resolved.RootCause, At: a.now(),
		},
		ComplaintID: resolved.ComplaintId, CausationID: causationID, IdempotencyKey: causationID, Actor: Actor,
	})
	return err
}
