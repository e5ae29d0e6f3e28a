// Package domain holds compensation's rules: redress is decided from a policy
// kept as data, approved by a second person above a limit or an exhausted
// budget, and issued exactly once per item. Pure: no I/O, no clocks.
package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/notify"
)

// Category is the stream category of redress: "redress-<complaint id>".
const Category = "redress"

// Status is where the redress of a complaint's latest resolution stands.
type Status int

const (
	// Undecided: no redress decided yet (the case is not resolved).
	Undecided Status = iota
	// AwaitingApproval: decided above an approval limit, or with its budget
	// exhausted; an approver has to agree before it is issued.
	AwaitingApproval
	// Issuing: the payment systems are asked to issue the monetary items;
	// not every one is confirmed yet.
	Issuing
	// Issued: every monetary item is confirmed issued (settled).
	Issued
	// NothingToIssue: settled with no monetary item (an apology, say).
	NothingToIssue
	// Rejected: an approver refused the redress (settled with nothing paid).
	Rejected
)

func (s Status) String() string {
	switch s {
	case AwaitingApproval:
		return "awaiting_approval"
	case Issuing:
		return "issuing"
	case Issued:
		return "issued"
	case NothingToIssue:
		return "settled"
	case Rejected:
		return "rejected"
	default:
		return "undecided"
	}
}

// IssuanceStatus is where one issuance stands.
type IssuanceStatus int

const (
	// Requested: asked of the payment system, not answered yet.
	Requested IssuanceStatus = iota + 1
	// Failed: the payment system failed it; it is requested again at RetryAt.
	Failed
	// FailedEscalated: failed the last attempt; a person has to act.
	FailedEscalated
	// Confirmed: issued.
	Confirmed
)

func (s IssuanceStatus) String() string {
	switch s {
	case Requested:
		return "requested"
	case Failed:
		return "failed"
	case FailedEscalated:
		return "escalated"
	case Confirmed:
		return "issued"
	}
	return "unknown"
}

// Issuance is one monetary item asked of the payment systems.
type Issuance struct {
	ID         string
	Resolution int32
	Item       *complaintsv1.RedressItem
	Status     IssuanceStatus
	Attempt    int32
	RetryAt    time.Time
	Reason     string
	// ExternalReference is the payment system's own reference.
	ExternalReference string
	IssuedAt          time.Time
}

// Redress is the compensation aggregate's state: the redress of the
// complaint's latest resolution, and every issuance ever requested.
type Redress struct {
	ComplaintID string
	Status      Status
	Resolution  int32
	Outcome     complaintsv1.Outcome
	Items       []*complaintsv1.RedressItem
	// Decided is the RedressDecided of the latest resolution.
	Decided *complaintsv1.RedressDecided
	// ApprovalReason: "over-limit" or "budget-exhausted" while approval is
	// required.
	ApprovalReason string
	ApproverRole   string
	// ApprovalLevel indexes the policy's approval levels.
	ApprovalLevel int
	// EscalateAt is when a pending approval escalates; zero when it does not.
	EscalateAt time.Time
	// DecidedBy (the approver) and Reason, once approved or rejected.
	ApprovedBy   string
	RejectReason string
	// Issuances by id, in request order in IssuanceOrder.
	Issuances     map[string]*Issuance
	IssuanceOrder []string
}

// Command is what the redress aggregate accepts.
type Command interface{ isRedressCommand() }

// DecideRedress records the redress the policy gives a resolved complaint.
// Plan is the policy's answer for Facts (Policy.Plan), worked out once
// before the decision so that the budgets can take its Reservation first.
type DecideRedress struct {
	Facts      Facts
	Plan       Plan
	Resolution int32
	// ResolvedBy is CaseResolved's resolved_by; ResolverActor the actor
	// who recorded it: neither may approve (four eyes).
	ResolvedBy    string
	ResolverActor string
	CustomerID    string
	// BudgetExhausted: a budget of the plan's categories could not take it.
	BudgetExhausted bool
	BudgetPeriod    string
	At              time.Time
}

