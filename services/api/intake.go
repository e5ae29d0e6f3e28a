package api

import (
	"encoding/json"
	"time"
)

// Customer is who complains. Name, e-mail and phone are personal data: the
// API stores them sealed and opens them only in the complaint view. A
// submission without an id is matched to the customer by a keyed
// fingerprint of the e-mail address (or phone number), and the complaint
// view then shows "fp-<fingerprint>" as the id.
type Customer struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Money is an amount in minor units of an ISO 4217 currency.
type Money struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

// Vulnerability is what the customer told of circumstances that make them
// vulnerable. Only the fact is kept in clear; the detail is sealed.
type Vulnerability struct {
	Vulnerable bool   `json:"vulnerable"`
	Detail     string `json:"detail,omitempty"`
}

// SubmitRequest is the body of POST /v1/complaints.
type SubmitRequest struct {
	Customer       Customer `json:"customer"`
	Channel        string   `json:"channel"`
	Product        string   `json:"product"`
	Description    string   `json:"description"`
	DesiredOutcome string   `json:"desired_outcome"`
	// DisputedAmount is the amount the customer disputes, if any.
	DisputedAmount *Money         `json:"disputed_amount,omitempty"`
	Vulnerability  *Vulnerability `json:"vulnerability,omitempty"`
}

// Acknowledgement is what the customer is told on submission.
type Acknowledgement struct {
	Message   string    `json:"message"`
	RespondBy time.Time `json:"respond_by"`
}

// ComplaintCase is the case as the complaint view shows it.
type ComplaintCase struct {
	Team string `json:"team,omitempty"`
	// Agent owns the case, once assigned to or claimed by one.
	Agent string `json:"agent,omitempty"`
	// Severity, Priority and Flags are set by triage.
	Severity string   `json:"severity,omitempty"`
	Priority int32    `json:"priority,omitempty"`
	Flags    []string `json:"flags,omitempty"`
	// Tier is the escalation tier, 1 for the front line.
	Tier       int32      `json:"tier,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	RootCause  string     `json:"root_cause,omitempty"`
	Summary    string     `json:"summary,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// ComplaintRedress is the redress as the complaint view shows it.
type ComplaintRedress struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency,omitempty"`
	Issued      bool   `json:"issued"`
}

// ComplaintFollowUp is the survey answer as the complaint view shows it.
type ComplaintFollowUp struct {
	CSAT       int32      `json:"csat,omitempty"`
	Effort     int32      `json:"effort,omitempty"`
	Resolved   *bool      `json:"resolved,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
}

// Complaint is GET /v1/complaints/{id}: the whole story of one complaint
// across every service. The answer to a submission fills only ID,
// Reference, Status and Acknowledgement.
type Complaint struct {
	ID              string          `json:"id"`
	Reference       string          `json:"reference"`
	Status          string          `json:"status"`
	Customer        Customer        `json:"customer,omitzero"`
	Channel         string          `json:"channel,omitempty"`
	Product         string          `json:"product,omitempty"`
	Description     string          `json:"description,omitempty"`
	DesiredOutcome  string          `json:"desired_outcome,omitempty"`
	ReceivedAt      time.Time       `json:"received_at,omitzero"`
	Acknowledgement Acknowledgement `json:"acknowledgement"`
	// CustomerToken is the customer's capability token, in the answer to
	// a submission only: it lets the customer act on this complaint, and
	// on no other (their survey answer, information they are asked for).
	// Hand it to the customer; it is not shown again.
	CustomerToken string `json:"customer_token,omitempty"`
	// RepeatContact is true in the answer to a submission recorded as a
	// repeat contact on this, the customer's open complaint (status 200).
	RepeatContact bool `json:"repeat_contact,omitempty"`
	// RecontactOf is the customer's earlier complaint about the same
	// product, closed within the recontact window before this one opened.
	RecontactOf     string         `json:"recontact_of,omitempty"`
	ProductCategory string         `json:"product_category,omitempty"`
	DisputedAmount  *Money         `json:"disputed_amount,omitempty"`
	Vulnerability   *Vulnerability `json:"vulnerability,omitempty"`
	// Clocks are the complaint's regulatory and internal clocks.
	Clocks []ComplaintClock `json:"clocks,omitempty"`
	// Effort is what the complaint has cost the customer.
	Effort   *Effort            `json:"effort,omitempty"`
	Case     *ComplaintCase     `json:"case,omitempty"`
	Redress  *ComplaintRedress  `json:"redress,omitempty"`
	FollowUp *ComplaintFollowUp `json:"follow_up,omitempty"`
	ClosedAt *time.Time         `json:"closed_at,omitempty"`

	// Replayed is never on the wire: a client sets it on a submission
	// answered from an earlier request with the same Idempotency-Key (the
	// Idempotent-Replayed header).
	Replayed bool `json:"-"`
}

// CustomerComplaint is GET /v1/complaints/{id} answered to the complaint's
// customer token: what the customer may see of their own complaint. It
// holds nothing of the staff's working: no agent ids, notes, triage,
// escalations, transfer reasons, approvals or the rules that decided.
type CustomerComplaint struct {
	ID        string `json:"id"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
	// Now says in a sentence what is happening.
	Now        string    `json:"now"`
	ReceivedAt time.Time `json:"received_at"`
	// RespondBy is the date by which the customer was promised a response.
	RespondBy time.Time `json:"respond_by"`
	// HandledBy is who handles the complaint, once a case is open.
	HandledBy *CaseOwner `json:"handled_by,omitempty"`
	// InformationRequests are the questions put to the customer that they
	// have not answered yet (POST /v1/cases/{id}/information-requests/{rid}/answer).
	InformationRequests []CustomerInformationRequest `json:"information_requests"`
	// Outcome and ResolvedAt are set once the case is resolved.
	Outcome    string           `json:"outcome,omitempty"`
	ResolvedAt *time.Time       `json:"resolved_at,omitempty"`
	Redress    *CustomerRedress `json:"redress,omitempty"`
	// Survey is "not_requested", "requested" or "answered".
	Survey   string     `json:"survey"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
}

// CaseOwner is who handles a complaint as the customer sees it: the team,
// and the owning agent's display name when one owns the case.
type CaseOwner struct {
	Team string `json:"team,omitempty"`
	Name string `json:"name,omitempty"`
}

// CustomerInformationRequest is a question put to the customer, not yet
// answered.
type CustomerInformationRequest struct {
	RequestID   string    `json:"request_id"`
	Question    string    `json:"question"`
	RequestedAt time.Time `json:"requested_at"`
}

// CustomerRedress is the redress decided, as the customer sees it.
type CustomerRedress struct {
	Items  []CustomerRedressItem `json:"items"`
	Issued bool                  `json:"issued"`
}

// CustomerRedressItem is one thing the customer gets.
type CustomerRedressItem struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency,omitempty"`
}

