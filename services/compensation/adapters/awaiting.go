package adapters

import (
	"context"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
)

// AwaitingProjection names the snapshot of the redress awaiting approval.
const AwaitingProjection = "compensation-redress-awaiting"

type awaitingFold struct{ domain.Awaiting }

func (f *awaitingFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	f.Awaiting = domain.EvolveAwaiting(f.Awaiting, m)
	return nil
}

// awaitingFilter selects the events the list folds: compensation's own.
var awaitingFilter = eventlog.Filter{Categories: []string{domain.Category}, EventTypes: []string{
	es.TypeOf(&complaintsv1.RedressDecided{}), es.TypeOf(&complaintsv1.RedressApprovalRequested{}),
	es.TypeOf(&complaintsv1.RedressApprovalEscalated{}), es.TypeOf(&complaintsv1.RedressAmended{}),
	es.TypeOf(&complaintsv1.RedressApproved{}), es.TypeOf(&complaintsv1.RedressRejected{}),
	es.TypeOf(&complaintsv1.RedressSettled{}),
}}

// Awaiting follows the log's redress events into the list of redress
// waiting for an approver; it is the app's AwaitingView. Every instance
// folds its own, so every instance answers the same.
type Awaiting struct {
	// p runs it with snapshots in the projections bucket; without
	// JetStream (the memory log) sub folds it from the log's start.
	p   *projection.Projection[*awaitingFold]
	log eventlog.Log

	mu   sync.RWMutex
	fold *awaitingFold
}

// NewAwaiting prepares the projection, resuming from its snapshot in the
// projections bucket when there is one; with a nil js it keeps no snapshot
// and folds the log from its start when run.
func NewAwaiting(ctx context.Context, log eventlog.Log, js jetstream.JetStream) (*Awaiting, error) {
	a := &Awaiting{log: log, fold: &awaitingFold{domain.NewAwaiting()}}
	if js == nil {
		return a, nil
	}
	p, err := projection.New(ctx, log, js, &awaitingFold{domain.NewAwaiting()}, projection.Options{
		Name: AwaitingProjection, Filter: awaitingFilter,
	})
	if err != nil {
		return nil, err
	}
	a.p = p
	return a, nil
}

// Run follows the log until ctx is done.
func (a *Awaiting) Run(ctx context.Context) error {
	if a.p != nil {
		return a.p.Run(ctx)
	}
	sub, err := a.log.Subscribe(ctx, eventlog.Beginning, awaitingFilter, func(_ context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return nil // as a projection would dead-letter it: one bad event stalls nothing
		}
		a.mu.Lock()
		a.fold.Awaiting = domain.EvolveAwaiting(a.fold.Awaiting, m)
		a.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	<-sub.Done()
	return sub.Err()
}

// Awaiting implements app.AwaitingView.
func (a *Awaiting) Awaiting(f func(domain.Awaiting)) {
	if a.p != nil {
		a.p.Read(func(s *awaitingFold, _ eventlog.Position) { f(s.Awaiting) })
		return
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	f(a.fold.Awaiting)
}
