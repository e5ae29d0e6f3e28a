package domain

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// BudgetCategory is the stream category of budgets:
// "budget-<period>-<redress category>", e.g. "budget-2026-11-goodwill".
const BudgetCategory = "budget"

// BudgetID is a budget stream's id: "<period>-<category>".
func BudgetID(period, category string) string { return period + "-" + category }

// Period is the budget period of a time: its calendar month in UTC,
// "2026-11".
func Period(t time.Time) string { return t.UTC().Format("2006-01") }

// Budget is one redress category's budget for one period: what is
// reserved, by which reservation.
type Budget struct {
	Period, Category string
	UsedMinor        int64
	Currency         string
	Reservations     map[string]int64
	// OverBudgetMinor is what approvers let through beyond the limit.
	OverBudgetMinor int64
}

// BudgetCommand is what a budget accepts.
type BudgetCommand interface{ isBudgetCommand() }

// Reserve sets AmountMinor aside for one reservation. Without Override it is
// refused when the budget's remainder is too small; an approver's Override
// reserves it anyway, recorded as over budget.
type Reserve struct {
	Period, Category, ReservationID, ComplaintID string
	AmountMinor                                  int64
	Currency                                     string
	// LimitMinor is the budget's limit in the policy now.
	LimitMinor int64
	Override   bool
	ApprovedBy string
	At         time.Time
}

// Release gives a reservation back.
type Release struct {
	Period, Category, ReservationID, ComplaintID, Reason string
	At                                                   time.Time
}

func (Reserve) isBudgetCommand() {}
func (Release) isBudgetCommand() {}

// ErrBudgetExhausted refuses a reservation the budget cannot take.
var ErrBudgetExhausted = decider.Conflicts("the redress budget is exhausted")

// NewBudgetDecider builds the budget decider. Each budget is one stream, so
// two decisions reserving from it at once are serialised by the stream's
// expected revision: the second decides again on the first's result.
func NewBudgetDecider() decider.Decider[Budget, BudgetCommand] {
	return decider.Decider[Budget, BudgetCommand]{
		Initial: func() Budget { return Budget{} },
		Decide: func(cmd BudgetCommand, b Budget) ([]proto.Message, error) {
			switch cmd := cmd.(type) {
			case Reserve:
				if _, done := b.Reservations[cmd.ReservationID]; done {
					return nil, nil
				}
				over := cmd.LimitMinor > 0 && b.UsedMinor+cmd.AmountMinor > cmd.LimitMinor
				if over && !cmd.Override {
					return nil, decider.Refusef(ErrBudgetExhausted, "%s %s: %d used of %d, %d more asked",
						cmd.Category, cmd.Period, b.UsedMinor, cmd.LimitMinor, cmd.AmountMinor)
				}
				return []proto.Message{&complaintsv1.BudgetReserved{
					Period: cmd.Period, Category: cmd.Category, ReservationId: cmd.ReservationID, ComplaintId: cmd.ComplaintID,
					AmountMinor: cmd.AmountMinor, Currency: cmd.Currency, LimitMinor: cmd.LimitMinor, OverBudget: over,
					ApprovedBy: cmd.ApprovedBy, ReservedAt: timestamppb.New(cmd.At),
				}}, nil
			case Release:
				amount, ok := b.Reservations[cmd.ReservationID]
				if !ok || amount == 0 {
					return nil, nil
				}
				return []proto.Message{&complaintsv1.BudgetReleased{
					Period: cmd.Period, Category: cmd.Category, ReservationId: cmd.ReservationID, ComplaintId: cmd.ComplaintID,
					AmountMinor: amount, Reason: cmd.Reason, ReleasedAt: timestamppb.New(cmd.At),
				}}, nil
			}
			return nil, nil
		},
		Evolve: EvolveBudget,
	}
}

// EvolveBudget folds one event into a budget.
func EvolveBudget(b Budget, event proto.Message) Budget {
	switch e := event.(type) {
	case *complaintsv1.BudgetReserved:
		if b.Reservations == nil {
			b.Reservations = map[string]int64{}
		}
		b.Period, b.Category = e.Period, e.Category
		if e.Currency != "" {
			b.Currency = e.Currency
		}
		b.Reservations[e.ReservationId] = e.AmountMinor
		b.UsedMinor += e.AmountMinor
		if e.OverBudget {
			b.OverBudgetMinor += max(0, min(e.AmountMinor, b.UsedMinor-e.LimitMinor))
		}
	case *complaintsv1.BudgetReleased:
		if amount, ok := b.Reservations[e.ReservationId]; ok {
			b.UsedMinor -= amount
			b.Reservations[e.ReservationId] = 0
		}
	}
	return b
}