// Decision is an approver's answer.
type Decision int

const (
	Approve Decision = iota + 1
	Reject
	Amend
)

// DecideApproval is an approver approving, rejecting or amending redress.
type DecideApproval struct {
	Decision Decision
	Reason   string
	// Items replace the decided ones (Amend).
	Items []*complaintsv1.RedressItem
	// Approver is the approver's actor ("agent:<subject>"); Subject its id.
	Approver string
	Subject  string
	// RoleLimit is the most the approver's roles may approve.
	RoleLimit int64
	At        time.Time
}

// EscalateApproval is the approval timer firing for Due.
type EscalateApproval struct {
	Due time.Time
	At  time.Time
}

// ConfirmIssuance is the payment system's answer for one issuance.
type ConfirmIssuance struct {
	IssuanceID        string
	Issued            bool
	Reason            string
	ExternalReference string
	// Attempt the answer is for; 0 for the latest.
	Attempt int32
	At      time.Time
}

// RetryIssuance is the retry timer of a failed issuance firing for Due.
type RetryIssuance struct {
	IssuanceID string
	Due        time.Time
	At         time.Time
}

func (DecideRedress) isRedressCommand()    {}
func (DecideApproval) isRedressCommand()   {}
func (EscalateApproval) isRedressCommand() {}
func (ConfirmIssuance) isRedressCommand()  {}
func (RetryIssuance) isRedressCommand()    {}

// Refusals.
var (
	// ErrNotAwaitingApproval refuses an approval of redress that is not
	// waiting for one.
	ErrNotAwaitingApproval = decider.Conflicts("the redress is not waiting for approval")
	// ErrFourEyes refuses an approval by the person who resolved the case.
	ErrFourEyes = decider.Conflicts("four eyes: the approver must not be the person who resolved the case")
	// ErrOverRoleLimit refuses an approval above the approver's limit.
	ErrOverRoleLimit = &decider.Refusal{Kind: decider.Unacceptable, Reason: "the total is above what your role may approve"}
	// ErrNoSuchIssuance answers a confirmation of an issuance never requested.
	ErrNoSuchIssuance = decider.NotFound("no such issuance for this complaint")
)

// NewDecider builds the redress decider for a policy.
func NewDecider(p Policy) decider.Decider[Redress, Command] {
	return decider.Decider[Redress, Command]{
		Initial: func() Redress { return Redress{} },
		Decide: func(cmd Command, r Redress) ([]proto.Message, error) {
			switch cmd := cmd.(type) {
			case DecideRedress:
				return decide(p, cmd, r)
			case DecideApproval:
				return approve(p, cmd, r)
			case EscalateApproval:
				return escalate(p, cmd, r)
			case ConfirmIssuance:
				return confirm(p, cmd, r)
			case RetryIssuance:
				return retry(cmd, r)
			}
			return nil, nil // unreachable: Command is sealed
		},
		Evolve: Evolve,
	}
}

