package app

import (
	"context"
	"errors"
	"time"

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

// Report is a report as read: when, at which position of the log, and as
// of which instant (zero: the live projection).
type Report[T any] struct {
	Body        T
	GeneratedAt time.Time
	Position    eventlog.Position
	AsOf        time.Time
}

// report reads a report from the fact table the query is about.
func report[T any](a *Prevention, ctx context.Context, asOf time.Time, fn func(t *domain.Facts) T) (Report[T], error) {
	var rep Report[T]
	pos, err := a.read(ctx, asOf, func(t *domain.Facts) { rep.Body = fn(t) })
	rep.GeneratedAt, rep.Position, rep.AsOf = a.now(), pos, asOf
	return rep, err
}

// RootCauses is the Pareto of root causes with what each costs and its
// weekly trend.
func (a *Prevention) RootCauses(ctx context.Context, q Query) (Report[domain.RootCauseReport], error) {
	return report(a, ctx, q.AsOf, func(t *domain.Facts) domain.RootCauseReport { return t.RootCauseReport(q.Filter) })
}

// DefaultRecontactDays is how soon after closure a new complaint about the
// same problem counts as a recontact, unless the query says.
const DefaultRecontactDays = 7

// Effort is the effort report; recontactDays <= 0 takes the default.
func (a *Prevention) Effort(ctx context.Context, q Query, recontactDays int) (Report[domain.EffortReport], error) {
	if recontactDays <= 0 {
		recontactDays = DefaultRecontactDays
	}
	return report(a, ctx, q.AsOf, func(t *domain.Facts) domain.EffortReport { return t.EffortReport(q.Filter, recontactDays) })
}

// RegulatoryQuery selects a complaints return.
type RegulatoryQuery struct {
	Regime   string
	From, To time.Time
	AsOf     time.Time
}

// Regulatory is the complaints return of a regime and period.
func (a *Prevention) Regulatory(ctx context.Context, q RegulatoryQuery) (Report[domain.RegulatoryReport], error) {
	return report(a, ctx, q.AsOf, func(t *domain.Facts) domain.RegulatoryReport {
		return t.RegulatoryReportIn(a.in3, q.Regime, q.From, q.To)
	})
}

// CFPBExport lists the complaints closed in the period, CFPB style.
func (a *Prevention) CFPBExport(ctx context.Context, q RegulatoryQuery) ([]domain.CFPBComplaint, error) {
	var out []domain.CFPBComplaint
	_, err := a.read(ctx, q.AsOf, func(t *domain.Facts) { out = t.CFPBExport(q.Regime, q.From, q.To) })
	return out, err
}
