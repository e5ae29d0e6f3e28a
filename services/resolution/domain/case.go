// Package domain holds resolution's rules: a case is opened for every
// received complaint, triaged and routed to a team; agents claim, transfer,
// escalate, review, ask the customer for information, record their contacts
// and resolve it with an outcome and a process root cause; the customer, an
// agent or a "not fixed" survey answer reopens it. Pure: no I/O, no clocks.
package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/notify"
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
	// AwaitingCustomer: an information request waits for the customer.
	AwaitingCustomer
	// Resolved: an outcome and a root cause have been recorded.
	Resolved
	// Reopened: resolved once, open again.
	Reopened
)

func (s CaseStatus) String() string {
	switch s {
	case Open:
		return "open"
	case AwaitingCustomer:
		return "awaiting_customer"
	case Resolved:
		return "resolved"
	case Reopened:
		return "reopened"
	default:
		return "not opened"
	}
}

// Active reports whether the case is work to do: open, reopened or waiting
// for the customer.
func (s CaseStatus) Active() bool { return s == Open || s == AwaitingCustomer || s == Reopened }

// RequestStanding is where an information request stands.
type RequestStanding int

const (
	// Waiting for the customer's answer.
	Waiting RequestStanding = iota
	// Answered by the customer.
	Answered
	// Withdrawn: the case was resolved before the customer answered.
	Withdrawn
)

// InformationRequest is one question put to the customer.
type InformationRequest struct {
	ID          string
	Question    string
	RequestedBy string
	RequestedAt time.Time
	Standing    RequestStanding
	Answer      string
	Channel     string
	AnsweredAt  time.Time
}

// Amount is a sum of money in minor units of an ISO 4217 currency.
type Amount struct {
	Minor    int64
	Currency string
}

// Case is the resolution aggregate's state.
type Case struct {
	Status      CaseStatus
	ComplaintID string
	CustomerID  string
	Reference   string
	Regime      string
	Product     string
	Channel     string
	OpenedAt    time.Time
	// Disputed is the amount the customer disputes, carried to the
	// resolution for redress; nil when the case was opened before its
	// opening carried it.
	Disputed *Amount

	// Triage.
	Triaged        bool
	Severity       string
	Priority       int
	Vulnerable     bool
	Flags          []string
	ReviewRequired bool
	Reviewed       bool
	Reviewer       string

	// Ownership.
	Team             string
	Agent            string
	AgentDisplayName string
	Tier             int
	// Owners counts the case-owner messages sent: it numbers the next one.
	Owners int

	// Effort and history.
	Transfers           int
	Escalations         int
	Requests            []InformationRequest
	Contacts            int
	FirstHumanContactAt time.Time
	Reopens             int
	// transferTo is the team a CaseTransferred announced, until its
	// CaseAssigned.
	transferTo string

	// The last resolution.
	Resolutions  int
	Outcome      complaintsv1.Outcome
	RootCause    string
	Summary      string
	ResolvedAt   time.Time
	ResolvedTeam string
	// FirstContactResolution of the last resolution.
	FirstContactResolution bool
}

// OpenRequest returns the information request waiting for the customer.
func (c Case) OpenRequest() (InformationRequest, bool) {
	for _, r := range c.Requests {
		if r.Standing == Waiting {
			return r, true
		}
	}
	return InformationRequest{}, false
}

func (c Case) request(id string) (InformationRequest, bool) {
	for _, r := range c.Requests {
		if r.ID == id {
			return r, true
		}
	}
	return InformationRequest{}, false
}

// resumed is the status of a case that stops waiting for the customer.
func (c Case) resumed() CaseStatus {
	if c.Reopens > 0 {
		return Reopened
	}
	return Open
}

// CaseCommand is a command the case decider accepts.
type CaseCommand interface{ isCaseCommand() }

// OpenCase starts handling a received complaint: open, triage, route.
type OpenCase struct {
	ComplaintID string
	CustomerID  string
	Reference   string
	Regime      string
	Product     string
	Channel     string
	// DisputedCurrency is the currency of Complaint.DisputedAmountMinor.
	DisputedCurrency string
	// What triage looks at.
	Complaint Complaint
	At        time.Time
}

