package api

import "time"

// CauseShare is one root cause's line of the report.
type CauseShare struct {
	RootCause  string  `json:"root_cause"`
	Complaints int64   `json:"complaints"`
	Share      float64 `json:"share"`
	Cumulative float64 `json:"cumulative_share"`
	// RedressPaidMinor is the redress paid for the cause's complaints, in
	// minor units of whatever currency (see the regulatory report for
	// amounts per currency).
	RedressPaidMinor int64 `json:"redress_paid_minor"`
	// MeanEffort is the mean number of effort steps per complaint (see
	// EffortFigures.MeanEffort).
	MeanEffort float64 `json:"mean_effort"`
	// CES is the mean Customer Effort Score of the answers (CESAnswers).
	CES               float64 `json:"ces"`
	CESAnswers        int64   `json:"ces_answers"`
	ReopenRate        float64 `json:"reopen_rate"`
	RepeatContactRate float64 `json:"repeat_contact_rate"`
}

// RootCauseReport is GET /v1/reports/root-causes: resolved cases by root
// cause, most frequent first (a Pareto table).
type RootCauseReport struct {
	GeneratedAt time.Time    `json:"generated_at"`
	Position    uint64       `json:"log_position"`
	AsOf        *time.Time   `json:"as_of,omitempty"`
	Filter      ReportFilter `json:"filter"`
	Total       int64        `json:"total"`
	Causes      []CauseShare `json:"causes"`
	// Weeks are the Mondays (UTC) of the weekly trend, oldest first.
	Weeks []time.Time  `json:"weeks"`
	Trend []CauseTrend `json:"trend"`
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

// PreventiveActions is GET /v1/preventive-actions: with limit or cursor, a
// page of the actions, those still to do first (the soonest due first),
// then those done (the latest completed first); without, every action, the
// latest opened first.
type PreventiveActions struct {
	Actions []PreventiveAction `json:"actions"`
	// Total counts the actions the statuses and cause select, on every
	// page.
	Total int `json:"total"`
	// NextCursor fetches the next page (?cursor=); absent on the last page
	// and on an answer without limit or cursor.
	NextCursor string `json:"next_cursor,omitempty"`
}

// ReportFilter is the slice of complaints a report covers: received in
// [from, to), of a product, channel and team (empty: all).
type ReportFilter struct {
	From    *time.Time `json:"from,omitempty"`
	To      *time.Time `json:"to,omitempty"`
	Product string     `json:"product,omitempty"`
	Channel string     `json:"channel,omitempty"`
	Team    string     `json:"team,omitempty"`
}

// CauseTrend is one root cause's complaints per week (the weeks of the
// report's Weeks, in order).
type CauseTrend struct {
	RootCause string  `json:"root_cause"`
	Counts    []int64 `json:"counts"`
}

// CESDistribution is the Customer Effort Scores answered (1 = very easy to
// 7 = very hard): Counts[i] answered i+1.
type CESDistribution struct {
	Answers int64   `json:"answers"`
	Mean    float64 `json:"mean"`
	Counts  []int64 `json:"counts"`
}

// EffortFigures measure what complaints cost customers (Dixon): how often
// they had to come back, be passed on, switch channel, answer questions or
// reopen, and how hard they said it was.
type EffortFigures struct {
	Complaints int64 `json:"complaints"`
	// RepeatContactRate is the share of complaints with a repeat contact.
	RepeatContactRate float64 `json:"repeat_contact_rate"`
	// Closed complaints, and the share of them that came back as a new
	// complaint within the report's recontact days after closure.
	Closed        int64   `json:"closed"`
	RecontactRate float64 `json:"recontact_rate"`
	// Per complaint.
	TransfersPerComplaint           float64 `json:"transfers_per_complaint"`
	ChannelSwitchesPerComplaint     float64 `json:"channel_switches_per_complaint"`
	InformationRequestsPerComplaint float64 `json:"information_requests_per_complaint"`
	// Resolved complaints, and the share resolved at first contact.
	Resolved   int64   `json:"resolved"`
	FCRRate    float64 `json:"fcr_rate"`
	ReopenRate float64 `json:"reopen_rate"`
	// MeanEffort is the mean number of effort steps (repeat contacts,
	// channel switches, transfers, information requests, reopens).
	MeanEffort float64         `json:"mean_effort"`
	CES        CESDistribution `json:"ces"`
}

// EffortGroup is the effort of one cause, product or team.
type EffortGroup struct {
	Key string `json:"key"`
	EffortFigures
}

// EffortReport is GET /v1/reports/effort.
type EffortReport struct {
	GeneratedAt   time.Time     `json:"generated_at"`
	Position      uint64        `json:"log_position"`
	AsOf          *time.Time    `json:"as_of,omitempty"`
	Filter        ReportFilter  `json:"filter"`
	RecontactDays int           `json:"recontact_days"`
	Overall       EffortFigures `json:"overall"`
	ByCause       []EffortGroup `json:"by_cause"`
	ByProduct     []EffortGroup `json:"by_product"`
	ByTeam        []EffortGroup `json:"by_team"`
}

// RegulatoryFigures are the counts of a complaints return (FCA DISP 1
// Annex 1 style): complaints opened and closed in the period, how fast the
// closed ones got their final response, how many were upheld, and the
// redress paid for them (minor units per currency).
type RegulatoryFigures struct {
	Opened                    int64            `json:"opened"`
	Closed                    int64            `json:"closed"`
	ClosedWithin3BusinessDays int64            `json:"closed_within_3_business_days"`
	ClosedWithin8Weeks        int64            `json:"closed_within_8_weeks"`
	ClosedLater               int64            `json:"closed_later"`
	Upheld                    int64            `json:"upheld"`
	PartlyUpheld              int64            `json:"partly_upheld"`
	Rejected                  int64            `json:"rejected"`
	UpheldShare               float64          `json:"upheld_share"`
	RedressPaidMinor          map[string]int64 `json:"redress_paid_minor"`
}

// RegulatoryRow is one product, cause or product and cause of the return.
type RegulatoryRow struct {
	Product   string `json:"product,omitempty"`
	RootCause string `json:"root_cause,omitempty"`
	RegulatoryFigures
}

// CFPBResponse counts the complaints of one company-response category
// (CFPB style), and how many of them were answered in time (15 days).
type CFPBResponse struct {
	CompanyResponse string `json:"company_response"`
	Complaints      int64  `json:"complaints"`
	Timely          int64  `json:"timely"`
}

// RegulatoryReport is GET /v1/reports/regulatory.
type RegulatoryReport struct {
	GeneratedAt       time.Time         `json:"generated_at"`
	Position          uint64            `json:"log_position"`
	AsOf              *time.Time        `json:"as_of,omitempty"`
	Regime            string            `json:"regime,omitempty"`
	From              *time.Time        `json:"from,omitempty"`
	To                *time.Time        `json:"to,omitempty"`
	Total             RegulatoryFigures `json:"total"`
	ByProduct         []RegulatoryRow   `json:"by_product"`
	ByCause           []RegulatoryRow   `json:"by_cause"`
	ByProductAndCause []RegulatoryRow   `json:"by_product_and_cause"`
	CFPB              []CFPBResponse    `json:"cfpb"`
}

// CFPBComplaint is one line of the CFPB-style export
// (GET /v1/reports/regulatory?format=csv&export=cfpb).
type CFPBComplaint struct {
	ComplaintID     string
	Product         string
	SubmittedVia    string
	ReceivedAt      time.Time
	RespondedAt     time.Time
	CompanyResponse string
	Timely          bool
}

// ProjectionRebuild is the progress of a projection's rebuild.
type ProjectionRebuild struct {
	Running         bool      `json:"running"`
	StartedAt       time.Time `json:"started_at,omitzero"`
	FinishedAt      time.Time `json:"finished_at,omitzero"`
	Applied         uint64    `json:"applied"`
	Position        uint64    `json:"position"`
	Target          uint64    `json:"target"`
	EventsPerSecond float64   `json:"events_per_second"`
	// DeadLetters counts the events the rebuild left out: it could not
	// fold them.
	DeadLetters uint64 `json:"dead_letters"`
	Error       string `json:"error,omitempty"`
}

// ProjectionStatus is GET /v1/projections/{name} (and the answer of POST
// /v1/projections/{name}/rebuild).
type ProjectionStatus struct {
	Name     string `json:"name"`
	Position uint64 `json:"log_position"`
	// DeadLetters counts the events the projection's state lacks: it could
	// never fold them, and wrote them to the dead-letter stream (consumer
	// "projection.<name>"). LastDeadLetter is the last of them.
	DeadLetters    uint64                `json:"dead_letters"`
	LastDeadLetter *ProjectionDeadLetter `json:"last_dead_letter,omitempty"`
	// Error is why the projection stopped following the log last (it tries
	// again), until it folds the next event.
	Error   string            `json:"error,omitempty"`
	Rebuild ProjectionRebuild `json:"rebuild"`
}

// ProjectionDeadLetter is an event a projection left out, and why.
type ProjectionDeadLetter struct {
	Position  uint64    `json:"log_position"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Reason    string    `json:"reason"`
	Error     string    `json:"error"`
	At        time.Time `json:"at"`
}

// ProjectionList is GET /v1/projections.
type ProjectionList struct {
	Projections []ProjectionStatus `json:"projections"`
}