// Step is one event of a complaint's timeline.
type Step struct {
	Type    string `json:"type"`
	Service string `json:"service"`
	// Actor is who caused the step: "customer:<id>", "agent:<id>",
	// "system:<name>" or "scheduler:<timer>".
	Actor      string          `json:"actor,omitempty"`
	RecordedAt time.Time       `json:"recorded_at"`
	EventID    string          `json:"event_id"`
	Stream     string          `json:"stream"`
	Position   uint64          `json:"position"`
	Data       json.RawMessage `json:"data"`
}

// Timeline is GET /v1/complaints/{id}/timeline: every event of a complaint
// in log order.
type Timeline struct {
	ComplaintID string `json:"complaint_id"`
	Steps       []Step `json:"steps"`
}

// ComplaintClock is one of a complaint's clocks in its view.
type ComplaintClock struct {
	Name string `json:"name"`
	// Kind is "regulatory" (never pauses) or "internal".
	Kind string    `json:"kind"`
	Due  time.Time `json:"due"`
	// State is running, paused, met or breached.
	State string `json:"state"`
	// Late is true for a clock met after it breached.
	Late bool `json:"late,omitempty"`
}

// Effort counts what a complaint cost the customer. Contacts are the
// customer's own: 1 for the submission, plus each repeat contact and each
// answer to an information request.
type Effort struct {
	Contacts            int `json:"contacts"`
	RepeatContacts      int `json:"repeat_contacts"`
	ChannelSwitches     int `json:"channel_switches"`
	Transfers           int `json:"transfers"`
	InformationRequests int `json:"information_requests"`
	Reopens             int `json:"reopens"`
}

// PersonalDataErased is the answer to DELETE /v1/customers/{id}/personal-data.
type PersonalDataErased struct {
	CustomerID   string    `json:"customer_id"`
	ComplaintIDs []string  `json:"complaint_ids"`
	ErasedAt     time.Time `json:"erased_at"`
}

// RepeatContact is one repeat contact in a subject access export.
type RepeatContact struct {
	Channel     string    `json:"channel"`
	Said        string    `json:"said"`
	ContactedAt time.Time `json:"contacted_at"`
}

// HeldComplaint is one complaint in a subject access export.
type HeldComplaint struct {
	ID             string          `json:"id"`
	Reference      string          `json:"reference"`
	Status         string          `json:"status"`
	ReceivedAt     time.Time       `json:"received_at"`
	Channel        string          `json:"channel"`
	Product        string          `json:"product"`
	Customer       Customer        `json:"customer"`
	Description    string          `json:"description"`
	DesiredOutcome string          `json:"desired_outcome,omitempty"`
	DisputedAmount *Money          `json:"disputed_amount,omitempty"`
	Vulnerability  *Vulnerability  `json:"vulnerability,omitempty"`
	RepeatContacts []RepeatContact `json:"repeat_contacts"`
}

// PersonalData is GET /v1/customers/{id}/personal-data: what intake holds
// about a customer (subject access).
type PersonalData struct {
	CustomerID string `json:"customer_id"`
	// Erased is true once the customer's personal data has been erased:
	// every personal value then reads "[erased]".
	Erased     bool            `json:"erased"`
	Complaints []HeldComplaint `json:"complaints"`
}

// Complaint statuses the intake API reports besides those of api.go.
const (
	// StatusAwaitingCustomer: the agent asked the customer for information.
	StatusAwaitingCustomer = "awaiting_customer"
	// StatusReopened: a resolved complaint is open again.
	StatusReopened = "reopened"
)
