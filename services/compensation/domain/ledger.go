package domain

import (
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Ledger is the redress ledger: every confirmed issuance, with the
// complaint's product and root cause, for totals by complaint, cause,
// product and period. It is a projection's state, so its fields are
// exported for its snapshot.
type Ledger struct {
	// Cases holds what each complaint's latest decision said.
	Cases   map[string]LedgerCase `json:"cases"`
	Entries []LedgerEntry         `json:"entries"`
	// Seen holds the issuances already entered (a confirmation is entered
	// once).
	Seen map[string]bool `json:"seen"`
}

// LedgerCase is a complaint's product and cause.
type LedgerCase struct {
	Product           string `json:"product"`
	RootCause         string `json:"root_cause"`
	RootCauseCategory string `json:"root_cause_category"`
}

// LedgerEntry is one issued item.
type LedgerEntry struct {
	ComplaintID       string    `json:"complaint_id"`
	IssuanceID        string    `json:"issuance_id"`
	Kind              string    `json:"kind"`
	Category          string    `json:"category"`
	AmountMinor       int64     `json:"amount_minor"`
	Currency          string    `json:"currency"`
	Product           string    `json:"product"`
	RootCause         string    `json:"root_cause"`
	RootCauseCategory string    `json:"root_cause_category"`
	IssuedAt          time.Time `json:"issued_at"`
	Goodwill          bool      `json:"goodwill"`
}

// NewLedger returns an empty ledger.
func NewLedger() Ledger {
	return Ledger{Cases: map[string]LedgerCase{}, Seen: map[string]bool{}}
}

// EvolveLedger folds one redress event into the ledger.
func EvolveLedger(l Ledger, event proto.Message) Ledger {
	switch e := event.(type) {
	case *complaintsv1.RedressDecided:
		l.Cases[e.ComplaintId] = LedgerCase{Product: e.Product, RootCause: e.RootCause, RootCauseCategory: e.RootCauseCategory}
	case *complaintsv1.RedressIssued:
		id := e.IssuanceId
		if id == "" {
			id = e.IssueId
		}
		if l.Seen[id] {
			return l
		}
		l.Seen[id] = true
		c := l.Cases[e.ComplaintId]
		l.Entries = append(l.Entries, LedgerEntry{
			ComplaintID: e.ComplaintId, IssuanceID: id, Kind: e.Kind.APIName(), AmountMinor: e.AmountMinor,
			Currency: e.Currency, Product: c.Product, RootCause: c.RootCause, RootCauseCategory: c.RootCauseCategory,
			IssuedAt: e.IssuedAt.AsTime().UTC(),
		})
	}
	return l
}

// LedgerTotal is one group's total.
type LedgerTotal struct {
	Key         string
	Currency    string
	AmountMinor int64
	Items       int
}

// Group names how ledger totals are grouped.
var Groups = []string{"complaint", "cause", "cause_category", "product", "period", "kind"}

// Totals sums the entries issued in [from, to) (a zero bound is open) by
// group: complaint, cause, cause_category, product, period (month) or kind.
func (l Ledger) Totals(group string, from, to time.Time) []LedgerTotal {
	type key struct{ k, cur string }
	sums := map[key]*LedgerTotal{}
	for _, e := range l.Entries {
		if (!from.IsZero() && e.IssuedAt.Before(from)) || (!to.IsZero() && !e.IssuedAt.Before(to)) {
			continue
		}
		var k string
		switch group {
		case "complaint":
			k = e.ComplaintID
		case "cause":
			k = e.RootCause
		case "cause_category":
			k = e.RootCauseCategory
		case "product":
			k = e.Product
		case "kind":
			k = e.Kind
		default:
			k = Period(e.IssuedAt)
		}
		t := sums[key{k, e.Currency}]
		if t == nil {
			t = &LedgerTotal{Key: k, Currency: e.Currency}
			sums[key{k, e.Currency}] = t
		}
		t.AmountMinor += e.AmountMinor
		t.Items++
	}
	out := make([]LedgerTotal, 0, len(sums))
	for _, t := range sums {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b LedgerTotal) int {
		if a.Key != b.Key {
			if a.Key < b.Key {
				return -1
			}
			return 1
		}
		if a.Currency < b.Currency {
			return -1
		}
		if a.Currency > b.Currency {
			return 1
		}
		return 0
	})
	return out
}
