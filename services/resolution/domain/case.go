// Package domain holds resolution's rules: a case is opened for every
// received complaint, routed to a team, and resolved with an outcome and a
// process root cause. Pure: no I/O, no clocks.
package domain

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of cases: "case-<complaint id>".
const Category = "case"

// Case is the resolution aggregate's state.
type Case struct {
	ComplaintID string
	Product     string
	Channel     string
	Opened      bool
	OpenedAt    time.Time
	Team        string
	Transfers   int
	Resolved    bool
	Outcome     complaintsv1.Outcome
	RootCause   string
	Summary     string
	ResolvedAt  time.Time
}

// OpenCase starts handling a received complaint.
type OpenCase struct {
	ComplaintID string
	Product     string
	Channel     string
	At          time.Time
}

// AssignCase routes the case to a team (a transfer when it already has one).
type AssignCase struct {
	Team  string
	Agent string
	At    time.Time
}

// ResolveCase records the outcome of the investigation.
type ResolveCase struct {
	Outcome   complaintsv1.Outcome
	RootCause string
	Summary   string
	Agent     string
	At        time.Time
}

// Errors a command can be refused with.
var (
	ErrCaseNotOpen       = errors.New("no case is open for this complaint")
	ErrAlreadyResolved   = errors.New("the case is already resolved with a different outcome")
	ErrUnknownRootCause  = errors.New("root cause is not in the taxonomy")
	ErrOutcomeRequired   = errors.New("an outcome (upheld, partly upheld or rejected) is required")
	ErrTeamRequired      = errors.New("a team is required")
	ErrResolvedCaseMoved = errors.New("a resolved case cannot be transferred")
)

// Policy is the data resolution decides with: where cases go and which root
// causes exist.
type Policy struct {
	Routing  RoutingTable
	Taxonomy Taxonomy
}

// NewDecider builds the case decider for a policy.
func NewDecider(p Policy) decider.Decider[Case, any] {
	return decider.Decider[Case, any]{
		Initial: func() Case { return Case{} },
		Decide:  func(cmd any, c Case) ([]proto.Message, error) { return Decide(p, cmd, c) },
		Evolve:  Evolve,
	}
}

// Decide applies a command (OpenCase, AssignCase or ResolveCase) to a case.
func Decide(p Policy, cmd any, c Case) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case OpenCase:
		if c.Opened {
			return nil, nil
		}
		return []proto.Message{
			&complaintsv1.CaseOpened{ComplaintId: cmd.ComplaintID, Product: cmd.Product, Channel: cmd.Channel, OpenedAt: timestamppb.New(cmd.At)},
			&complaintsv1.CaseAssigned{ComplaintId: cmd.ComplaintID, Team: p.Routing.TeamFor(cmd.Product), AssignedBy: RoutingTableAssigner, AssignedAt: timestamppb.New(cmd.At)},
		}, nil
	case AssignCase:
		switch {
		case !c.Opened:
			return nil, ErrCaseNotOpen
		case cmd.Team == "":
			return nil, ErrTeamRequired
		case c.Team == cmd.Team:
			return nil, nil
		case c.Resolved:
			return nil, ErrResolvedCaseMoved
		}
		return []proto.Message{&complaintsv1.CaseAssigned{ComplaintId: c.ComplaintID, Team: cmd.Team, AssignedBy: cmd.Agent, AssignedAt: timestamppb.New(cmd.At)}}, nil
	case ResolveCase:
		switch {
		case !c.Opened:
			return nil, ErrCaseNotOpen
		case cmd.Outcome == complaintsv1.Outcome_OUTCOME_UNSPECIFIED:
			return nil, ErrOutcomeRequired
		case !p.Taxonomy.Has(cmd.RootCause):
			return nil, fmt.Errorf("%w: %q", ErrUnknownRootCause, cmd.RootCause)
		case c.Resolved && c.Outcome == cmd.Outcome && c.RootCause == cmd.RootCause:
			return nil, nil
		case c.Resolved:
			return nil, ErrAlreadyResolved
		}
		return []proto.Message{&complaintsv1.CaseResolved{
			ComplaintId: c.ComplaintID, Outcome: cmd.Outcome, RootCause: cmd.RootCause, Summary: cmd.Summary,
			ResolvedBy: cmd.Agent, ResolvedAt: timestamppb.New(cmd.At), Product: c.Product,
		}}, nil
	default:
		return nil, fmt.Errorf("resolution: unknown command %T", cmd)
	}
}

// Evolve folds one event into the case.
func Evolve(c Case, event proto.Message) Case {
	switch e := event.(type) {
	case *complaintsv1.CaseOpened:
		c.ComplaintID, c.Product, c.Channel, c.Opened, c.OpenedAt = e.ComplaintId, e.Product, e.Channel, true, e.OpenedAt.AsTime()
	case *complaintsv1.CaseAssigned:
		if c.Team != "" {
			c.Transfers++
		}
		c.Team = e.Team
	case *complaintsv1.CaseResolved:
		c.Resolved, c.Outcome, c.RootCause, c.Summary, c.ResolvedAt = true, e.Outcome, e.RootCause, e.Summary, e.ResolvedAt.AsTime()
	}
	return c
}
