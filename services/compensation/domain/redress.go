// Package domain holds compensation's rules: redress is decided from a policy
// kept as data and issued exactly once. Pure: no I/O, no clocks.
package domain

import (
	"errors"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of redress: "redress-<complaint id>".
const Category = "redress"

// Redress is the compensation aggregate's state.
type Redress struct {
	ComplaintID string
	Decided     bool
	Issued      bool
	Kind        complaintsv1.RedressKind
	AmountMinor int64
	Currency    string
	PolicyRule  string
	IssueID     string
	Outcome     complaintsv1.Outcome
}

// DecideRedress applies the redress policy to a resolved complaint.
type DecideRedress struct {
	ComplaintID string
	Outcome     complaintsv1.Outcome
	Product     string
	RootCause   string
	At          time.Time
}

// ErrNoRule is returned when the policy has no rule for a resolution.
var ErrNoRule = errors.New("the redress policy has no rule for this resolution")

// NewDecider builds the redress decider for a policy.
func NewDecider(p Policy) decider.Decider[Redress, DecideRedress] {
	return decider.Decider[Redress, DecideRedress]{
		Initial: func() Redress { return Redress{} },
		Decide:  func(cmd DecideRedress, r Redress) ([]proto.Message, error) { return Decide(p, cmd, r) },
		Evolve:  Evolve,
	}
}

// Decide picks the first policy rule that fits the resolution. Redress within
// the automatic approval limit is issued at once; it is decided only once per
// complaint.
func Decide(p Policy, cmd DecideRedress, r Redress) ([]proto.Message, error) {
	if r.Decided {
		return nil, nil
	}
	rule, ok := p.Match(cmd.Outcome, cmd.Product)
	if !ok {
		return nil, ErrNoRule
	}
	events := []proto.Message{&complaintsv1.RedressDecided{
		ComplaintId: cmd.ComplaintID, Kind: rule.Kind, AmountMinor: rule.AmountMinor, Currency: rule.Currency,
		PolicyRule: rule.ID, DecidedAt: timestamppb.New(cmd.At), Outcome: cmd.Outcome,
	}}
	if rule.AmountMinor <= p.AutoApproveLimitMinor {
		events = append(events, &complaintsv1.RedressIssued{
			ComplaintId: cmd.ComplaintID, IssueId: IssueID(cmd.ComplaintID), Kind: rule.Kind,
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
		r.ComplaintID, r.Decided = e.ComplaintId, true
		r.Kind, r.AmountMinor, r.Currency, r.PolicyRule, r.Outcome = e.Kind, e.AmountMinor, e.Currency, e.PolicyRule, e.Outcome
	case *complaintsv1.RedressIssued:
		r.Issued, r.IssueID = true, e.IssueId
	}
	return r
}