// AssignCase gives the case to a team (a transfer when it has another one)
// and, when Agent is set, to one of its agents.
type AssignCase struct {
	Team        string
	Agent       string
	DisplayName string
	// Reason is why the case moves to another team; "unspecified" if none.
	Reason string
	By     string
	At     time.Time
}

// ClaimCase: an agent takes the case from the team's queue.
type ClaimCase struct {
	Agent       string
	DisplayName string
	At          time.Time
}

// EscalateCase takes the case a tier up: an agent's decision, or a clock's
// breach (Clock set).
type EscalateCase struct {
	Reason string
	Clock  string
	// Window: the breached clock is a window that closed (ClockBreached.window,
	// e.g. FCA summary resolution), not a deadline missed.
	Window bool
	By     string
	At     time.Time
}

// ReviewCase records the legal or regulatory review triage required.
type ReviewCase struct {
	Reviewer string
	Notes    string
	At       time.Time
}

// RequestInformation asks the customer a question; RequestID is chosen by
// the caller (stable across retries).
type RequestInformation struct {
	RequestID string
	Question  string
	By        string
	At        time.Time
}

// ProvideInformation is the customer's answer to a request.
type ProvideInformation struct {
	RequestID string
	Answer    string
	Channel   string
	At        time.Time
}

// RecordContact records that a person contacted the customer.
type RecordContact struct {
	Agent   string
	Channel string
	Summary string
	At      time.Time
}

// ResolveCase records the outcome of the investigation.
type ResolveCase struct {
	Outcome   complaintsv1.Outcome
	RootCause string
	Summary   string
	Agent     string
	At        time.Time
}

// ReopenCase opens a resolved case again.
type ReopenCase struct {
	Reason string
	// By is "customer:<id>", "agent:<id>" or SurveyReopener.
	By string
	// Resolution is the resolution the reopen is about (a survey's); 0 for
	// the current one. A reopen about an earlier resolution changes nothing.
	Resolution int
	// Closed: follow-up has closed the complaint; a recontact is intake's.
	Closed bool
	At     time.Time
}

func (OpenCase) isCaseCommand()           {}
func (AssignCase) isCaseCommand()         {}
func (ClaimCase) isCaseCommand()          {}
func (EscalateCase) isCaseCommand()       {}
func (ReviewCase) isCaseCommand()         {}
func (RequestInformation) isCaseCommand() {}
func (ProvideInformation) isCaseCommand() {}
func (RecordContact) isCaseCommand()      {}
func (ResolveCase) isCaseCommand()        {}
func (ReopenCase) isCaseCommand()         {}

// SurveyReopener reopens cases whose customer answered "not resolved".
const SurveyReopener = "system:followup"

// DefaultTransferReason is the reason of a transfer that gives none (older
// callers of POST /v1/cases/{id}/assignment).
const DefaultTransferReason = "unspecified"

// Refusals a command can meet.
var (
	ErrCaseNotOpen           = decider.NotFound("no case is open for this complaint")
	ErrAlreadyResolved       = decider.Conflicts("the case is already resolved with a different outcome or root cause")
	ErrUnknownRootCause      = decider.Rejects("root_cause", "is not in the root-cause taxonomy")
	ErrOutcomeRequired       = decider.Rejects("outcome", "an outcome (upheld, partly upheld or rejected) is required")
	ErrTeamRequired          = decider.Rejects("team", "a team is required")
	ErrResolvedCaseMoved     = decider.Conflicts("a resolved case cannot be transferred; reopen it first")
	ErrResolvedCaseChanged   = decider.Conflicts("the case is resolved; reopen it first")
	ErrClaimedByAnother      = decider.Conflicts("another agent owns the case; assign it to move it between agents")
	ErrAgentRequired         = decider.Rejects("agent", "an agent is required")
	ErrTopTier               = decider.Conflicts("the case is already at the top tier")
	ErrNoReviewRequired      = decider.Conflicts("triage required no review of this case")
	ErrReviewPending         = decider.Conflicts("triage flagged the case for a legal or regulatory review: an approver must review it (POST /v1/cases/{id}/review) before it is resolved")
	ErrQuestionRequired      = decider.Rejects("question", "a question is required")
	ErrRequestOpen           = decider.Conflicts("an information request is already waiting for the customer's answer")
	ErrUnknownRequest        = decider.NotFound("no such information request on this case")
	ErrAnswerRequired        = decider.Rejects("answer", "an answer is required")
	ErrRequestAnswered       = decider.Conflicts("the information request is already answered")
	ErrChannelRequired       = decider.Rejects("channel", "a channel is required")
	ErrNotResolved           = decider.Conflicts("only a resolved case can be reopened")
	ErrComplaintClosed       = decider.Conflicts("the complaint is closed; a new contact about it is a new complaint, linked to this one")
	ErrReasonRequired        = decider.Rejects("reason", "a reason is required")
	ErrReviewerRequired      = decider.Rejects("reviewer", "a reviewer is required")
	ErrRequestIDRequired     = decider.Rejects("request_id", "a request id is required")
	ErrEscalationUnexplained = decider.Rejects("reason", "a reason or the breached clock is required")
)

