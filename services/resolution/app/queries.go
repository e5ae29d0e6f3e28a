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

// Queues is the queue projection, which a consumer keeps up to date.
func (a *Resolution) Queues() *Queues { return a.queues }

// Queue lists a page of a team's queue.
func (a *Resolution) Queue(f QueueFilter) (Page, error) { return a.queues.Queue(f) }

// Policy is the policy in force.
func (a *Resolution) Policy() domain.Policy { return a.policy }
