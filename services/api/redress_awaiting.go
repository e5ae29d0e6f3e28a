package api

import "time"

// RedressAwaitingList answers GET /v1/redress?status=awaiting_approval: the
// redress waiting for an approver, the longest waiting first.
type RedressAwaitingList struct {
	Items []RedressAwaiting `json:"items"`
	// NextCursor continues the list; absent on its last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// RedressAwaiting is one complaint's redress waiting for an approver.
type RedressAwaiting struct {
	ComplaintID string `json:"complaint_id"`
	// Reference is the complaint's reference quoted to the customer.
	Reference  string `json:"reference,omitempty"`
	Resolution int32  `json:"resolution"`
	Status     string `json:"status"`
	// Kind is the first monetary item's kind (or the first item's).
	Kind           string        `json:"kind"`
	TotalMinor     int64         `json:"total_minor"`
	Currency       string        `json:"currency,omitempty"`
	Items          []RedressItem `json:"items"`
	PolicyRule     string        `json:"policy_rule,omitempty"`
	DecidedBy      *PolicyRef    `json:"decided_by,omitempty"`
	DecidedAt      time.Time     `json:"decided_at"`
	ApprovalReason string        `json:"approval_reason,omitempty"`
	ApproverRole   string        `json:"approver_role,omitempty"`
	EscalateAt     *time.Time    `json:"escalate_at,omitempty"`
	// ResolvedBy proposed it (resolved the case): never its approver.
	ResolvedBy string `json:"resolved_by,omitempty"`
}