// Refusals lists every refusal of the case decider.
var Refusals = []*decider.Refusal{
	ErrCaseNotOpen, ErrAlreadyResolved, ErrUnknownRootCause, ErrOutcomeRequired, ErrTeamRequired, ErrResolvedCaseMoved,
	ErrResolvedCaseChanged, ErrClaimedByAnother, ErrAgentRequired, ErrTopTier, ErrNoReviewRequired, ErrReviewPending,
	ErrQuestionRequired, ErrRequestOpen, ErrUnknownRequest, ErrAnswerRequired, ErrRequestAnswered, ErrChannelRequired,
	ErrNotResolved, ErrComplaintClosed, ErrReasonRequired, ErrReviewerRequired, ErrRequestIDRequired, ErrEscalationUnexplained,
}

// Policy is the data resolution decides with: where cases go, how they are
// triaged, which root causes exist and what the customer is told.
type Policy struct {
	Routing   Routing
	Taxonomy  Taxonomy
	Triage    Triage
	Contacts  Contacts
	Templates *notify.Templates
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
	if _, ok := cmd.(OpenCase); !ok && c.Status == NotOpened {
		return nil, ErrCaseNotOpen
	}
	switch cmd := cmd.(type) {
	case OpenCase:
		return open(p, cmd, c)
	case AssignCase:
		return assign(p, cmd, c)
	case ClaimCase:
		return claim(p, cmd, c)
	case EscalateCase:
		return escalate(p, cmd, c)
	case ReviewCase:
		return review(cmd, c)
	case RequestInformation:
		return requestInformation(p, cmd, c)
	case ProvideInformation:
		return provideInformation(cmd, c)
	case RecordContact:
		return contact(cmd, c)
	case ResolveCase:
		return resolve(p, cmd, c)
	case ReopenCase:
		return reopen(p, cmd, c)
	default:
		return nil, fmt.Errorf("resolution: unknown command %T", cmd)
	}
}

// RoutingTableAssigner marks assignments made by the routing policy.
const RoutingTableAssigner = "routing-table"

func open(p Policy, cmd OpenCase, c Case) ([]proto.Message, error) {
	if c.Status != NotOpened {
		return nil, nil
	}
	at := timestamppb.New(cmd.At)
	rule := p.Routing.Route(cmd.Product)
	v := p.Triage.Assess(cmd.Complaint)
	return []proto.Message{
		&complaintsv1.CaseOpened{ComplaintId: cmd.ComplaintID, Product: cmd.Product, Channel: cmd.Channel, OpenedAt: at,
			CustomerId: cmd.CustomerID, Reference: cmd.Reference, Regime: cmd.Regime,
			DisputedAmountMinor: &cmd.Complaint.DisputedAmountMinor, DisputedCurrency: cmd.DisputedCurrency},
		&complaintsv1.CaseTriaged{
			ComplaintId: cmd.ComplaintID, Severity: v.Severity, Priority: int32(v.Priority), VulnerableCustomer: v.Vulnerable,
			Flags: v.Flags, ReviewRequired: v.ReviewRequired, TriagedAt: at,
			DecidedBy: &complaintsv1.PolicyRef{Policy: "triage", Version: p.Triage.Version, RuleId: strings.Join(v.RuleIDs, ",")},
		},
		&complaintsv1.CaseAssigned{
			ComplaintId: cmd.ComplaintID, Team: rule.Team, AssignedBy: RoutingTableAssigner, AssignedAt: at,
			DecidedBy: &complaintsv1.PolicyRef{Policy: "routing", Version: p.Routing.Version, RuleId: rule.ID},
		},
	}, nil
}

