package api

import (
	"encoding/json"
	"time"
)

// Customer is who complains. Name and e-mail are personal data: the API
// stores them sealed and opens them only in the complaint view.
type Customer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// SubmitRequest is the body of POST /v1/complaints.
type SubmitRequest struct {
	Customer       Customer `json:"customer"`
	Channel        string   `json:"channel"`
	Product        string   `json:"product"`
	Description    string   `json:"description"`
	DesiredOutcome string   `json:"desired_outcome"`
}

// Acknowledgement is what the customer is told on submission.
type Acknowledgement struct {
	Message   string    `json:"message"`
	RespondBy time.Time `json:"respond_by"`
}

// ComplaintCase is the case as the complaint view shows it.
type ComplaintCase struct {
	Team       string     `json:"team,omitempty"`
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
	CustomerToken string             `json:"customer_token,omitempty"`
	Case          *ComplaintCase     `json:"case,omitempty"`
	Redress       *ComplaintRedress  `json:"redress,omitempty"`
	FollowUp      *ComplaintFollowUp `json:"follow_up,omitempty"`
	ClosedAt      *time.Time         `json:"closed_at,omitempty"`

	// Replayed is never on the wire: a client sets it on a submission
	// answered from an earlier request with the same Idempotency-Key (the
	// Idempotent-Replayed header).
	Replayed bool `json:"-"`
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