// decide decides redress once per resolution: within the limits it is
// requested at once (or settled when there is nothing to issue); otherwise
// it waits for an approver.
func decide(p Policy, cmd DecideRedress, r Redress) ([]proto.Message, error) {
	if cmd.Resolution <= r.Resolution && r.Status != Undecided {
		return nil, nil // this resolution (or a later one) is decided
	}
	f, pl := cmd.Facts, cmd.Plan
	// A resolution no rule fits earns nothing: it is still decided (naming
	// no rule) and settled, so that its follow-up starts.
	total, currency := pl.Total()
	reason := ""
	switch {
	case pl.NeedsApproval():
		reason = "over-limit"
	case total > 0 && cmd.BudgetExhausted:
		reason = "budget-exhausted"
	}
	d := &complaintsv1.RedressDecided{
		ComplaintId: f.ComplaintID, PolicyRule: pl.Rule.ID, DecidedAt: timestamppb.New(cmd.At), Outcome: f.Outcome,
		DecidedBy: &complaintsv1.PolicyRef{Policy: PolicyName, Version: p.Version, RuleId: pl.Rule.ID},
		Items:     pl.Items, Resolution: cmd.Resolution, ApprovalRequired: reason != "", ApprovalReason: reason,
		ResolvedBy: cmd.ResolvedBy, RootCause: f.RootCause, Product: f.Product, ResolverActor: cmd.ResolverActor,
		RootCauseCategory: f.RootCauseCategory, CustomerId: cmd.CustomerID, DisputedAmountMinor: f.DisputedMinor,
		DisputedCurrency: f.Currency, BudgetPeriod: cmd.BudgetPeriod, Reference: f.Reference, Team: f.Team,
	}
	if len(pl.Items) > 0 {
		first := pl.Items[0]
		if i := slices.IndexFunc(pl.Items, func(it *complaintsv1.RedressItem) bool { return it.AmountMinor > 0 }); i >= 0 {
			first = pl.Items[i]
		}
		d.Kind, d.AmountMinor, d.Currency = first.Kind, first.AmountMinor, first.Currency
	}
	events := []proto.Message{d}
	if reason != "" {
		level, _ := p.ApproverFor(total)
		events = append(events, &complaintsv1.RedressApprovalRequested{
			ComplaintId: f.ComplaintID, Resolution: cmd.Resolution, TotalMinor: total, Currency: currency,
			Reason: reason, ApproverRole: level.Role, RequestedAt: timestamppb.New(cmd.At),
			EscalateAt: timestamppb.New(cmd.At.Add(p.EscalateAfter())),
		})
		return events, nil
	}
	return append(events, issue(d, pl.Items, cmd.At)...), nil
}

// settled ends decision d's redress with outcome, carrying what its
// follow-up needs from the resolution so that it reads no other stream.
func settled(d *complaintsv1.RedressDecided, outcome string, total int64, currency string, at *timestamppb.Timestamp) *complaintsv1.RedressSettled {
	return &complaintsv1.RedressSettled{ComplaintId: d.GetComplaintId(), Resolution: d.GetResolution(), TotalMinor: total, Currency: currency,
		SettledAt: at, Outcome: outcome, CustomerId: d.GetCustomerId(), Reference: d.GetReference(), Product: d.GetProduct(),
		Team: d.GetTeam(), RootCause: d.GetRootCause()}
}

// IssuanceID is the stable id of one item's issuance: the payment systems
// de-duplicate on it. It is derived from the complaint, the resolution and
// the item, so every retry, redelivery and restart requests the same one.
func IssuanceID(complaintID, itemID string) string { return "iss_" + complaintID + "_" + itemID }

// issue requests every monetary item of decision d, or settles at once
// when there is none.
func issue(d *complaintsv1.RedressDecided, items []*complaintsv1.RedressItem, at time.Time) []proto.Message {
	complaintID, customerID := d.GetComplaintId(), d.GetCustomerId()
	var events []proto.Message
	for _, it := range items {
		if it.AmountMinor <= 0 {
			continue
		}
		events = append(events, &complaintsv1.RedressIssuanceRequested{
			ComplaintId: complaintID, IssuanceId: IssuanceID(complaintID, it.ItemId), Item: it, Attempt: 1,
			RequestedAt: timestamppb.New(at), CustomerId: customerID,
		})
	}
	if len(events) == 0 {
		return []proto.Message{settled(d, "nothing-to-issue", 0, "", timestamppb.New(at))}
	}
	return events
}

