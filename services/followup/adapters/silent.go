package adapters

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
)

// SilentCustomersProjection names the silent-customers projection and its
// snapshot.
const SilentCustomersProjection = "followup-silent-customers"

// SilentFilter selects the events the report folds.
var SilentFilter = eventlog.Filter{Categories: []string{domain.Category}, EventTypes: []string{es.TypeOf(&complaintsv1.ComplaintClosed{})}}

// SilentFold is the projection's state: the domain report, folded from
// recorded events by domain.EvolveSilent. Its JSON is the snapshot.
type SilentFold struct{ domain.SilentCustomers }

// NewSilentFold is the empty fold. It answers the report itself (Report),
// for a process that folds the events it is given.
func NewSilentFold() *SilentFold { return &SilentFold{domain.NewSilentCustomers()} }

// Apply folds one recorded event.
func (f *SilentFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	f.SilentCustomers = domain.EvolveSilent(f.SilentCustomers, m)
	return nil
}

// Silent follows the log's closures into the silent-customers report; it
// is the app's SilentCustomers.
type Silent struct {
	p   *projection.Projection[*SilentFold]
	log eventlog.Log
}

// NewSilent prepares the projection, resuming from its snapshot in the
// projections bucket when there is one.
func NewSilent(ctx context.Context, log eventlog.Log, js jetstream.JetStream) (*Silent, error) {
	p, err := projection.New(ctx, log, js, NewSilentFold(), projection.Options{Name: SilentCustomersProjection, Filter: SilentFilter})
	if err != nil {
		return nil, err
	}
	return &Silent{p: p, log: log}, nil
}

// Run follows the log until ctx is done.
func (s *Silent) Run(ctx context.Context) error { return s.p.Run(ctx) }

// Position is the log position of the last closure the report holds.
func (s *Silent) Position() eventlog.Position { return s.p.Position() }

// Report implements app.SilentCustomers.
func (s *Silent) Report(q domain.SilentQuery) (out domain.SilentReport) {
	s.p.Read(func(f *SilentFold, _ eventlog.Position) { out = f.Report(q) })
	return out
}

// ReportAsOf implements app.SilentCustomers: the closures recorded up to
// asOf, folded again from the log.
func (s *Silent) ReportAsOf(ctx context.Context, q domain.SilentQuery, asOf time.Time) (domain.SilentReport, error) {
	fresh := NewSilentFold()
	if _, err := projection.AsOf(ctx, s.log, SilentFilter, fresh, s.p.Position(), asOf); err != nil {
		return domain.SilentReport{}, err
	}
	return fresh.Report(q), nil
}
