package adapters

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// FactsProjection names the fact-table projection and its snapshot.
const FactsProjection = "prevention-facts"

// AsOfSkew is how far past an as-of instant a replay keeps reading: events
// are in log order, and the services' clocks that stamp them may disagree
// by that much.
const AsOfSkew = time.Minute

// factsFilter selects the events the fact table folds, by type only: a
// JetStream consumer filtered on several categories makes the server match
// every message against each complaint's subject, which reads a log of a
// million events hundreds of times slower than reading it whole and
// skipping the events of other types here.
func factsFilter() eventlog.Filter {
	var f eventlog.Filter
	for _, m := range domain.FactEvents {
		f.EventTypes = append(f.EventTypes, es.TypeOf(m))
	}
	return f
}

// factFold is the projection's state: the domain's fact table, folded from
// recorded events. Its JSON (the snapshot) is the table's.
type factFold struct{ *domain.Facts }

func (f *factFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	f.Evolve(m, e.Metadata.RecordedAt)
	return nil
}

func newFold() *factFold { return &factFold{domain.NewFacts()} }

// Facts follows the log into the fact table of every complaint; it is the
// app's FactsView.
type Facts struct {
	p   *projection.Projection[*factFold]
	log eventlog.Log
}

// NewFacts prepares the projection, resuming from its snapshot in the
// projections bucket when there is one.
func NewFacts(ctx context.Context, log eventlog.Log, js jetstream.JetStream) (*Facts, error) {
	p, err := projection.New(ctx, log, js, newFold(), projection.Options{
		Name:   FactsProjection,
		Filter: factsFilter(),
		// The table is large: a snapshot every few seconds is enough, as
		// a restart folds in what came after it.
		SnapshotInterval: 30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return &Facts{p: p, log: log}, nil
}

// Run follows the log until ctx is done.
func (f *Facts) Run(ctx context.Context) error { return f.p.Run(ctx) }

// ReadFacts implements app.FactsView.
func (f *Facts) ReadFacts(fn func(*domain.Facts, eventlog.Position)) {
	f.p.Read(func(s *factFold, at eventlog.Position) { fn(s.Facts, at) })
}

// FactsAsOf implements app.FactsView by replay: a fresh table folds the
// events recorded at or before asOf, up to the live projection's position
// at most. It reads the log from its start to asOf (plus AsOfSkew): its
// cost grows with the log up to that instant (see ADR 0030).
func (f *Facts) FactsAsOf(ctx context.Context, asOf time.Time) (*domain.Facts, eventlog.Position, error) {
	fresh := newFold()
	stopAfter := asOf.Add(AsOfSkew)
	reached, err := projection.Replay(ctx, f.log, factsFilter(), fresh, eventlog.Beginning, f.p.Position(), projection.ReplayOptions{
		Skip:  func(e eventlog.RecordedEvent) bool { return e.Metadata.RecordedAt.After(asOf) },
		Until: func(e eventlog.RecordedEvent) bool { return e.Metadata.RecordedAt.After(stopAfter) },
	})
	return fresh.Facts, reached, err
}

// Rebuild folds the whole log again into a fresh table and swaps it in.
func (f *Facts) Rebuild(ctx context.Context) error { return f.p.Rebuild(ctx, newFold()) }

// StartRebuild starts Rebuild in the background.
func (f *Facts) StartRebuild(ctx context.Context) (<-chan error, error) {
	return f.p.StartRebuild(ctx, newFold())
}

// Status is the projection's status.
func (f *Facts) Status() projection.Status { return f.p.Status() }
