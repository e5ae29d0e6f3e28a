package app

import (
	"context"
	"errors"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// Query is what every report takes: its filter and, when set, the instant
// it is asked as of (zero: now, from the live projection).
type Query struct {
	Filter domain.Filter
	AsOf   time.Time
}

// ErrAsOfFuture refuses an as-of instant later than now.
var ErrAsOfFuture = errors.New("as_of is in the future")

// read gives fn the fact table the query is about: the live one, or the one
// rebuilt as of the query's instant.
func (a *Prevention) read(ctx context.Context, asOf time.Time, fn func(t *domain.Facts)) (eventlog.Position, error) {
	if asOf.IsZero() {
		var pos eventlog.Position
		a.facts.ReadFacts(func(t *domain.Facts, at eventlog.Position) { fn(t); pos = at })
		return pos, nil
	}
	if asOf.After(a.now()) {
		return 0, ErrAsOfFuture
	}
	t, pos, err := a.facts.FactsAsOf(ctx, asOf)
	if err != nil {
		return 0, err
	}
	fn(t)
	return pos, nil
}

func asOfPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// RootCauses is the Pareto of root causes with what each costs and its
// weekly trend.
func (a *Prevention) RootCauses(ctx context.Context, q Query) (api.RootCauseReport, error) {
	var rep api.RootCauseReport
	pos, err := a.read(ctx, q.AsOf, func(t *domain.Facts) { rep = t.RootCauseReport(q.Filter) })
	rep.GeneratedAt, rep.Position, rep.AsOf = a.now(), uint64(pos), asOfPtr(q.AsOf)
	return rep, err
}

// DefaultRecontactDays is how soon after closure a new complaint about the
// same problem counts as a recontact, unless the query says.
const DefaultRecontactDays = 7

// Effort is the effort report; recontactDays <= 0 takes the default.
func (a *Prevention) Effort(ctx context.Context, q Query, recontactDays int) (api.EffortReport, error) {
	if recontactDays <= 0 {
		recontactDays = DefaultRecontactDays
	}
	var rep api.EffortReport
	pos, err := a.read(ctx, q.AsOf, func(t *domain.Facts) { rep = t.EffortReport(q.Filter, recontactDays) })
	rep.GeneratedAt, rep.Position, rep.AsOf = a.now(), uint64(pos), asOfPtr(q.AsOf)
	return rep, err
}

// RegulatoryQuery selects a complaints return.
type RegulatoryQuery struct {
	Regime   string
	From, To time.Time
	AsOf     time.Time
}

// Regulatory is the complaints return of a regime and period.
func (a *Prevention) Regulatory(ctx context.Context, q RegulatoryQuery) (api.RegulatoryReport, error) {
	var rep api.RegulatoryReport
	pos, err := a.read(ctx, q.AsOf, func(t *domain.Facts) { rep = t.RegulatoryReportIn(a.in3, q.Regime, q.From, q.To) })
	rep.GeneratedAt, rep.Position, rep.AsOf = a.now(), uint64(pos), asOfPtr(q.AsOf)
	return rep, err
}

// CFPBExport lists the complaints closed in the period, CFPB style.
func (a *Prevention) CFPBExport(ctx context.Context, q RegulatoryQuery) ([]api.CFPBComplaint, error) {
	var out []api.CFPBComplaint
	_, err := a.read(ctx, q.AsOf, func(t *domain.Facts) { out = t.CFPBExport(q.Regime, q.From, q.To) })
	return out, err
}
