// Package app holds compensation's use cases: decide and issue redress for a
// resolved complaint, and show it.
package app

import (
	"context"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ServiceName is how compensation signs its events.
const ServiceName = "compensation"

// Compensation is the compensation application.
type Compensation struct {
	Policy domain.Policy
	repo   *es.Repository[domain.Redress, domain.DecideRedress]
	now    func() time.Time
}

// New builds the application.
func New(log eventlog.Log, policy domain.Policy, metadata func(context.Context, *eventlog.Metadata)) *Compensation {
	return &Compensation{
		Policy: policy,
		now:    func() time.Time { return time.Now().UTC() },
		repo: &es.Repository[domain.Redress, domain.DecideRedress]{
			Log: log, Category: domain.Category, Service: ServiceName, Decider: domain.NewDecider(policy), Metadata: metadata,
		},
	}
}

// DecideFor decides (and, within the approval limit, issues) redress for a
// resolved case. causationID is the CaseResolved event's id.
func (a *Compensation) DecideFor(ctx context.Context, resolved *complaintsv1.CaseResolved, causationID string) error {
	_, err := a.repo.Handle(ctx, resolved.ComplaintId, es.Command[domain.DecideRedress]{
		Body: domain.DecideRedress{
			ComplaintID: resolved.ComplaintId, Outcome: resolved.Outcome, Product: resolved.Product,
			RootCause: resolved.RootCause, At: a.now(),
		},
		ComplaintID: resolved.ComplaintId, CausationID: causationID, IdempotencyKey: causationID,
	})
	return err
}

// Redress loads a complaint's redress; es.ErrNotFound until decided.
func (a *Compensation) Redress(ctx context.Context, complaintID string) (domain.Redress, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Redress{}, es.ErrNotFound
	}
	r, _, err := a.repo.Load(ctx, complaintID)
	return r, err
}
