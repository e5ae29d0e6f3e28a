package adapters

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// RootCausesProjection names the root-cause projection and its snapshot.
const RootCausesProjection = "prevention-root-causes"

// rootCauseFold is the projection's state: the domain report, folded from
// recorded events by domain.Evolve. Its JSON (the snapshot) is the report's.
type rootCauseFold struct{ domain.RootCauses }

func (f *rootCauseFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	f.RootCauses = domain.Evolve(f.RootCauses, m)
	return nil
}

// RootCauses follows the log's resolutions into the root-cause report; it
// is the app's RootCauseView.
type RootCauses struct {
	p *projection.Projection[*rootCauseFold]
}

// NewRootCauses prepares the projection, resuming from its snapshot in the
// projections bucket when there is one.
func NewRootCauses(ctx context.Context, log eventlog.Log, js jetstream.JetStream) (*RootCauses, error) {
	p, err := projection.New(ctx, log, js, &rootCauseFold{domain.NewRootCauses()}, projection.Options{
		Name:   RootCausesProjection,
		Filter: eventlog.Filter{Categories: []string{"case"}, EventTypes: []string{es.TypeOf(&complaintsv1.CaseResolved{})}},
	})
	if err != nil {
		return nil, err
	}
	return &RootCauses{p: p}, nil
}

// Run follows the log until ctx is done.
func (r *RootCauses) Run(ctx context.Context) error { return r.p.Run(ctx) }

// RootCauses implements app.RootCauseView.
func (r *RootCauses) RootCauses() (out domain.RootCauses, pos eventlog.Position) {
	r.p.Read(func(s *rootCauseFold, p eventlog.Position) { out, pos = s.Clone(), p })
	return out, pos
}
