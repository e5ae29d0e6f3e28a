package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ErrNoRedress answers a read of redress not decided (yet).
var ErrNoRedress = decider.NotFound("no redress decided for this complaint (yet: redress is decided once the case is resolved)")

// Redress loads a complaint's redress; ErrNoRedress until decided.
func (a *Compensation) Redress(ctx context.Context, complaintID string) (domain.Redress, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Redress{}, decider.Refusef(ErrNoRedress, "complaint %q", complaintID)
	}
	r, _, err := a.redresses.Load(ctx, complaintID)
	if errors.Is(err, es.ErrNotFound) {
		return domain.Redress{}, decider.Refusef(ErrNoRedress, "complaint %s", complaintID)
	}
	return r, err
}

// BudgetUse is one budget's use in a period.
type BudgetUse struct {
	Period, Category, Currency                  string
	LimitMinor, UsedMinor, RemainingMinor, Over int64
	Reservations                                int
}

// Budgets shows the use of every budget of the policy in a period
// ("2026-11"; the current month when empty).
func (a *Compensation) Budgets(ctx context.Context, period string) ([]BudgetUse, error) {
	if period == "" {
		period = domain.Period(a.now())
	}
	if _, err := time.Parse("2006-01", period); err != nil {
		return nil, decider.Rejects("period", "must be a month such as 2026-11")
	}
	categories := make([]string, 0, len(a.Policy.Budgets.MonthlyMinor))
	for c := range a.Policy.Budgets.MonthlyMinor {
		categories = append(categories, c)
	}
	slices.Sort(categories)
	out := make([]BudgetUse, 0, len(categories))
	for _, c := range categories {
		limit := a.Policy.Budgets.MonthlyMinor[c]
		b, _, err := a.budgets.Load(ctx, domain.BudgetID(period, c))
		if err != nil && !errors.Is(err, es.ErrNotFound) {
			return nil, err
		}
		n := 0
		for _, v := range b.Reservations {
			if v > 0 {
				n++
			}
		}
		cur := b.Currency
		if cur == "" {
			cur = a.Policy.Budgets.Currency
		}
		out = append(out, BudgetUse{Period: period, Category: c, Currency: cur, LimitMinor: limit, UsedMinor: b.UsedMinor,
			RemainingMinor: max(0, limit-b.UsedMinor), Over: b.OverBudgetMinor, Reservations: n})
	}
	return out, nil
}

// ErrNoLedger answers a ledger read where the projection does not run.
var ErrNoLedger = decider.NotFound("the redress ledger is not kept by this process")

// LedgerTotalsAsOf sums issued redress by group within [from, to), as the
// ledger stood at asOf (zero: now).
func (a *Compensation) LedgerTotalsAsOf(ctx context.Context, group string, from, to, asOf time.Time) ([]domain.LedgerTotal, error) {
	if group == "" {
		group = "period"
	}
	if !slices.Contains(domain.Groups, group) {
		return nil, decider.Rejects("group", "must be one of complaint, cause, cause_category, product, period, kind")
	}
	if a.ledger == nil {
		return nil, ErrNoLedger
	}
	var out []domain.LedgerTotal
	if !asOf.IsZero() {
		err := a.ledger.LedgerAsOf(ctx, asOf, func(l domain.Ledger) { out = l.Totals(group, from, to) })
		return out, err
	}
	a.ledger.Ledger(func(l domain.Ledger) { out = l.Totals(group, from, to) })
	return out, nil
}
