package adapters

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
)

// LedgerProjection names the redress ledger's snapshot.
const LedgerProjection = "compensation-redress-ledger"

type ledgerFold struct{ domain.Ledger }

func (f *ledgerFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	if f.Cases == nil {
		f.Ledger = domain.NewLedger()
	}
	f.Ledger = domain.EvolveLedger(f.Ledger, m)
	return nil
}

// ledgerFilter selects the events the ledger folds.
var ledgerFilter = eventlog.Filter{Categories: []string{domain.Category}, EventTypes: []string{
	es.TypeOf(&complaintsv1.RedressDecided{}), es.TypeOf(&complaintsv1.RedressIssued{}),
}}

// Ledger follows the log's redress decisions and issuances into the redress
// ledger; it is the app's LedgerView.
type Ledger struct {
	p   *projection.Projection[*ledgerFold]
	log eventlog.Log
}

// NewLedger prepares the projection, resuming from its snapshot in the
// projections bucket when there is one.
func NewLedger(ctx context.Context, log eventlog.Log, js jetstream.JetStream) (*Ledger, error) {
	p, err := projection.New(ctx, log, js, &ledgerFold{domain.NewLedger()}, projection.Options{
		Name: LedgerProjection, Filter: ledgerFilter,
	})
	if err != nil {
		return nil, err
	}
	return &Ledger{p: p, log: log}, nil
}

// Run follows the log until ctx is done.
func (l *Ledger) Run(ctx context.Context) error { return l.p.Run(ctx) }

// Ledger implements app.LedgerView.
func (l *Ledger) Ledger(f func(domain.Ledger)) {
	l.p.Read(func(s *ledgerFold, _ eventlog.Position) { f(s.Ledger) })
}

// LedgerAsOf implements app.LedgerView: the decisions and issuances recorded
// up to asOf, folded again from the log.
func (l *Ledger) LedgerAsOf(ctx context.Context, asOf time.Time, f func(domain.Ledger)) error {
	fresh := &ledgerFold{domain.NewLedger()}
	if _, err := projection.AsOf(ctx, l.log, ledgerFilter, fresh, l.p.Position(), asOf); err != nil {
		return err
	}
	f(fresh.Ledger)
	return nil
}
