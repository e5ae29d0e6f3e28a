package app

import (
	"context"
	"errors"
	"time"

	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Followup loads a follow-up; domain.ErrNoSurvey until its first round is
// scheduled.
func (a *Followup) Followup(ctx context.Context, complaintID string) (domain.Followup, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Followup{}, decider.Refusef(domain.ErrNoSurvey, "complaint %q", complaintID)
	}
	f, _, err := a.followups.Load(ctx, complaintID)
	if errors.Is(err, es.ErrNotFound) {
		return domain.Followup{}, decider.Refusef(domain.ErrNoSurvey, "complaint %s", complaintID)
	}
	return f, err
}

// SilentCustomers reports the complaints closed for no response.
func (a *Followup) SilentCustomers(q domain.SilentQuery) domain.SilentReport {
	return a.silent.Report(q)
}

// SilentCustomersAsOf is the report as it stood at asOf (by replay of the
// closures up to then).
func (a *Followup) SilentCustomersAsOf(ctx context.Context, q domain.SilentQuery, asOf time.Time) (domain.SilentReport, error) {
	return a.silent.ReportAsOf(ctx, q, asOf)
}
