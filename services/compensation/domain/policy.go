package domain

import complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"

// Rule is one line of the redress policy table. Product "*" fits any product.
type Rule struct {
	ID          string                   `json:"id"`
	Outcome     complaintsv1.Outcome     `json:"-"`
	Product     string                   `json:"product"`
	Kind        complaintsv1.RedressKind `json:"-"`
	AmountMinor int64                    `json:"amount_minor"`
	Currency    string                   `json:"currency,omitempty"`
}

// Policy is the redress table, first matching rule wins, and the amount up to
// which redress is issued without a person's approval.
type Policy struct {
	Rules                 []Rule
	AutoApproveLimitMinor int64
}

// Match finds the first rule for an outcome and product.
func (p Policy) Match(outcome complaintsv1.Outcome, product string) (Rule, bool) {
	for _, r := range p.Rules {
		if r.Outcome == outcome && (r.Product == "*" || r.Product == product) {
			return r, true
		}
	}
	return Rule{}, false
}

// DefaultPolicy is the out-of-the-box redress table.
func DefaultPolicy() Policy {
	const (
		upheld = complaintsv1.Outcome_OUTCOME_UPHELD
		partly = complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD
		reject = complaintsv1.Outcome_OUTCOME_REJECTED
	)
	return Policy{
		AutoApproveLimitMinor: 10000,
		Rules: []Rule{
			{ID: "upheld-broadband-credit", Outcome: upheld, Product: "broadband", Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, AmountMinor: 2500, Currency: "GBP"},
			{ID: "upheld-refund", Outcome: upheld, Product: "*", Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 2000, Currency: "GBP"},
			{ID: "partly-upheld-goodwill", Outcome: partly, Product: "*", Kind: complaintsv1.RedressKind_REDRESS_KIND_GOODWILL_GESTURE, AmountMinor: 1000, Currency: "GBP"},
			{ID: "rejected-apology", Outcome: reject, Product: "*", Kind: complaintsv1.RedressKind_REDRESS_KIND_APOLOGY},
		},
	}
}
