package app

import (
	"context"
	"errors"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
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

// OnQueueEvent folds an event into the queue projection. A reopened case,
// whose row left the queues when it was resolved, gets its row back from
// the log: its case, clock and complaint streams.
func (a *Resolution) OnQueueEvent(ctx context.Context, e eventlog.RecordedEvent) error {
	if err := a.queues.Apply(e); err != nil {
		return err
	}
	id := e.Metadata.ComplaintID
	if e.Type != reopenedType || a.queues.Has(id) {
		return nil
	}
	fresh := NewQueues()
	fresh.keepResolved = true
	for _, category := range QueueCategories {
		events, err := a.log.ReadStream(ctx, eventlog.StreamName(category, id), 0)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events {
			if err := fresh.Apply(ev); err != nil {
				return err
			}
		}
	}
	if r, ok := fresh.Row(id); ok {
		a.queues.Put(r)
	}
	return nil
}

var reopenedType = es.TypeOf(&complaintsv1.CaseReopened{})