func assign(p Policy, cmd AssignCase, c Case) ([]proto.Message, error) {
	if cmd.Team == "" {
		return nil, ErrTeamRequired
	}
	agentChanges := cmd.Agent != "" && cmd.Agent != c.Agent
	if cmd.Team == c.Team && !agentChanges {
		return nil, nil
	}
	if c.Status == Resolved {
		if cmd.Team != c.Team {
			return nil, ErrResolvedCaseMoved
		}
		return nil, ErrResolvedCaseChanged
	}
	at := timestamppb.New(cmd.At)
	var out []proto.Message
	if cmd.Team != c.Team {
		reason := cmd.Reason
		if reason == "" {
			reason = DefaultTransferReason
		}
		out = append(out, &complaintsv1.CaseTransferred{
			ComplaintId: c.ComplaintID, FromTeam: c.Team, ToTeam: cmd.Team, Reason: reason,
			TransferredBy: cmd.By, TransferredAt: at, Transfers: int32(c.Transfers + 1),
		})
	}
	assigned := &complaintsv1.CaseAssigned{ComplaintId: c.ComplaintID, Team: cmd.Team, AssignedBy: cmd.By, AssignedAt: at}
	out = append(out, assigned)
	if cmd.Agent == "" {
		return out, nil
	}
	contact := p.Contacts.For(cmd.Team)
	assigned.Agent, assigned.AgentDisplayName = cmd.Agent, displayName(cmd.DisplayName, contact)
	n, err := ownerMessage(p, c, cmd.Team, assigned.AgentDisplayName, contact, cmd.At)
	if err != nil {
		return nil, err
	}
	return append(out, n), nil
}

func displayName(given string, contact Contact) string {
	if given != "" {
		return given
	}
	return contact.AgentDisplayName
}

// ownerMessage tells the customer who owns their complaint and how to
// reach them.
func ownerMessage(p Policy, c Case, team, name string, contact Contact, at time.Time) (proto.Message, error) {
	return p.Templates.Request(notify.Message{
		ComplaintID: c.ComplaintID, CustomerID: c.CustomerID, Purpose: notify.CaseOwner, Variant: c.Regime,
		Step: strconv.Itoa(c.Owners + 1), At: at,
		Fields: map[string]any{"Reference": c.Reference, "AgentName": name, "Team": team, "Contact": contact.Route},
	})
}

func claim(p Policy, cmd ClaimCase, c Case) ([]proto.Message, error) {
	switch {
	case cmd.Agent == "":
		return nil, ErrAgentRequired
	case c.Agent == cmd.Agent:
		return nil, nil
	case c.Status == Resolved:
		return nil, ErrResolvedCaseChanged
	case c.Agent != "":
		return nil, decider.Refusef(ErrClaimedByAnother, "owned by %s", c.Agent)
	}
	contact := p.Contacts.For(c.Team)
	name := displayName(cmd.DisplayName, contact)
	n, err := ownerMessage(p, c, c.Team, name, contact, cmd.At)
	if err != nil {
		return nil, err
	}
	return []proto.Message{
		&complaintsv1.CaseClaimed{ComplaintId: c.ComplaintID, Agent: cmd.Agent, AgentDisplayName: name, ClaimedAt: timestamppb.New(cmd.At)},
		n,
	}, nil
}

func escalate(p Policy, cmd EscalateCase, c Case) ([]proto.Message, error) {
	breach := cmd.Clock != ""
	switch {
	case cmd.Reason == "" && !breach:
		return nil, ErrEscalationUnexplained
	case breach && cmd.Window:
		return nil, nil // a window closed: an opportunity gone, not a deadline missed
	case c.Status == Resolved && breach:
		return nil, nil // a late firing for a case already resolved
	case c.Status == Resolved:
		return nil, ErrResolvedCaseChanged
	case c.tier() >= p.Triage.Tier() && breach:
		return nil, nil
	case c.tier() >= p.Triage.Tier():
		return nil, decider.Refusef(ErrTopTier, "tier %d", c.tier())
	}
	reason := cmd.Reason
	if reason == "" {
		reason = "the " + cmd.Clock + " clock breached"
	}
	return []proto.Message{&complaintsv1.CaseEscalated{
		ComplaintId: c.ComplaintID, Tier: int32(c.tier() + 1), Reason: reason, Clock: cmd.Clock,
		EscalatedBy: cmd.By, EscalatedAt: timestamppb.New(cmd.At),
	}}, nil
}

