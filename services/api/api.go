// Package api holds the JSON wire types of the HTTP API, written once: the
// services' HTTP adapters answer with them and tools/client decodes them.
// The contract itself is docs/api/*.openapi.yaml; the system test
// services/system/openapi_test.go validates every request and answer of the
// running system against those documents, so a field these types add, drop
// or rename without the documents fails it. Standard library only.
package api

import (
	"encoding/json"
	"time"
)

// Complaint statuses as the intake API reports them.
const (
	StatusAcknowledged     = "acknowledged"
	StatusInvestigating    = "investigating"
	StatusResolved         = "resolved"
	StatusAwaitingFeedback = "awaiting_feedback"
	StatusClosed           = "closed"
)

// Outcomes a case may be resolved with.
const (
	OutcomeUpheld       = "upheld"
	OutcomePartlyUpheld = "partly_upheld"
	OutcomeRejected     = "rejected"
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

// Case is resolution's view of a complaint: GET /v1/cases/{id}.
type Case struct {
	ComplaintID string     `json:"complaint_id"`
	Status      string     `json:"status"`
	Team        string     `json:"team"`
	Transfers   int        `json:"transfers"`
	Product     string     `json:"product"`
	Channel     string     `json:"channel"`
	OpenedAt    time.Time  `json:"opened_at"`
	Outcome     string     `json:"outcome,omitempty"`
	RootCause   string     `json:"root_cause,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
}

// AssignRequest is the body of POST /v1/cases/{id}/assignment. Assigning
// to another team than the case's is a transfer.
type AssignRequest struct {
	Team  string `json:"team"`
	Agent string `json:"agent,omitempty"`
}

// ResolveRequest is the body of POST /v1/cases/{id}/resolution. RootCause
// is a code listed by GET /v1/root-causes.
type ResolveRequest struct {
	Outcome   string `json:"outcome"`
	RootCause string `json:"root_cause"`
	Summary   string `json:"summary,omitempty"`
	Agent     string `json:"agent,omitempty"`
}

// RootCause is one entry of the root-cause taxonomy.
type RootCause struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// RootCauses is GET /v1/root-causes: the taxonomy.
type RootCauses struct {
	RootCauses []RootCause `json:"root_causes"`
}

// Redress is compensation's view of a complaint: GET /v1/redress/{id}.
type Redress struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency,omitempty"`
	PolicyRule  string `json:"policy_rule"`
	IssueID     string `json:"issue_id,omitempty"`
	// DecidedBy names the redress policy version and rule.
	DecidedBy *PolicyRef `json:"decided_by,omitempty"`
}

// PolicyRef names a redress policy version and one of its rules.
type PolicyRef struct {
	Policy  string `json:"policy"`
	Version string `json:"version"`
	RuleID  string `json:"rule_id,omitempty"`
}

// RedressRule is one rule of the redress policy.
type RedressRule struct {
	ID string `json:"id"`
	// Product is "*" for a rule for any product, the product for a rule for
	// one, and the products joined with "," otherwise; Products lists them.
	Product     string   `json:"product"`
	Products    []string `json:"products,omitempty"`
	RootCauses  []string `json:"root_causes,omitempty"`
	Outcome     string   `json:"outcome"`
	Kind        string   `json:"kind"`
	AmountMinor int64    `json:"amount_minor"`
	Currency    string   `json:"currency,omitempty"`
	// AutoApproveLimitMinor is the rule's own approval limit, when it has one.
	AutoApproveLimitMinor *int64 `json:"auto_approve_limit_minor,omitempty"`
}

// RedressPolicy is GET /v1/redress-policy: the policy in force.
type RedressPolicy struct {
	Version               string        `json:"version"`
	Source                string        `json:"source"`
	AutoApproveLimitMinor int64         `json:"auto_approve_limit_minor"`
	Rules                 []RedressRule `json:"rules"`
}

// FollowUp is follow-up's view of a complaint: GET /v1/followups/{id}.
type FollowUp struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	CSAT        int32  `json:"csat,omitempty"`
	Effort      int32  `json:"effort,omitempty"`
	Resolved    *bool  `json:"resolved,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// AnswerRequest is the body of POST /v1/followups/{id}/answer. CSAT (1 to
// 5), Effort (1 to 7) and Resolved are required; a nil one is left out so
// the API names it. Use Ptr to fill them.
type AnswerRequest struct {
	CSAT     *int32 `json:"csat,omitempty"`
	Effort   *int32 `json:"effort,omitempty"`
	Resolved *bool  `json:"resolved,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// CauseShare is one root cause's line of the report.
type CauseShare struct {
	RootCause  string  `json:"root_cause"`
	Complaints int64   `json:"complaints"`
	Share      float64 `json:"share"`
	Cumulative float64 `json:"cumulative_share"`
}

// RootCauseReport is GET /v1/reports/root-causes: resolved cases by root
// cause, most frequent first (a Pareto table).
type RootCauseReport struct {
	GeneratedAt time.Time    `json:"generated_at"`
	Position    uint64       `json:"log_position"`
	Total       int64        `json:"total"`
	Causes      []CauseShare `json:"causes"`
}
