package domain

import (
	"cmp"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Awaiting is every redress waiting for an approver, by complaint: what an
// approver's list shows. It is a projection's state, folded by
// EvolveAwaiting from the redress events alone, so its fields are exported
// for its snapshot.
type Awaiting struct {
	Redress map[string]AwaitingRedress `json:"redress"`
}

// AwaitingRedress is one complaint's redress waiting for a decision.
type AwaitingRedress struct {
	ComplaintID string `json:"complaint_id"`
	Reference   string `json:"reference,omitempty"`
	Resolution  int32  `json:"resolution"`
	// PolicyRule, Policy and Version name the rule that decided it.
	PolicyRule string `json:"policy_rule,omitempty"`
	Policy     string `json:"policy,omitempty"`
	Version    string `json:"version,omitempty"`
	// Reason is why it waits: "over-limit" or "budget-exhausted".
	Reason string `json:"reason,omitempty"`
	// ApproverRole is the role it waits for; EscalateAt when it goes to the
	// next level (zero at the last).
	ApproverRole string    `json:"approver_role,omitempty"`
	EscalateAt   time.Time `json:"escalate_at"`
	// ResolvedBy and ResolverActor resolved the case: neither may decide.
	ResolvedBy    string         `json:"resolved_by,omitempty"`
	ResolverActor string         `json:"resolver_actor,omitempty"`
	DecidedAt     time.Time      `json:"decided_at"`
	Items         []AwaitingItem `json:"items"`
}

// AwaitingItem is one item of redress waiting for a decision.
type AwaitingItem struct {
	ItemID      string `json:"item_id,omitempty"`
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor,omitempty"`
	Currency    string `json:"currency,omitempty"`
	Category    string `json:"category,omitempty"`
	Relief      string `json:"relief,omitempty"`
	Goodwill    bool   `json:"goodwill,omitempty"`
	Basis       string `json:"basis,omitempty"`
	RuleID      string `json:"rule_id,omitempty"`
}

// NewAwaiting returns an empty list.
func NewAwaiting() Awaiting { return Awaiting{Redress: map[string]AwaitingRedress{}} }

// Total is the monetary items' total and their currency.
func (r AwaitingRedress) Total() (int64, string) {
	var total int64
	var currency string
	for _, it := range r.Items {
		if it.AmountMinor > 0 {
			total += it.AmountMinor
			if currency == "" {
				currency = it.Currency
			}
		}
	}
	return total, currency
}

// Kind is the kind of the first monetary item, else of the first item.
func (r AwaitingRedress) Kind() string {
	for _, it := range r.Items {
		if it.AmountMinor > 0 {
			return it.Kind
		}
	}
	if len(r.Items) > 0 {
		return r.Items[0].Kind
	}
	return ""
}

// EvolveAwaiting folds one redress event into the list: a decision that
// needs approval enters it, an approval or rejection (or a later decision
// that does not need one) leaves it; requests, escalations and amendments
// change what it shows.
func EvolveAwaiting(a Awaiting, event proto.Message) Awaiting {
	if a.Redress == nil {
		a.Redress = map[string]AwaitingRedress{}
	}
	switch e := event.(type) {
	case *complaintsv1.RedressDecided:
		if !e.ApprovalRequired {
			delete(a.Redress, e.ComplaintId)
			return a
		}
		r := AwaitingRedress{ComplaintID: e.ComplaintId, Reference: e.Reference, Resolution: e.Resolution,
			PolicyRule: e.PolicyRule, Reason: e.ApprovalReason, ResolvedBy: e.ResolvedBy, ResolverActor: e.ResolverActor,
			DecidedAt: e.DecidedAt.AsTime().UTC(), Items: awaitingItems(e.Items)}
		if p := e.DecidedBy; p != nil {
			r.Policy, r.Version = p.Policy, p.Version
		}
		if len(e.Items) == 0 && e.Kind != complaintsv1.RedressKind_REDRESS_KIND_UNSPECIFIED {
			// Decided before items were recorded: its one item.
			r.Items = []AwaitingItem{{Kind: e.Kind.APIName(), AmountMinor: e.AmountMinor, Currency: e.Currency, RuleID: e.PolicyRule}}
		}
		a.Redress[e.ComplaintId] = r
	case *complaintsv1.RedressApprovalRequested:
		a.change(e.ComplaintId, e.Resolution, func(r *AwaitingRedress) {
			r.ApproverRole = e.ApproverRole
			r.EscalateAt = time.Time{}
			if e.EscalateAt != nil {
				r.EscalateAt = e.EscalateAt.AsTime().UTC()
			}
		})
	case *complaintsv1.RedressApprovalEscalated:
		a.change(e.ComplaintId, e.Resolution, func(r *AwaitingRedress) {
			r.ApproverRole, r.EscalateAt = e.ToRole, time.Time{}
			if e.NextEscalateAt != nil {
				r.EscalateAt = e.NextEscalateAt.AsTime().UTC()
			}
		})
	case *complaintsv1.RedressAmended:
		a.change(e.ComplaintId, e.Resolution, func(r *AwaitingRedress) { r.Items = awaitingItems(e.Items) })
	case *complaintsv1.RedressApproved:
		a.leave(e.ComplaintId, e.Resolution)
	case *complaintsv1.RedressRejected:
		a.leave(e.ComplaintId, e.Resolution)
	case *complaintsv1.RedressSettled:
		a.leave(e.ComplaintId, e.Resolution)
	}
	return a
}

// change edits the entry of this resolution, if it waits.
func (a Awaiting) change(id string, resolution int32, f func(*AwaitingRedress)) {
	r, ok := a.Redress[id]
	if !ok || (resolution != 0 && r.Resolution != resolution) {
		return
	}
	f(&r)
	a.Redress[id] = r
}

// leave removes the entry of this resolution (any, for events that name
// none).
func (a Awaiting) leave(id string, resolution int32) {
	if r, ok := a.Redress[id]; ok && (resolution == 0 || r.Resolution == resolution) {
		delete(a.Redress, id)
	}
}

func awaitingItems(items []*complaintsv1.RedressItem) []AwaitingItem {
	out := make([]AwaitingItem, 0, len(items))
	for _, it := range items {
		out = append(out, AwaitingItem{ItemID: it.ItemId, Kind: it.Kind.APIName(), AmountMinor: it.AmountMinor,
			Currency: it.Currency, Category: it.Category, Relief: it.Relief, Goodwill: it.Goodwill, Basis: it.Basis, RuleID: it.RuleId})
	}
	return out
}

// Oldest lists the redress waiting, the longest waiting first (then by
// complaint id), after the entry (decidedAt, id) when after is set, at most
// limit of them; more says whether others follow.
func (a Awaiting) Oldest(after *AwaitingRedress, limit int) (list []AwaitingRedress, more bool) {
	all := make([]AwaitingRedress, 0, len(a.Redress))
	for _, r := range a.Redress {
		if after != nil && compareAwaiting(r, *after) <= 0 {
			continue
		}
		all = append(all, r)
	}
	slices.SortFunc(all, compareAwaiting)
	if len(all) > limit {
		return all[:limit], true
	}
	return all, false
}

func compareAwaiting(a, b AwaitingRedress) int {
	if c := a.DecidedAt.Compare(b.DecidedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ComplaintID, b.ComplaintID)
}