func (c Case) tier() int {
	if c.Tier == 0 {
		return 1
	}
	return c.Tier
}

func review(cmd ReviewCase, c Case) ([]proto.Message, error) {
	switch {
	case cmd.Reviewer == "":
		return nil, ErrReviewerRequired
	case !c.ReviewRequired:
		return nil, ErrNoReviewRequired
	case c.Reviewed:
		return nil, nil
	}
	return []proto.Message{&complaintsv1.CaseReviewed{
		ComplaintId: c.ComplaintID, Reviewer: cmd.Reviewer, Notes: cmd.Notes, ReviewedAt: timestamppb.New(cmd.At),
	}}, nil
}

func requestInformation(p Policy, cmd RequestInformation, c Case) ([]proto.Message, error) {
	switch {
	case cmd.RequestID == "":
		return nil, ErrRequestIDRequired
	case strings.TrimSpace(cmd.Question) == "":
		return nil, ErrQuestionRequired
	}
	if r, ok := c.request(cmd.RequestID); ok {
		if r.Question == cmd.Question {
			return nil, nil
		}
		return nil, decider.Refusef(ErrRequestOpen, "request %s asks something else", r.ID)
	}
	if c.Status == Resolved {
		return nil, ErrResolvedCaseChanged
	}
	if r, ok := c.OpenRequest(); ok {
		return nil, decider.Refusef(ErrRequestOpen, "request %s", r.ID)
	}
	at := cmd.At
	n, err := p.Templates.Request(notify.Message{
		ComplaintID: c.ComplaintID, CustomerID: c.CustomerID, Purpose: notify.InformationRequest, Variant: c.Regime,
		Step: cmd.RequestID, At: at,
		Fields: map[string]any{"Reference": c.Reference, "Question": cmd.Question, "RequestID": cmd.RequestID},
	})
	if err != nil {
		return nil, err
	}
	return []proto.Message{
		&complaintsv1.InformationRequested{
			ComplaintId: c.ComplaintID, RequestId: cmd.RequestID, Question: cmd.Question, RequestedBy: cmd.By,
			RequestedAt: timestamppb.New(at), InformationRequests: int32(len(c.Requests) + 1),
		},
		n,
	}, nil
}

func provideInformation(cmd ProvideInformation, c Case) ([]proto.Message, error) {
	r, ok := c.request(cmd.RequestID)
	switch {
	case !ok:
		return nil, decider.Refusef(ErrUnknownRequest, "%q", cmd.RequestID)
	case strings.TrimSpace(cmd.Answer) == "":
		return nil, ErrAnswerRequired
	case r.Standing == Answered && r.Answer == cmd.Answer:
		return nil, nil
	case r.Standing == Answered:
		return nil, ErrRequestAnswered
	}
	return []proto.Message{&complaintsv1.InformationProvided{
		ComplaintId: c.ComplaintID, RequestId: cmd.RequestID, Answer: cmd.Answer, Channel: cmd.Channel,
		ProvidedAt: timestamppb.New(cmd.At),
	}}, nil
}

func contact(cmd RecordContact, c Case) ([]proto.Message, error) {
	switch {
	case cmd.Agent == "":
		return nil, ErrAgentRequired
	case cmd.Channel == "":
		return nil, ErrChannelRequired
	}
	return []proto.Message{&complaintsv1.CustomerContacted{
		ComplaintId: c.ComplaintID, Agent: cmd.Agent, Channel: cmd.Channel, Summary: cmd.Summary,
		ContactedAt: timestamppb.New(cmd.At), FirstHumanContact: c.Contacts == 0,
	}}, nil
}

