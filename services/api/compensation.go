package api

import "time"

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
	// Resolution is the resolution of the case this redress answers.
	Resolution int32         `json:"resolution"`
	Items      []RedressItem `json:"items"`
	// TotalMinor is the monetary items' total.
	TotalMinor       int64  `json:"total_minor"`
	ApprovalRequired bool   `json:"approval_required"`
	ApprovalReason   string `json:"approval_reason,omitempty"`
	// ApproverRole is the role the approval waits for.
	ApproverRole string     `json:"approver_role,omitempty"`
	EscalateAt   *time.Time `json:"escalate_at,omitempty"`
	ApprovedBy   string     `json:"approved_by,omitempty"`
	RejectReason string     `json:"reject_reason,omitempty"`
	// ResolvedBy is who resolved the case: never the approver.
	ResolvedBy string            `json:"resolved_by,omitempty"`
	Issuances  []RedressIssuance `json:"issuances"`
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
	AutoApproveLimitMinor *int64            `json:"auto_approve_limit_minor,omitempty"`
	RootCauseCategories   []string          `json:"root_cause_categories,omitempty"`
	SeverityPriority      *RedressRange     `json:"severity_priority,omitempty"`
	Vulnerable            *bool             `json:"vulnerable,omitempty"`
	DisputedMinor         *RedressRange     `json:"disputed_minor,omitempty"`
	Additional            bool              `json:"additional"`
	Items                 []RedressItemRule `json:"items"`
}

// RedressPolicy is GET /v1/redress-policy: the policy in force.
type RedressPolicy struct {
	Version               string        `json:"version"`
	Source                string        `json:"source"`
	AutoApproveLimitMinor int64         `json:"auto_approve_limit_minor"`
	Rules                 []RedressRule `json:"rules"`
	Currency              string        `json:"currency,omitempty"`
	// ApprovalLevels: the first whose limit covers the total approves; a
	// pending approval escalates to the next after EscalateAfter.
	ApprovalLevels []RedressApprovalLevel `json:"approval_levels"`
	EscalateAfter  string                 `json:"escalate_after"`
	// Budgets are each redress category's monthly limit.
	Budgets             []RedressBudgetLimit `json:"budgets"`
	BudgetCurrency      string               `json:"budget_currency,omitempty"`
	IssuanceMaxAttempts int32                `json:"issuance_max_attempts"`
	IssuanceRetryAfter  string               `json:"issuance_retry_after"`
}

// RedressItem is one item of redress.
type RedressItem struct {
	ItemID      string `json:"item_id"`
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency,omitempty"`
	// Category is the regulator category (financial-loss,
	// distress-and-inconvenience, goodwill, non-financial, ...).
	Category string `json:"category"`
	// Relief is "monetary" or "non-monetary".
	Relief   string `json:"relief"`
	Goodwill bool   `json:"goodwill"`
	// Basis says how the amount was computed.
	Basis  string `json:"basis,omitempty"`
	RuleID string `json:"rule_id,omitempty"`
}

// RedressIssuance is one monetary item asked of the payment systems.
type RedressIssuance struct {
	IssuanceID        string     `json:"issuance_id"`
	ItemID            string     `json:"item_id"`
	Status            string     `json:"status"`
	Attempt           int32      `json:"attempt"`
	AmountMinor       int64      `json:"amount_minor"`
	Currency          string     `json:"currency,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	ExternalReference string     `json:"external_reference,omitempty"`
	RetryAt           *time.Time `json:"retry_at,omitempty"`
	IssuedAt          *time.Time `json:"issued_at,omitempty"`
}

// RedressApprovalRequest is POST /v1/redress/{id}/approval.
type RedressApprovalRequest struct {
	// Decision: approve, reject or amend.
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
	// Items replace the decided items (amend).
	Items []RedressItemInput `json:"items,omitempty"`
}

// RedressItemInput is an item an approver states when amending.
type RedressItemInput struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor,omitempty"`
	Currency    string `json:"currency,omitempty"`
	Category    string `json:"category,omitempty"`
}

// IssuanceConfirmation is the payment system's answer: POST
// /v1/redress/{id}/issuances/{issuance_id}/confirmation, and (with
// complaint_id and issuance_id) the request on
// complaints.compensation.confirm.
type IssuanceConfirmation struct {
	ComplaintID string `json:"complaint_id,omitempty"`
	IssuanceID  string `json:"issuance_id,omitempty"`
	// Status: issued or failed.
	Status            string `json:"status"`
	Reason            string `json:"reason,omitempty"`
	ExternalReference string `json:"external_reference,omitempty"`
	// Attempt the answer is for; 0 or absent for the latest.
	Attempt int32 `json:"attempt,omitempty"`
}

// IssuanceConfirmed answers a confirmation.
type IssuanceConfirmed struct {
	ComplaintID string `json:"complaint_id"`
	IssuanceID  string `json:"issuance_id"`
	// Status is the issuance's status after the confirmation.
	Status string `json:"status"`
	// Duplicate is true when the confirmation changed nothing (it was
	// already recorded).
	Duplicate bool `json:"duplicate"`
	// RedressStatus is the redress's status after it.
	RedressStatus string `json:"redress_status"`
}

// RedressBudgets is GET /v1/redress-budgets.
type RedressBudgets struct {
	Period  string          `json:"period"`
	Budgets []RedressBudget `json:"budgets"`
}

// RedressBudget is one category's budget in a period.
type RedressBudget struct {
	Category        string `json:"category"`
	Currency        string `json:"currency,omitempty"`
	LimitMinor      int64  `json:"limit_minor"`
	UsedMinor       int64  `json:"used_minor"`
	RemainingMinor  int64  `json:"remaining_minor"`
	OverBudgetMinor int64  `json:"over_budget_minor"`
	Reservations    int    `json:"reservations"`
}

// RedressReport is GET /v1/reports/redress: issued redress totals.
type RedressReport struct {
	Group  string         `json:"group"`
	From   *time.Time     `json:"from,omitempty"`
	To     *time.Time     `json:"to,omitempty"`
	Totals []RedressTotal `json:"totals"`
}

// RedressTotal is one group's total.
type RedressTotal struct {
	Key         string `json:"key"`
	Currency    string `json:"currency"`
	AmountMinor int64  `json:"amount_minor"`
	Items       int    `json:"items"`
}

// RedressItemRule is one item a policy rule gives.
type RedressItemRule struct {
	Kind         string  `json:"kind"`
	AmountMinor  int64   `json:"amount_minor,omitempty"`
	SharePercent float64 `json:"share_percent,omitempty"`
	MinMinor     int64   `json:"min_minor,omitempty"`
	CapMinor     int64   `json:"cap_minor,omitempty"`
	Currency     string  `json:"currency,omitempty"`
	Category     string  `json:"category"`
}

// RedressRange is an inclusive range.
type RedressRange struct {
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
}

// RedressApprovalLevel is one role's approval limit.
type RedressApprovalLevel struct {
	Role       string `json:"role"`
	LimitMinor int64  `json:"limit_minor"`
}

// RedressBudgetLimit is one redress category's monthly limit.
type RedressBudgetLimit struct {
	Category     string `json:"category"`
	MonthlyMinor int64  `json:"monthly_minor"`
}
