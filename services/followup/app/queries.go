package app

import (
	"context"
	"errors"

	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Followup loads a follow-up; domain.ErrNoSurvey until the survey is
// requested.
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
