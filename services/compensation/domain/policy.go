package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// PolicyName is the redress policy's name; its file is "redress.yaml".
const PolicyName = "redress"

// Policy is the redress policy as its file states it: rules tried in order,
// the first that fits a resolution decides, and the amount up to which
// redress is issued without a person's approval. It is data: a company
// changes it by placing its own redress.yaml in CONFIG_DIR.
type Policy struct {
	// Version is the file's label and digest once loaded ("2026-11-25+3f2a9c81d0e4").
	Version string `yaml:"version" json:"version"`
	// AutoApproveLimitMinor: redress up to this amount (minor units) is
	// issued at once; above it, it waits for an approver.
	AutoApproveLimitMinor int64  `yaml:"auto_approve_limit_minor" json:"auto_approve_limit_minor"`
	Rules                 []Rule `yaml:"rules" json:"rules"`
}

// Rule is one line of the redress policy.
type Rule struct {
	ID string `yaml:"id" json:"id"`
	// Outcome the resolution must have: upheld, partly_upheld, rejected.
	Outcome string `yaml:"outcome" json:"outcome"`
	// Products the rule is for; empty for any product.
	Products []string `yaml:"products,omitempty" json:"products,omitempty"`
	// RootCauses the rule is for, as taxonomy codes ("network.outage") or
	// families ("network.*"); empty for any cause.
	RootCauses []string `yaml:"root_causes,omitempty" json:"root_causes,omitempty"`
	// Kind of redress: refund, account_credit, goodwill_gesture, apology, ...
	Kind        string `yaml:"kind" json:"kind"`
	AmountMinor int64  `yaml:"amount_minor" json:"amount_minor"`
	// Currency is the ISO 4217 code; required when AmountMinor > 0.
	Currency string `yaml:"currency,omitempty" json:"currency,omitempty"`
	// AutoApproveLimitMinor, when set, replaces the policy's limit for this
	// rule (0: any amount above zero waits for an approver).
	AutoApproveLimitMinor *int64 `yaml:"auto_approve_limit_minor,omitempty" json:"auto_approve_limit_minor,omitempty"`

	outcome complaintsv1.Outcome
	kind    complaintsv1.RedressKind
}

// SetVersion records the loaded version.
func (p *Policy) SetVersion(v string) { p.Version = v }

// Validate checks every rule and reads its outcome and kind. Each problem
// names its field: "rules[2].kind: ...".
func (p *Policy) Validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.AutoApproveLimitMinor < 0 {
		fail("auto_approve_limit_minor: must not be negative")
	}
	if len(p.Rules) == 0 {
		fail("rules: at least one rule is required")
	}
	seen := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		at := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.ID == "":
			fail("%s.id: is required", at)
		case seen[r.ID]:
			fail("%s.id: %q is used by an earlier rule", at, r.ID)
		}
		seen[r.ID] = true
		var ok bool
		if r.outcome, ok = complaintsv1.ParseOutcome(r.Outcome); !ok {
			fail("%s.outcome: %q is not one of upheld, partly_upheld, rejected", at, r.Outcome)
		}
		if r.kind, ok = parseKind(r.Kind); !ok {
			fail("%s.kind: %q is not a redress kind (%s)", at, r.Kind, strings.Join(kinds(), ", "))
		}
		if r.AmountMinor < 0 {
			fail("%s.amount_minor: must not be negative", at)
		}
		if l := r.AutoApproveLimitMinor; l != nil && *l < 0 {
			fail("%s.auto_approve_limit_minor: must not be negative", at)
		}
		if r.AmountMinor > 0 && (len(r.Currency) != 3 || strings.ToUpper(r.Currency) != r.Currency) {
			fail("%s.currency: an amount needs an ISO 4217 code such as GBP", at)
		}
		for j, c := range r.RootCauses {
			if c == "" || strings.Contains(strings.TrimSuffix(c, ".*"), "*") {
				fail("%s.root_causes[%d]: %q must be a code or a family ending in \".*\"", at, j, c)
			}
		}
	}
	return errors.Join(errs...)
}

// Match finds the first rule that fits a resolution.
func (p Policy) Match(outcome complaintsv1.Outcome, product, rootCause string) (Rule, bool) {
	for _, r := range p.Rules {
		if r.outcome == outcome && fits(r.Products, product) && fitsCause(r.RootCauses, rootCause) {
			return r, true
		}
	}
	return Rule{}, false
}

// ApprovalLimit is the amount up to which redress decided by rule r is
// issued without an approver: the rule's own limit, or the policy's.
func (p Policy) ApprovalLimit(r Rule) int64 {
	if r.AutoApproveLimitMinor != nil {
		return *r.AutoApproveLimitMinor
	}
	return p.AutoApproveLimitMinor
}

// OutcomeValue and KindValue are the rule's outcome and kind as read by
// Validate.
func (r Rule) OutcomeValue() complaintsv1.Outcome  { return r.outcome }
func (r Rule) KindValue() complaintsv1.RedressKind { return r.kind }

func fits(products []string, product string) bool {
	return len(products) == 0 || slices.Contains(products, product)
}

func fitsCause(causes []string, cause string) bool {
	if len(causes) == 0 {
		return true
	}
	for _, c := range causes {
		if family, ok := strings.CutSuffix(c, ".*"); (ok && strings.HasPrefix(cause, family+".")) || c == cause {
			return true
		}
	}
	return false
}

func parseKind(s string) (complaintsv1.RedressKind, bool) {
	v, ok := complaintsv1.RedressKind_value["REDRESS_KIND_"+strings.ToUpper(s)]
	if !ok || v == 0 || s != strings.ToLower(s) {
		return complaintsv1.RedressKind_REDRESS_KIND_UNSPECIFIED, false
	}
	return complaintsv1.RedressKind(v), true
}

func kinds() []string {
	var out []string
	for v := range len(complaintsv1.RedressKind_name) {
		if v > 0 {
			out = append(out, complaintsv1.RedressKind(v).APIName())
		}
	}
	return out
}
