// Package app holds follow-up's use cases: ask the customer after
// resolution, record the answer, close on a "yes".
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ServiceName is how follow-up signs its events.
const ServiceName = "followup"

// Followup is the follow-up application.
type Followup struct {
	repo *es.Repository[domain.Followup, any]
	now  func() time.Time
}

// New builds the application.
func New(log eventlog.Log, metadata func(context.Context, *eventlog.Metadata)) *Followup {
	return &Followup{
		now: func() time.Time { return time.Now().UTC() },
		repo: &es.Repository[domain.Followup, any]{
			Log: log, Category: domain.Category, Service: ServiceName, Decider: domain.Decider, Metadata: metadata,
		},
	}
}

// RequestSurvey asks the customer of a resolved complaint. causationID is the
// CaseResolved event's id.
func (a *Followup) RequestSurvey(ctx context.Context, complaintID, causationID string) error {
	_, err := a.repo.Handle(ctx, complaintID, es.Command[any]{
		Body:        domain.RequestSurvey{ComplaintID: complaintID, At: a.now()},
		ComplaintID: complaintID, CausationID: causationID, IdempotencyKey: causationID,
	})
	return err
}

// RecordAnswer records the customer's answer.
func (a *Followup) RecordAnswer(ctx context.Context, complaintID string, ans domain.RecordAnswer) (domain.Followup, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Followup{}, domain.ErrNoSurvey
	}
	ans.At = a.now()
	res, err := a.repo.Handle(ctx, complaintID, es.Command[any]{Body: ans, ComplaintID: complaintID, CausationID: complaintID})
	return res.State, err
}

// Followup loads a follow-up; es.ErrNotFound until the survey is requested.
func (a *Followup) Followup(ctx context.Context, complaintID string) (domain.Followup, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Followup{}, es.ErrNotFound
	}
	f, _, err := a.repo.Load(ctx, complaintID)
	return f, err
}
