// Package domain holds resolution's rules: a case is opened for every
// received complaint, routed to a team, and resolved with an outcome and a
// process root cause. Pure: no I/O, no clocks.
package domain

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of cases: "case-<complaint id>".
const Category = "case"

// CaseStatus is where a case stands.
type CaseStatus int

const (
	// NotOpened: no case for this complaint yet.
	NotOpened CaseStatus = iota
	// Open: being investigated by its team.
	Open
	// Resolved: an outcome and a root cause have been recorded.
	Resolved
)

func (s CaseStatus) String() string {
	switch s {
	case Open:
		return "open"
	case Resolved:
		return "resolved"
	default:
		return "not opened"
	}
}

// Case is the resolution aggregate's state.
type Case struct {
	Status      CaseStatus
	ComplaintID string
	Product     string
	Channel     string
	OpenedAt    time.Time
	Team        string
	Transfers   int
	Outcome     complaintsv1.Outcome
	RootCause   string
	Summary     string
	ResolvedAt  time.Time
}

// CaseCommand is a command the case decider accepts.
type CaseCommand interface{ isCaseCommand() }

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

func (OpenCase) isCaseCommand()    {}
func (AssignCase) isCaseCommand()  {}
func (ResolveCase) isCaseCommand() {}

// Refusals a command can meet.
var (
	ErrCaseNotOpen       = decider.NotFound("no case is open for this complaint")
	ErrAlreadyResolved   = decider.Conflicts("the case is already resolved with a different outcome or root cause")
	ErrUnknownRootCause  = decider.Rejects("root_cause", "is not in the root-cause taxonomy")
	ErrOutcomeRequired   = decider.Rejects("outcome", "an outcome (upheld, partly upheld or rejected) is required")
	ErrTeamRequired      = decider.Rejects("team", "a team is required")
	ErrResolvedCaseMoved = decider.Conflicts("a resolved case cannot be transferred")
)

// Refusals lists every refusal of the case decider.
var Refusals = []*decider.Refusal{
	ErrCaseNotOpen, ErrAlreadyResolved, ErrUnknownRootCause, ErrOutcomeRequired, ErrTeamRequired, ErrResolvedCaseMoved,
}

// Policy is the data resolution decides with: where cases go and which root
// causes exist.
type Policy struct {
	Routing  Routing
	Taxonomy Taxonomy
}

// NewDecider builds the case decider for a policy.
func NewDecider(p Policy) decider.Decider[Case, CaseCommand] {
	return decider.Decider[Case, CaseCommand]{
		Initial: func() Case { return Case{} },
		Decide:  func(cmd CaseCommand, c Case) ([]proto.Message, error) { return Decide(p, cmd, c) },
		Evolve:  Evolve,
	}
}

// Decide applies a command to a case.
func Decide(p Policy, cmd CaseCommand, c Case) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case OpenCase:
		return open(p, cmd, c)
	case AssignCase:
		return assign(cmd, c)
	case ResolveCase:
		return resolve(p, cmd, c)
	default:
		return nil, fmt.Errorf("resolution: unknown command %T", cmd)
	}
}

func open(p Policy, cmd OpenCase, c Case) ([]proto.Message, error) {
	switch c.Status {
	case Open, Resolved:
		return nil, nil
	case NotOpened:
	}
	rule := p.Routing.Route(cmd.Product)
	return []proto.Message{
		&complaintsv1.CaseOpened{ComplaintId: cmd.ComplaintID, Product: cmd.Product, Channel: cmd.Channel, OpenedAt: timestamppb.New(cmd.At)},
		&complaintsv1.CaseAssigned{
			ComplaintId: cmd.ComplaintID, Team: rule.Team, AssignedBy: RoutingTableAssigner, AssignedAt: timestamppb.New(cmd.At),
			DecidedBy: &complaintsv1.PolicyRef{Policy: "routing", Version: p.Routing.Version, RuleId: rule.ID},
		},
	}, nil
}

// RoutingTableAssigner marks assignments made by the routing policy.
const RoutingTableAssigner = "routing-table"

func assign(cmd AssignCase, c Case) ([]proto.Message, error) {
	switch c.Status {
	case NotOpened:
		return nil, ErrCaseNotOpen
	case Open, Resolved:
	}
	switch {
	case cmd.Team == "":
		return nil, ErrTeamRequired
	case c.Team == cmd.Team:
		return nil, nil
	case c.Status == Resolved:
		return nil, ErrResolvedCaseMoved
	}
	return []proto.Message{&complaintsv1.CaseAssigned{ComplaintId: c.ComplaintID, Team: cmd.Team, AssignedBy: cmd.Agent, AssignedAt: timestamppb.New(cmd.At)}}, nil
}

func resolve(p Policy, cmd ResolveCase, c Case) ([]proto.Message, error) {
	switch {
	case c.Status == NotOpened:
		return nil, ErrCaseNotOpen
	case cmd.Outcome == complaintsv1.Outcome_OUTCOME_UNSPECIFIED:
		return nil, ErrOutcomeRequired
	case !p.Taxonomy.Has(cmd.RootCause):
		return nil, decider.Refusef(ErrUnknownRootCause, "%q", cmd.RootCause)
	}
	switch c.Status {
	case Resolved:
		if c.Outcome == cmd.Outcome && c.RootCause == cmd.RootCause {
			return nil, nil
		}
		return nil, ErrAlreadyResolved
	case Open, NotOpened:
	}
	return []proto.Message{&complaintsv1.CaseResolved{
		ComplaintId: c.ComplaintID, Outcome: cmd.Outcome, RootCause: cmd.RootCause, Summary: cmd.Summary,
		ResolvedBy: cmd.Agent, ResolvedAt: timestamppb.New(cmd.At), Product: c.Product,
		DecidedBy: &complaintsv1.PolicyRef{Policy: "taxonomy", Version: p.Taxonomy.Version},
	}}, nil
}

// Evolve folds one event into the case.
func Evolve(c Case, event proto.Message) Case {
	switch e := event.(type) {
	case *complaintsv1.CaseOpened:
		c.Status, c.ComplaintID, c.Product, c.Channel, c.OpenedAt = Open, e.ComplaintId, e.Product, e.Channel, e.OpenedAt.AsTime()
	case *complaintsv1.CaseAssigned:
		if c.Team != "" {
			c.Transfers++
		}
		c.Team = e.Team
	case *complaintsv1.CaseResolved:
		c.Status, c.Outcome, c.RootCause, c.Summary, c.ResolvedAt = Resolved, e.Outcome, e.RootCause, e.Summary, e.ResolvedAt.AsTime()
	}
	return c
}
