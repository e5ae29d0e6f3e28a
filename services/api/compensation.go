package api

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
