// Package domain holds compensation's rules: redress is decided from a policy
// kept as data and issued exactly once. Pure: no I/O, no clocks.
package domain

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of redress: "redress-<complaint id>".
const Category = "redress"

// Status is where a complaint's redress stands.
type Status int

const (
	// Undecided: no redress decided yet (the case is not resolved).
	Undecided Status = iota
	// AwaitingApproval: decided above the automatic approval limit; an
	// approver has to agree before it is issued.
	AwaitingApproval
	// Issued: decided and issued to the payment or voucher systems.
	Issued
)

func (s Status) String() string {
	switch s {
	case AwaitingApproval:
		return "decided"
	case Issued:
		return "issued"
	default:
		return "undecided"
	}
}

// Redress is the compensation aggregate's state.
type Redress struct {
	ComplaintID string
	Status      Status
	Outcome     complaintsv1.Outcome
	Kind        complaintsv1.RedressKind
	AmountMinor int64
	Currency    string
	PolicyRule  string
	// DecidedBy names the policy version and rule that decided.
	DecidedBy *complaintsv1.PolicyRef
	IssueID   string
}

// Command is what the redress aggregate accepts.
type Command interface{ isRedressCommand() }

// DecideRedress applies the redress policy to a resolved complaint.
type DecideRedress struct {
	ComplaintID string
	Outcome     complaintsv1.Outcome
	Product     string
	RootCause   string
	At          time.Time
}

func (DecideRedress) isRedressCommand() {}

// ErrNoRule refuses a resolution the redress policy has no rule for: the
// policy, not the event, has to change, so retrying does not help.
var ErrNoRule = &decider.Refusal{Kind: decider.Unacceptable, Reason: "the redress policy has no rule for this resolution"}

// NewDecider builds the redress decider for a policy.
func NewDecider(p Policy) decider.Decider[Redress, Command] {
	return decider.Decider[Redress, Command]{
		Initial: func() Redress { return Redress{} },
		Decide: func(cmd Command, r Redress) ([]proto.Message, error) {
			switch cmd := cmd.(type) {
			case DecideRedress:
				return decide(p, cmd, r)
			}
			return nil, nil // unreachable: Command is sealed
		},
		Evolve: Evolve,
	}
}

// decide picks the first policy rule that fits the resolution. Redress within
// the automatic approval limit is issued at once; it is decided only once per
// complaint.
func decide(p Policy, cmd DecideRedress, r Redress) ([]proto.Message, error) {
	switch r.Status {
	case AwaitingApproval, Issued:
		return nil, nil
	case Undecided:
	}
	rule, ok := p.Match(cmd.Outcome, cmd.Product, cmd.RootCause)
	if !ok {
		return nil, decider.Refusef(ErrNoRule, "outcome %s, product %q, root cause %q (policy %s)",
			cmd.Outcome.APIName(), cmd.Product, cmd.RootCause, p.Version)
	}
	events := []proto.Message{&complaintsv1.RedressDecided{
		ComplaintId: cmd.ComplaintID, Kind: rule.kind, AmountMinor: rule.AmountMinor, Currency: rule.Currency,
		PolicyRule: rule.ID, DecidedAt: timestamppb.New(cmd.At), Outcome: cmd.Outcome,
		DecidedBy: &complaintsv1.PolicyRef{Policy: PolicyName, Version: p.Version, RuleId: rule.ID},
	}}
	if rule.AmountMinor <= p.ApprovalLimit(rule) {
		events = append(events, &complaintsv1.RedressIssued{
			ComplaintId: cmd.ComplaintID, IssueId: IssueID(cmd.ComplaintID), Kind: rule.kind,
			AmountMinor: rule.AmountMinor, Currency: rule.Currency, IssuedAt: timestamppb.New(cmd.At),
		})
	}
	return events, nil
}

// IssueID is the stable id payment and voucher systems de-duplicate on.
func IssueID(complaintID string) string { return "redress-" + complaintID + "-1" }

// Evolve folds one event into the redress.
func Evolve(r Redress, event proto.Message) Redress {
	switch e := event.(type) {
	case *complaintsv1.RedressDecided:
		r.ComplaintID, r.Status = e.ComplaintId, AwaitingApproval
		r.Kind, r.AmountMinor, r.Currency, r.PolicyRule, r.Outcome = e.Kind, e.AmountMinor, e.Currency, e.PolicyRule, e.Outcome
		r.DecidedBy = e.DecidedBy
	case *complaintsv1.RedressIssued:
		r.Status, r.IssueID = Issued, e.IssueId
	}
	return r
}