func approve(p Policy, cmd DecideApproval, r Redress) ([]proto.Message, error) {
	if r.Status != AwaitingApproval {
		return nil, decider.Refusef(ErrNotAwaitingApproval, "it is %s", r.Status)
	}
	d := r.Decided
	if cmd.Approver != "" && (cmd.Approver == d.ResolverActor || cmd.Subject == d.ResolvedBy ||
		(d.ResolvedBy != "" && cmd.Approver == d.ResolvedBy)) {
		return nil, decider.Refusef(ErrFourEyes, "%s resolved resolution %d; another approver has to decide", cmd.Approver, r.Resolution)
	}
	at := timestamppb.New(cmd.At)
	switch cmd.Decision {
	case Reject:
		if cmd.Reason == "" {
			return nil, decider.Rejects("reason", "a rejection needs a reason")
		}
		return []proto.Message{
			&complaintsv1.RedressRejected{ComplaintId: r.ComplaintID, Resolution: r.Resolution, RejectedBy: cmd.Approver, Reason: cmd.Reason, RejectedAt: at},
			settled(r.Decided, "rejected", 0, "", at),
		}, nil
	case Approve, Amend:
	default:
		return nil, decider.Rejects("decision", "must be approve, reject or amend")
	}
	items := r.Items
	var events []proto.Message
	if cmd.Decision == Amend {
		if len(cmd.Items) == 0 {
			return nil, decider.Rejects("items", "an amendment states the items to issue")
		}
		if cmd.Reason == "" {
			return nil, decider.Rejects("reason", "an amendment needs a reason")
		}
		items = make([]*complaintsv1.RedressItem, len(cmd.Items))
		for i, it := range cmd.Items {
			it = proto.CloneOf(it)
			it.ItemId = fmt.Sprintf("%d-%d", r.Resolution, i)
			if it.Category == "" {
				it.Category = defaultCategory(it.Kind)
			}
			it.Relief = "non-monetary"
			if it.AmountMinor > 0 {
				it.Relief = "monetary"
				if it.Currency == "" {
					it.Currency = p.Currency
				}
			}
			if r.Outcome == complaintsv1.Outcome_OUTCOME_REJECTED && it.AmountMinor > 0 ||
				it.Kind == complaintsv1.RedressKind_REDRESS_KIND_GOODWILL_GESTURE {
				it.Goodwill = true
			}
			if it.RuleId == "" {
				it.RuleId = "amended"
			}
			items[i] = it
		}
		events = append(events, &complaintsv1.RedressAmended{ComplaintId: r.ComplaintID, Resolution: r.Resolution,
			AmendedBy: cmd.Approver, Reason: cmd.Reason, Items: items, AmendedAt: at})
	}
	if total, currency := Total(items); total > cmd.RoleLimit {
		return nil, decider.Refusef(ErrOverRoleLimit, "total %d %s, your limit %d: the approval needs the role %s",
			total, currency, cmd.RoleLimit, r.ApproverRole)
	}
	events = append(events, &complaintsv1.RedressApproved{ComplaintId: r.ComplaintID, Resolution: r.Resolution, ApprovedBy: cmd.Approver, ApprovedAt: at})
	return append(events, issue(d, items, cmd.At)...), nil
}

// escalate moves a pending approval one level up when its timer fires for
// the due time the state expects; a stale firing does nothing.
func escalate(p Policy, cmd EscalateApproval, r Redress) ([]proto.Message, error) {
	if r.Status != AwaitingApproval || r.EscalateAt.IsZero() || !cmd.Due.Equal(r.EscalateAt) {
		return nil, nil
	}
	next, ok := p.Level(r.ApprovalLevel + 1)
	e := &complaintsv1.RedressApprovalEscalated{ComplaintId: r.ComplaintID, Resolution: r.Resolution,
		ToRole: next.Role, EscalatedAt: timestamppb.New(cmd.At), Level: int32(r.ApprovalLevel + 1)}
	if ok {
		if _, more := p.Level(r.ApprovalLevel + 2); more {
			e.NextEscalateAt = timestamppb.New(cmd.At.Add(p.EscalateAfter()))
		}
	}
	return []proto.Message{e}, nil
}

