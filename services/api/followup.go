package api

import "time"

// FollowUp is follow-up's view of a complaint: GET /v1/followups/{id}.
// Status is scheduled, awaiting_answer, chased, answered (the customer said
// it is not resolved; the next resolution starts a new round), cancelled
// (the case was reopened before an answer) or closed. CSAT, Effort,
// Resolved and Comment repeat the latest answer.
type FollowUp struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	// Round is the resolution being followed up, 1 for the first.
	Round       int32 `json:"round"`
	ChasersSent int32 `json:"chasers_sent"`
	// CustomerID, Product, Team and RootCause are what follow-up knows of
	// the complaint: from its receipt and its latest resolution.
	CustomerID string `json:"customer_id,omitempty"`
	Product    string `json:"product,omitempty"`
	Team       string `json:"team,omitempty"`
	RootCause  string `json:"root_cause,omitempty"`
	// SurveyDue is when the round's survey is (or was) due.
	SurveyDue *time.Time `json:"survey_due,omitempty"`
	// SurveyedAt is when the round's survey was sent.
	SurveyedAt *time.Time `json:"surveyed_at,omitempty"`
	// NextDue is the deadline the follow-up waits for: the survey, the next
	// chaser or the closure for no response.
	NextDue      *time.Time     `json:"next_due,omitempty"`
	Answers      []SurveyAnswer `json:"answers,omitempty"`
	ClosedReason string         `json:"closed_reason,omitempty"`
	ClosedAt     *time.Time     `json:"closed_at,omitempty"`
	CSAT         int32          `json:"csat,omitempty"`
	Effort       int32          `json:"effort,omitempty"`
	Resolved     *bool          `json:"resolved,omitempty"`
	Comment      string         `json:"comment,omitempty"`
}

// CustomerFollowUpAnswer is POST /v1/followups/{id}/answer answered to the
// complaint's customer token: that the answer is recorded and what happens
// now, in a sentence. It holds nothing of the staff's follow-up: no customer
// id, team, root cause, chasers, closure reason or recorded scores. Status is
// the follow-up's: closed (the customer said it is resolved) or answered
// (not resolved: the case is reopened).
type CustomerFollowUpAnswer struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	Message     string `json:"message"`
}

// SurveyAnswer is one answer of a follow-up, one per round at most.
type SurveyAnswer struct {
	Round  int32 `json:"round"`
	CSAT   int32 `json:"csat"`
	Effort int32 `json:"effort"`
	// NPS is nil when the customer did not answer it.
	NPS        *int32    `json:"nps,omitempty"`
	Resolved   bool      `json:"resolved"`
	Reason     string    `json:"reason,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	AnsweredAt time.Time `json:"answered_at"`
}

// AnswerRequest is the body of POST /v1/followups/{id}/answer. CSAT (1 to
// 5), Effort (1 to 7) and Resolved are required; NPS (0 to 10) is optional;
// Reason says why it is not resolved. A nil one is left out so the API names
// it. Use Ptr to fill them.
type AnswerRequest struct {
	CSAT     *int32 `json:"csat,omitempty"`
	Effort   *int32 `json:"effort,omitempty"`
	NPS      *int32 `json:"nps,omitempty"`
	Resolved *bool  `json:"resolved,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// AnswerMessage is the request of the NATS subject complaints.followup.answer:
// the answer of POST /v1/followups/{id}/answer with the complaint's id.
type AnswerMessage struct {
	ComplaintID string `json:"complaint_id"`
	CSAT        *int32 `json:"csat,omitempty"`
	Effort      *int32 `json:"effort,omitempty"`
	NPS         *int32 `json:"nps,omitempty"`
	Resolved    *bool  `json:"resolved,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// SilentCustomersReport is GET /v1/reports/silent-customers: complaints
// closed because the customer answered neither the survey nor its chasers,
// counted by team and root cause, and listed newest first.
type SilentCustomersReport struct {
	Total      int64                 `json:"total"`
	Groups     []SilentCustomerGroup `json:"groups"`
	Complaints []SilentCustomer      `json:"complaints"`
	// Truncated: more complaints match than are listed (raise limit, or
	// filter by team or root_cause).
	Truncated bool `json:"truncated"`
}

// SilentCustomerGroup counts the silent customers of one team and cause.
type SilentCustomerGroup struct {
	Team      string `json:"team"`
	RootCause string `json:"root_cause"`
	Count     int64  `json:"count"`
}

// SilentCustomer is one complaint closed for no response.
type SilentCustomer struct {
	ComplaintID string    `json:"complaint_id"`
	CustomerID  string    `json:"customer_id"`
	Product     string    `json:"product"`
	Team        string    `json:"team"`
	RootCause   string    `json:"root_cause"`
	ClosedAt    time.Time `json:"closed_at"`
}