func resolve(p Policy, cmd ResolveCase, c Case) ([]proto.Message, error) {
	if cmd.Outcome == complaintsv1.Outcome_OUTCOME_UNSPECIFIED {
		return nil, ErrOutcomeRequired
	}
	cause, ok := p.Taxonomy.Cause(cmd.RootCause)
	if !ok {
		return nil, decider.Refusef(ErrUnknownRootCause, "%q", cmd.RootCause)
	}
	if c.Status == Resolved {
		if c.Outcome == cmd.Outcome && c.RootCause == cmd.RootCause {
			return nil, nil
		}
		return nil, ErrAlreadyResolved
	}
	if c.ReviewRequired && !c.Reviewed {
		return nil, ErrReviewPending
	}
	round := c.Resolutions + 1
	at := timestamppb.New(cmd.At)
	resolved := &complaintsv1.CaseResolved{
		ComplaintId: c.ComplaintID, Outcome: cmd.Outcome, RootCause: cmd.RootCause, Summary: cmd.Summary,
		ResolvedBy: cmd.Agent, ResolvedAt: at, Product: c.Product,
		DecidedBy:              &complaintsv1.PolicyRef{Policy: "taxonomy", Version: p.Taxonomy.Version, RuleId: cause.Code},
		FirstContactResolution: c.firstContact(round),
		Team:                   c.Team, RootCauseCategory: cause.CategoryOf(), Resolution: int32(round),
		SeverityPriority: int32(c.Priority), VulnerableCustomer: c.Vulnerable,
		Reference: c.Reference, CustomerId: c.CustomerID,
	}
	if c.Disputed != nil {
		resolved.DisputedAmountMinor, resolved.DisputedCurrency = &c.Disputed.Minor, c.Disputed.Currency
	}
	n, err := p.Templates.Request(notify.Message{
		ComplaintID: c.ComplaintID, CustomerID: c.CustomerID, Purpose: notify.FinalResponse, Variant: c.Regime,
		Step: "resolution-" + strconv.Itoa(round), At: cmd.At,
		Fields: map[string]any{"Reference": c.Reference, "Product": c.Product, "Outcome": OutcomeWords(cmd.Outcome),
			"Summary": cmd.Summary, "Team": c.Team, "Contact": p.Contacts.For(c.Team).Route},
	})
	if err != nil {
		return nil, err
	}
	return []proto.Message{resolved, n}, nil
}

// firstContact derives first-contact resolution: the first resolution, with
// no transfer, no information request, no escalation and at most one
// recorded contact with the customer.
func (c Case) firstContact(round int) bool {
	return round == 1 && c.Transfers == 0 && len(c.Requests) == 0 && c.Escalations == 0 && c.Contacts <= 1
}

// OutcomeWords is an outcome as told to the customer.
func OutcomeWords(o complaintsv1.Outcome) string {
	switch o {
	case complaintsv1.Outcome_OUTCOME_UPHELD:
		return "we agree with your complaint"
	case complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD:
		return "we agree with part of your complaint"
	case complaintsv1.Outcome_OUTCOME_REJECTED:
		return "we do not agree that we got this wrong"
	default:
		return ""
	}
}

func reopen(p Policy, cmd ReopenCase, c Case) ([]proto.Message, error) {
	stale := cmd.Resolution != 0 && cmd.Resolution != c.Resolutions
	switch {
	case stale:
		return nil, nil // about an earlier resolution: already reopened since
	case cmd.By == SurveyReopener && c.Status != Resolved:
		return nil, nil
	case strings.TrimSpace(cmd.Reason) == "":
		return nil, ErrReasonRequired
	case cmd.Closed:
		return nil, ErrComplaintClosed
	case c.Status != Resolved:
		return nil, ErrNotResolved
	}
	team := c.ResolvedTeam
	if team == "" {
		team = c.Team
	}
	n, err := p.Templates.Request(notify.Message{
		ComplaintID: c.ComplaintID, CustomerID: c.CustomerID, Purpose: notify.Reopened, Variant: c.Regime,
		Step: strconv.Itoa(c.Reopens + 1), At: cmd.At,
		Fields: map[string]any{"Reference": c.Reference, "Team": team, "Contact": p.Contacts.For(team).Route},
	})
	if err != nil {
		return nil, err
	}
	return []proto.Message{
		&complaintsv1.CaseReopened{ComplaintId: c.ComplaintID, Reason: cmd.Reason, ReopenedBy: cmd.By, Team: team,
			ReopenedAt: timestamppb.New(cmd.At), Reopens: int32(c.Reopens + 1)},
		n,
	}, nil
}

