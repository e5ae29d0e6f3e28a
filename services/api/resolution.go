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
