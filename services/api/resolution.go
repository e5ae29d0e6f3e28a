package api

import "time"

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

	// Who owns it and how it was triaged.
	Agent              string   `json:"agent,omitempty"`
	AgentDisplayName   string   `json:"agent_display_name,omitempty"`
	Severity           string   `json:"severity,omitempty"`
	Priority           int      `json:"priority,omitempty"`
	VulnerableCustomer bool     `json:"vulnerable_customer"`
	Flags              []string `json:"flags"`
	ReviewRequired     bool     `json:"review_required"`
	Reviewed           bool     `json:"reviewed"`
	Tier               int      `json:"tier"`
	Regime             string   `json:"regime,omitempty"`
	// Effort and history.
	Escalations            int                  `json:"escalations"`
	Reopens                int                  `json:"reopens"`
	Contacts               int                  `json:"contacts"`
	FirstHumanContactAt    *time.Time           `json:"first_human_contact_at,omitempty"`
	InformationRequests    []InformationRequest `json:"information_requests"`
	OpenInformationRequest *InformationRequest  `json:"open_information_request,omitempty"`
	// Resolution is the number of the last resolution (0 before the first).
	Resolution int `json:"resolution"`
	// FirstContactResolution is derived when the case is resolved.
	FirstContactResolution *bool `json:"first_contact_resolution,omitempty"`
}

// InformationRequest is a question put to the customer, and its answer.
type InformationRequest struct {
	RequestID   string     `json:"request_id"`
	Question    string     `json:"question"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Status      string     `json:"status"`
	Answer      string     `json:"answer,omitempty"`
	Channel     string     `json:"channel,omitempty"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
}

// Statuses of an information request.
const (
	RequestOpen      = "open"
	RequestAnswered  = "answered"
	RequestWithdrawn = "withdrawn"
)

// CaseStatus is what a customer's own call on a case answers: the status,
// without the staff's notes.
type CaseStatus struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	Team        string `json:"team"`
	Reopens     int    `json:"reopens"`
}

// ClaimRequest is the body of POST /v1/cases/{id}/claim. Agent is the
// caller's own id over HTTP when not given (required over NATS).
type ClaimRequest struct {
	Agent            string `json:"agent,omitempty"`
	AgentDisplayName string `json:"agent_display_name,omitempty"`
}

// EscalateRequest is the body of POST /v1/cases/{id}/escalation.
type EscalateRequest struct {
	Reason string `json:"reason"`
}

// ReviewRequest is the body of POST /v1/cases/{id}/review. Reviewer is the
// caller's own id over HTTP when not given (required over NATS).
type ReviewRequest struct {
	Reviewer string `json:"reviewer,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// InformationRequestRequest is the body of POST
// /v1/cases/{id}/information-requests: what the customer is asked.
type InformationRequestRequest struct {
	Question string `json:"question"`
}

// InformationAnswer is the body of POST
// /v1/cases/{id}/information-requests/{rid}/answer.
type InformationAnswer struct {
	Answer string `json:"answer"`
	// Channel the answer came through: web (default over HTTP), email,
	// phone, chat, letter, nats (default over NATS).
	Channel string `json:"channel,omitempty"`
}

// ContactRequest is the body of POST /v1/cases/{id}/contacts: a person
// spoke or wrote to the customer. Agent is the caller's own id over HTTP
// when not given (required over NATS).
type ContactRequest struct {
	Channel string `json:"channel"`
	Summary string `json:"summary,omitempty"`
	Agent   string `json:"agent,omitempty"`
}

// ContactChannels are the channels of a human contact.
var ContactChannels = []string{"phone", "email", "chat", "letter", "visit"}

// ReopenRequest is the body of POST /v1/cases/{id}/reopen.
type ReopenRequest struct {
	Reason string `json:"reason"`
}

// QueueItem is one case of a team's queue.
type QueueItem struct {
	ComplaintID         string     `json:"complaint_id"`
	Reference           string     `json:"reference,omitempty"`
	Product             string     `json:"product"`
	Status              string     `json:"status"`
	Team                string     `json:"team"`
	Agent               string     `json:"agent,omitempty"`
	Severity            string     `json:"severity,omitempty"`
	Priority            int        `json:"priority,omitempty"`
	Flags               []string   `json:"flags"`
	VulnerableCustomer  bool       `json:"vulnerable_customer"`
	ReviewRequired      bool       `json:"review_required"`
	Tier                int        `json:"tier"`
	OpenedAt            time.Time  `json:"opened_at"`
	Due                 *time.Time `json:"due,omitempty"`
	Transfers           int        `json:"transfers"`
	InformationRequests int        `json:"information_requests"`
	Reopens             int        `json:"reopens"`
}

// Queue is GET /v1/queues/{team}: a page of the team's open work, the
// soonest due first.
type Queue struct {
	Team  string      `json:"team"`
	Items []QueueItem `json:"items"`
	// NextCursor fetches the next page (?cursor=); absent on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// AssignRequest is the body of POST /v1/cases/{id}/assignment. Assigning
// to another team than the case's is a transfer.
// A transfer's reason is "unspecified" when not given.
type AssignRequest struct {
	Team             string `json:"team"`
	Agent            string `json:"agent,omitempty"`
	AgentDisplayName string `json:"agent_display_name,omitempty"`
	Reason           string `json:"reason,omitempty"`
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
	Category    string `json:"category,omitempty"`
}

// RootCauses is GET /v1/root-causes: the taxonomy.
type RootCauses struct {
	RootCauses []RootCause `json:"root_causes"`
}