// Evolve folds one event into the case.
func Evolve(c Case, event proto.Message) Case {
	switch e := event.(type) {
	case *complaintsv1.CaseOpened:
		c.Status, c.ComplaintID, c.Product, c.Channel, c.OpenedAt = Open, e.ComplaintId, e.Product, e.Channel, e.OpenedAt.AsTime()
		c.CustomerID, c.Reference, c.Regime, c.Tier = e.CustomerId, e.Reference, e.Regime, 1
		if e.DisputedAmountMinor != nil {
			c.Disputed = &Amount{Minor: e.GetDisputedAmountMinor(), Currency: e.DisputedCurrency}
		}
	case *complaintsv1.CaseTriaged:
		c.Triaged, c.Severity, c.Priority, c.Vulnerable = true, e.Severity, int(e.Priority), e.VulnerableCustomer
		c.Flags, c.ReviewRequired = append([]string(nil), e.Flags...), e.ReviewRequired
	case *complaintsv1.CaseAssigned:
		// Transfers are counted by CaseTransferred; an assignment to another
		// team without one (recorded before transfers had reasons) counts too.
		if c.Team != "" && c.Team != e.Team && c.transferTo != e.Team {
			c.Transfers++
		}
		c.transferTo = ""
		if c.Team != e.Team {
			c.Agent, c.AgentDisplayName = "", ""
		}
		c.Team = e.Team
		if e.Agent != "" {
			c.Agent, c.AgentDisplayName = e.Agent, e.AgentDisplayName
			c.Owners++
		}
	case *complaintsv1.CaseTransferred:
		c.Transfers++
		c.transferTo = e.ToTeam
	case *complaintsv1.CaseClaimed:
		c.Agent, c.AgentDisplayName = e.Agent, e.AgentDisplayName
		c.Owners++
	case *complaintsv1.CaseEscalated:
		c.Tier, c.Escalations = int(e.Tier), c.Escalations+1
	case *complaintsv1.CaseReviewed:
		c.Reviewed, c.Reviewer = true, e.Reviewer
	case *complaintsv1.InformationRequested:
		c.Requests = append(c.Requests, InformationRequest{ID: e.RequestId, Question: e.Question, RequestedBy: e.RequestedBy, RequestedAt: e.RequestedAt.AsTime()})
		if c.Status != Resolved {
			c.Status = AwaitingCustomer
		}
	case *complaintsv1.InformationProvided:
		c.Requests = slices.Clone(c.Requests) // an earlier state shares them
		for i := range c.Requests {
			if c.Requests[i].ID == e.RequestId {
				r := &c.Requests[i]
				r.Standing, r.Answer, r.Channel, r.AnsweredAt = Answered, e.Answer, e.Channel, e.ProvidedAt.AsTime()
			}
		}
		if _, waiting := c.OpenRequest(); !waiting && c.Status == AwaitingCustomer {
			c.Status = c.resumed()
		}
	case *complaintsv1.CustomerContacted:
		if c.Contacts == 0 {
			c.FirstHumanContactAt = e.ContactedAt.AsTime()
		}
		c.Contacts++
	case *complaintsv1.CaseResolved:
		c.Status, c.Outcome, c.RootCause, c.Summary, c.ResolvedAt = Resolved, e.Outcome, e.RootCause, e.Summary, e.ResolvedAt.AsTime()
		c.ResolvedTeam, c.FirstContactResolution = e.Team, e.FirstContactResolution
		if c.ResolvedTeam == "" {
			c.ResolvedTeam = c.Team
		}
		if e.Resolution > 0 {
			c.Resolutions = int(e.Resolution)
		} else {
			c.Resolutions++
		}
		// A resolution withdraws what was still asked.
		c.Requests = slices.Clone(c.Requests)
		for i := range c.Requests {
			if c.Requests[i].Standing == Waiting {
				c.Requests[i].Standing = Withdrawn
			}
		}
	case *complaintsv1.CaseReopened:
		c.Status, c.Reopens = Reopened, c.Reopens+1
		if e.Team != "" {
			c.Team = e.Team
		}
	}
	return c
}