// confirm records the payment system's answer. A second answer for the
// same issuance and attempt does nothing.
func confirm(p Policy, cmd ConfirmIssuance, r Redress) ([]proto.Message, error) {
	is, ok := r.Issuances[cmd.IssuanceID]
	if !ok {
		return nil, decider.Refusef(ErrNoSuchIssuance, "issuance %q", cmd.IssuanceID)
	}
	if is.Status == Confirmed {
		return nil, nil // a duplicate confirmation
	}
	at := timestamppb.New(cmd.At)
	if !cmd.Issued {
		if is.Status != Requested || (cmd.Attempt != 0 && cmd.Attempt != is.Attempt) {
			return nil, nil // this attempt's failure is recorded, or it is an old attempt's
		}
		f := &complaintsv1.RedressIssuanceFailed{ComplaintId: r.ComplaintID, IssuanceId: is.ID, Reason: cmd.Reason,
			Attempt: is.Attempt, FailedAt: at, Escalated: is.Attempt >= p.MaxAttempts()}
		if !f.Escalated {
			f.RetryAt = timestamppb.New(cmd.At.Add(p.RetryAfter()))
		}
		return []proto.Message{f}, nil
	}
	it := is.Item
	events := []proto.Message{&complaintsv1.RedressIssued{
		ComplaintId: r.ComplaintID, IssueId: is.ID, Kind: it.Kind, AmountMinor: it.AmountMinor, Currency: it.Currency,
		IssuedAt: at, IssuanceId: is.ID, ExternalReference: cmd.ExternalReference, ItemId: it.ItemId,
	}}
	// Settled once every issuance of the resolution is confirmed.
	if is.Resolution == r.Resolution && (r.Status == Issuing) {
		var total int64
		var currency string
		for _, id := range r.IssuanceOrder {
			o := r.Issuances[id]
			if o.Resolution != r.Resolution {
				continue
			}
			if o.ID != is.ID && o.Status != Confirmed {
				return events, nil
			}
			total += o.Item.AmountMinor
			currency = o.Item.Currency
		}
		events = append(events, settled(r.Decided, "issued", total, currency, at))
		if p.Templates != nil {
			n, err := p.Templates.Request(notify.Message{
				ComplaintID: r.ComplaintID, CustomerID: r.Decided.GetCustomerId(), Purpose: IssuedTemplate,
				Step: fmt.Sprintf("resolution-%d", r.Resolution), At: cmd.At,
				Fields: IssuedFields{Reference: r.Decided.GetReference(), Description: Describe(r.issuedItems())},
			})
			if err != nil {
				return nil, err
			}
			events = append(events, n)
		}
	}
	return events, nil
}

// IssuedTemplate is the message telling the customer their redress is
// issued.
const IssuedTemplate = "redress-issued"

// IssuedFields are the fields of the redress-issued template.
type IssuedFields struct {
	Reference   string
	Description string
}

func (r Redress) issuedItems() []*complaintsv1.RedressItem {
	var out []*complaintsv1.RedressItem
	for _, id := range r.IssuanceOrder {
		if is := r.Issuances[id]; is.Resolution == r.Resolution {
			out = append(out, is.Item)
		}
	}
	return out
}

