package api

import "time"

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

// SystemicIssue is one detected spike of complaints for a cause (or a
// product and cause): GET /v1/systemic-issues lists them.
type SystemicIssue struct {
	ID          string    `json:"id"`
	RootCause   string    `json:"root_cause"`
	Product     string    `json:"product,omitempty"`
	Status      string    `json:"status"` // "open" or "closed"
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Observed    int64     `json:"observed"`
	Expected    float64   `json:"expected"`
	UpperLimit  float64   `json:"upper_limit"`
	Method      string    `json:"method"`
	// ComplaintIDs are the complaints the spike covers.
	ComplaintIDs []string  `json:"complaint_ids"`
	DetectedAt   time.Time `json:"detected_at"`
	// Actions are the ids of the preventive actions opened for it.
	Actions []string `json:"actions,omitempty"`
}

// SystemicIssues is GET /v1/systemic-issues.
type SystemicIssues struct {
	Issues []SystemicIssue `json:"issues"`
}

// Effectiveness is the measured effect of a completed preventive action: the
// cause's rate in a window before completion against the same window after.
type Effectiveness struct {
	// Verdict is "effective", "not_effective" or "inconclusive".
	Verdict        string    `json:"verdict"`
	BeforeCount    int64     `json:"before_count"`
	BeforeExposure float64   `json:"before_exposure"`
	AfterCount     int64     `json:"after_count"`
	AfterExposure  float64   `json:"after_exposure"`
	RateRatio      float64   `json:"rate_ratio"`
	PValue         float64   `json:"p_value"`
	Method         string    `json:"method"`
	EvaluatedAt    time.Time `json:"evaluated_at"`
	// WindowBeforeStart and WindowAfterEnd bound the two windows compared:
	// the before window ends, and the after window starts, around the
	// bucket of completion (ADR 0033).
	WindowBeforeStart time.Time `json:"window_before_start"`
	WindowAfterEnd    time.Time `json:"window_after_end"`
}

// PreventiveAction is one change to a process, opened for a systemic issue
// or a root cause: /v1/preventive-actions.
type PreventiveAction struct {
	ID          string    `json:"id"`
	IssueID     string    `json:"issue_id,omitempty"`
	RootCause   string    `json:"root_cause"`
	Product     string    `json:"product,omitempty"`
	Owner       string    `json:"owner"`
	Description string    `json:"description"`
	Due         time.Time `json:"due"`
	// Status is "open", "overdue", "completed" or "evaluated".
	Status        string         `json:"status"`
	Completion    string         `json:"completion,omitempty"`
	CompletedAt   *time.Time     `json:"completed_at,omitempty"`
	EvaluateAt    *time.Time     `json:"evaluate_at,omitempty"`
	Effectiveness *Effectiveness `json:"effectiveness,omitempty"`
	OpenedAt      time.Time      `json:"opened_at"`
}

// PreventiveActions is GET /v1/preventive-actions.
type PreventiveActions struct {
	Actions []PreventiveAction `json:"actions"`
}
