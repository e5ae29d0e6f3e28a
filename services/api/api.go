// Package api holds the JSON wire types of the HTTP API, written once: the
// services' HTTP adapters answer with them and tools/client decodes them.
// The contract itself is docs/api/*.openapi.yaml; the system test
// services/system/openapi_test.go validates every request and answer of the
// running system against those documents, so a field these types add, drop
// or rename without the documents fails it. Standard library only.
package api

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

// PolicyRef names a redress policy version and one of its rules.
type PolicyRef struct {
	Policy  string `json:"policy"`
	Version string `json:"version"`
	RuleID  string `json:"rule_id,omitempty"`
}