// Describe says in words what the items are: "an account credit of 25.00
// GBP and a refund of 10.00 GBP".
func Describe(items []*complaintsv1.RedressItem) string {
	var parts []string
	for _, it := range items {
		name := strings.ReplaceAll(it.Kind.APIName(), "_", " ")
		article := "a "
		if strings.ContainsAny(name[:1], "aeiou") {
			article = "an "
		}
		part := article + name
		if it.AmountMinor > 0 {
			part += " of " + Amount(it.AmountMinor, it.Currency)
		}
		parts = append(parts, part)
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Amount formats minor units in their currency: "25.00 GBP", "2500 JPY".
func Amount(minor int64, currency string) string {
	switch currency {
	case "JPY", "KRW", "ISK", "CLP", "VND":
		return fmt.Sprintf("%d %s", minor, currency)
	}
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, currency)
}

// retry requests a failed issuance again, with the same id, when its timer
// fires for the time the state expects.
func retry(cmd RetryIssuance, r Redress) ([]proto.Message, error) {
	is, ok := r.Issuances[cmd.IssuanceID]
	if !ok || is.Status != Failed || !cmd.Due.Equal(is.RetryAt) {
		return nil, nil
	}
	return []proto.Message{&complaintsv1.RedressIssuanceRequested{
		ComplaintId: r.ComplaintID, IssuanceId: is.ID, Item: is.Item, Attempt: is.Attempt + 1,
		RequestedAt: timestamppb.New(cmd.At), CustomerId: r.Decided.GetCustomerId(),
	}}, nil
}

// Evolve folds one event into the redress.
func Evolve(r Redress, event proto.Message) Redress {
	switch e := event.(type) {
	case *complaintsv1.RedressDecided:
		r.ComplaintID, r.Resolution, r.Outcome, r.Decided = e.ComplaintId, e.Resolution, e.Outcome, e
		r.Items, r.ApprovalReason, r.ApproverRole, r.EscalateAt = e.Items, e.ApprovalReason, "", time.Time{}
		r.ApprovedBy, r.RejectReason, r.ApprovalLevel = "", "", 0
		if len(e.Items) == 0 && e.Kind != complaintsv1.RedressKind_REDRESS_KIND_UNSPECIFIED {
			// Decided before items were recorded: its one item.
			r.Items = []*complaintsv1.RedressItem{{ItemId: fmt.Sprintf("%d-0", e.Resolution), Kind: e.Kind,
				AmountMinor: e.AmountMinor, Currency: e.Currency, RuleId: e.PolicyRule}}
		}
		r.Status = Issuing
		if e.ApprovalRequired {
			r.Status = AwaitingApproval
		}
	case *complaintsv1.RedressApprovalRequested:
		r.ApproverRole, r.EscalateAt = e.ApproverRole, e.EscalateAt.AsTime()
	case *complaintsv1.RedressApprovalEscalated:
		r.ApproverRole, r.ApprovalLevel = e.ToRole, int(e.Level)
		r.EscalateAt = time.Time{}
		if e.NextEscalateAt != nil {
			r.EscalateAt = e.NextEscalateAt.AsTime()
		}
	case *complaintsv1.RedressAmended:
		r.Items = e.Items
	case *complaintsv1.RedressApproved:
		r.Status, r.ApprovedBy, r.EscalateAt = Issuing, e.ApprovedBy, time.Time{}
	case *complaintsv1.RedressRejected:
		r.Status, r.ApprovedBy, r.RejectReason, r.EscalateAt = Rejected, e.RejectedBy, e.Reason, time.Time{}
	case *complaintsv1.RedressIssuanceRequested:
		if r.Issuances == nil {
			r.Issuances = map[string]*Issuance{}
		}
		is, ok := r.Issuances[e.IssuanceId]
		if !ok {
			is = &Issuance{ID: e.IssuanceId, Resolution: r.Resolution, Item: e.Item}
			r.Issuances[e.IssuanceId] = is
			r.IssuanceOrder = append(r.IssuanceOrder, e.IssuanceId)
		}
		is.Status, is.Attempt, is.RetryAt = Requested, e.Attempt, time.Time{}
	case *complaintsv1.RedressIssuanceFailed:
		if is := r.Issuances[e.IssuanceId]; is != nil {
			is.Status, is.Reason, is.RetryAt = Failed, e.Reason, time.Time{}
			if e.Escalated {
				is.Status = FailedEscalated
			}
			if e.RetryAt != nil {
				is.RetryAt = e.RetryAt.AsTime()
			}
		}
	case *complaintsv1.RedressIssued:
		if is := r.Issuances[e.IssuanceId]; is != nil {
			is.Status, is.ExternalReference, is.IssuedAt = Confirmed, e.ExternalReference, e.IssuedAt.AsTime()
		} else if r.Status != Rejected {
			// Issued at once before issuance was confirmed by the payment
			// systems: nothing waits.
			r.Status = Issued
		}
	case *complaintsv1.RedressSettled:
		if e.Resolution == r.Resolution || e.Resolution == 0 {
			switch e.Outcome {
			case "rejected":
				r.Status = Rejected
			case "nothing-to-issue":
				r.Status = NothingToIssue
			default:
				r.Status = Issued
			}
		}
	}
	return r
}
