package app

import (
	"context"
	"errors"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// Case loads a case; domain.ErrCaseNotOpen until it has been opened.
func (a *Resolution) Case(ctx context.Context, complaintID string) (domain.Case, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Case{}, domain.ErrCaseNotOpen
	}
	c, _, err := a.repo.Load(ctx, complaintID)
	if errors.Is(err, es.ErrNotFound) {
		return domain.Case{}, domain.ErrCaseNotOpen
	}
	return c, err
}

// RootCauses is the taxonomy, ordered by code.
func (a *Resolution) RootCauses() []domain.RootCause { return a.policy.Taxonomy.Sorted() }

// KnowsRootCause reports whether code is in the taxonomy.
func (a *Resolution) KnowsRootCause(code string) bool { return a.policy.Taxonomy.Has(code) }
