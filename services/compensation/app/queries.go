package app

import (
	"context"
	"errors"

	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ErrNoRedress answers a read of redress not decided (yet).
var ErrNoRedress = decider.NotFound("no redress decided for this complaint (yet: redress is decided once the case is resolved)")

// Redress loads a complaint's redress; ErrNoRedress until decided.
func (a *Compensation) Redress(ctx context.Context, complaintID string) (domain.Redress, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Redress{}, decider.Refusef(ErrNoRedress, "complaint %q", complaintID)
	}
	r, _, err := a.redresses.Load(ctx, complaintID)
	if errors.Is(err, es.ErrNotFound) {
		return domain.Redress{}, decider.Refusef(ErrNoRedress, "complaint %s", complaintID)
	}
	return r, err
}
