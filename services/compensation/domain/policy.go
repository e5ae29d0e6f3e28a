package domain

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/notify"
)

// PolicyName is the redress policy's name; its file is "redress.yaml".
const PolicyName = "redress"

// Policy is the redress policy as its file states it: which redress a
// resolution earns (rules), who may approve how much (approval), how much
// each redress category may spend per month (budgets) and how often a failed
// issuance is tried again (issuance). It is data: a company changes it by
// placing its own redress.yaml in CONFIG_DIR.
type Policy struct {
	// Version is the file's label and digest once loaded ("2026-11-25+3f2a9c81d0e4").
	Version string `yaml:"version" json:"version"`
	// Currency is the ISO 4217 code of fixed amounts that name none.
	Currency string `yaml:"currency,omitempty" json:"currency,omitempty"`
	// AutoApproveLimitMinor: redress whose monetary total is up to this
	// amount (minor units) is issued at once; above it, it waits for an
	// approver.
	AutoApproveLimitMinor int64          `yaml:"auto_approve_limit_minor" json:"auto_approve_limit_minor"`
	Approval              ApprovalPolicy `yaml:"approval,omitempty" json:"approval"`
	Budgets               BudgetPolicy   `yaml:"budgets,omitempty" json:"budgets"`
	Issuance              IssuancePolicy `yaml:"issuance,omitempty" json:"issuance"`
	Rules                 []Rule         `yaml:"rules" json:"rules"`

	// Templates render the message telling the customer their redress is
	// issued (templates.yaml, purpose "redress-issued"); nil sends none.
	Templates *notify.Templates `yaml:"-" json:"-"`
}

// ApprovalPolicy says who approves redress above the automatic limit.
type ApprovalPolicy struct {
	// Levels are tried in order: the first whose limit covers the total is
	// asked to approve; a pending approval escalates to the next level after
	// EscalateAfter.
	Levels []ApprovalLevel `yaml:"levels,omitempty" json:"levels,omitempty"`
	// EscalateAfter is how long an approval may wait before it escalates
	// ("48h"; default 48h).
	EscalateAfter string `yaml:"escalate_after,omitempty" json:"escalate_after,omitempty"`

	escalateAfter time.Duration
}

// ApprovalLevel is one role's approval limit.
type ApprovalLevel struct {
	// Role is a role of the bearer tokens: approver, admin, process-owner.
	Role string `yaml:"role" json:"role"`
	// LimitMinor is the largest total the role may approve (minor units).
	LimitMinor int64 `yaml:"limit_minor" json:"limit_minor"`
}

// BudgetPolicy caps what each redress category may spend per month.
type BudgetPolicy struct {
	// Currency of the limits (and of the redress counted against them).
	Currency string `yaml:"currency,omitempty" json:"currency,omitempty"`
	// MonthlyMinor is the limit per redress category per calendar month
	// (UTC), in minor units. A category not listed has no budget.
	MonthlyMinor map[string]int64 `yaml:"monthly_minor,omitempty" json:"monthly_minor,omitempty"`
}

// IssuancePolicy says how a failed issuance is retried.
type IssuancePolicy struct {
	// MaxAttempts bounds the requests of one issuance (default 3); after the
	// last failure it is escalated to a person.
	MaxAttempts int32 `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	// RetryAfter is the wait before the next attempt ("10m"; default 10m).
	RetryAfter string `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`

	retryAfter time.Duration
}

// Rule is one line of the redress policy: when its conditions fit a
// resolution, its items are the redress. Rules are tried in order; the first
// fitting rule decides, and every fitting rule marked additional adds its
// items too (a distress payment for a vulnerable customer, say).
type Rule struct {
	ID string `yaml:"id" json:"id"`
	// Outcome the resolution must have: upheld, partly_upheld, rejected;
	// empty for any.
	Outcome string `yaml:"outcome,omitempty" json:"outcome,omitempty"`
	// Products the rule is for; empty for any product.
	Products []string `yaml:"products,omitempty" json:"products,omitempty"`
	// RootCauses the rule is for, as taxonomy codes ("network.outage") or
	// families ("network.*"); empty for any cause.
	RootCauses []string `yaml:"root_causes,omitempty" json:"root_causes,omitempty"`
	// RootCauseCategories: the cause's taxonomy categories ("billing").
	RootCauseCategories []string `yaml:"root_cause_categories,omitempty" json:"root_cause_categories,omitempty"`
	// SeverityPriority: the case's triage priority must be within (1 most
	// urgent).
	SeverityPriority *Range `yaml:"severity_priority,omitempty" json:"severity_priority,omitempty"`
	// Vulnerable, when set, requires the customer to be (or not be)
	// vulnerable.
	Vulnerable *bool `yaml:"vulnerable,omitempty" json:"vulnerable,omitempty"`
	// DisputedMinor: the amount in dispute must be within.
	DisputedMinor *Range `yaml:"disputed_minor,omitempty" json:"disputed_minor,omitempty"`
	// Additional rules add their items to the deciding rule's and never end
	// the search.
	Additional bool `yaml:"additional,omitempty" json:"additional,omitempty"`
	// Items are what the customer gets.
	Items []ItemRule `yaml:"items,omitempty" json:"items,omitempty"`
	// Kind, AmountMinor and Currency state a rule of one item in short.
	Kind        string `yaml:"kind,omitempty" json:"kind,omitempty"`
	AmountMinor int64  `yaml:"amount_minor,omitempty" json:"amount_minor,omitempty"`
	Currency    string `yaml:"currency,omitempty" json:"currency,omitempty"`
	// AutoApproveLimitMinor, when set, replaces the policy's limit for
	// redress this rule decides (0: every payment waits for an approver).
	AutoApproveLimitMinor *int64 `yaml:"auto_approve_limit_minor,omitempty" json:"auto_approve_limit_minor,omitempty"`

	outcome complaintsv1.Outcome
}

// Range is an inclusive range; an unset bound is open.
type Range struct {
	Min *int64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *int64 `yaml:"max,omitempty" json:"max,omitempty"`
}

func (r *Range) fits(v int64) bool {
	return r == nil || ((r.Min == nil || v >= *r.Min) && (r.Max == nil || v <= *r.Max))
}

// ItemRule is one item a rule gives: a fixed amount, or a share of the
// amount in dispute kept between a minimum and a cap.
type ItemRule struct {
	Kind string `yaml:"kind" json:"kind"`
	// AmountMinor is a fixed amount.
	AmountMinor int64 `yaml:"amount_minor,omitempty" json:"amount_minor,omitempty"`
	// SharePercent of the disputed amount (100: all of it), added to
	// AmountMinor.
	SharePercent float64 `yaml:"share_percent,omitempty" json:"share_percent,omitempty"`
	MinMinor     int64   `yaml:"min_minor,omitempty" json:"min_minor,omitempty"`
	CapMinor     int64   `yaml:"cap_minor,omitempty" json:"cap_minor,omitempty"`
	// Currency of a fixed amount; the policy's when empty. A share is in
	// the disputed amount's currency.
	Currency string `yaml:"currency,omitempty" json:"currency,omitempty"`
	// Category is the regulator category; by default from the kind
	// (financial-loss, distress-and-inconvenience, goodwill, non-financial).
	Category string `yaml:"category,omitempty" json:"category,omitempty"`

	kind complaintsv1.RedressKind
}

// SetVersion records the loaded version.
func (p *Policy) SetVersion(v string) { p.Version = v }

// Validate checks the policy and reads its outcomes, kinds and durations.
// Each problem names its field: "rules[2].items[0].kind: ...".
func (p *Policy) Validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	currency := func(at, c string) {
		if c != "" && (len(c) != 3 || strings.ToUpper(c) != c) {
			fail("%s: %q is not an ISO 4217 code such as GBP", at, c)
		}
	}
	currency("currency", p.Currency)
	currency("budgets.currency", p.Budgets.Currency)
	if p.AutoApproveLimitMinor < 0 {
		fail("auto_approve_limit_minor: must not be negative")
	}
	var err error
	if p.Approval.escalateAfter, err = duration(p.Approval.EscalateAfter, 48*time.Hour); err != nil {
		fail("approval.escalate_after: %v", err)
	}
	for i, l := range p.Approval.Levels {
		if l.Role == "" {
			fail("approval.levels[%d].role: is required", i)
		}
		if l.LimitMinor <= 0 {
			fail("approval.levels[%d].limit_minor: must be positive", i)
		}
		if i > 0 && l.LimitMinor < p.Approval.Levels[i-1].LimitMinor {
			fail("approval.levels[%d].limit_minor: must not be below the level before it", i)
		}
	}
	for c, l := range p.Budgets.MonthlyMinor {
		if l < 0 {
			fail("budgets.monthly_minor.%s: must not be negative", c)
		}
		if !token(c) {
			fail("budgets.monthly_minor.%s: a category is letters, digits and '-'", c)
		}
	}
	if p.Issuance.MaxAttempts < 0 {
		fail("issuance.max_attempts: must not be negative")
	}
	if p.Issuance.retryAfter, err = duration(p.Issuance.RetryAfter, 10*time.Minute); err != nil {
		fail("issuance.retry_after: %v", err)
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
		if r.Outcome != "" {
			if r.outcome, ok = complaintsv1.ParseOutcome(r.Outcome); !ok {
				fail("%s.outcome: %q is not one of upheld, partly_upheld, rejected", at, r.Outcome)
			}
		}
		shorthand := r.Kind != ""
		if r.Kind != "" {
			if len(r.Items) > 0 {
				fail("%s.kind: state one item with kind or several with items, not both", at)
			}
			if _, ok := parseKind(r.Kind); !ok {
				fail("%s.kind: %q is not a redress kind (%s)", at, r.Kind, strings.Join(kinds(), ", "))
			}
			r.Items = []ItemRule{{Kind: r.Kind, AmountMinor: r.AmountMinor, Currency: r.Currency}}
			r.Kind, r.AmountMinor, r.Currency = "", 0, ""
		} else if r.AmountMinor != 0 || r.Currency != "" {
			fail("%s.kind: an amount needs a kind", at)
		}
		if len(r.Items) == 0 {
			fail("%s.items: at least one item (an apology, say) is required", at)
		}
		if l := r.AutoApproveLimitMinor; l != nil && *l < 0 {
			fail("%s.auto_approve_limit_minor: must not be negative", at)
		}
		for j, c := range r.RootCauses {
			if c == "" || strings.Contains(strings.TrimSuffix(c, ".*"), "*") {
				fail("%s.root_causes[%d]: %q must be a code or a family ending in \".*\"", at, j, c)
			}
		}
		for j := range r.Items {
			it := &r.Items[j]
			iat := fmt.Sprintf("%s.items[%d]", at, j)
			if it.kind, ok = parseKind(it.Kind); !ok && !shorthand {
				fail("%s.kind: %q is not a redress kind (%s)", iat, it.Kind, strings.Join(kinds(), ", "))
			}
			if it.AmountMinor < 0 || it.MinMinor < 0 || it.CapMinor < 0 {
				fail("%s: amounts must not be negative", iat)
			}
			if it.SharePercent < 0 || it.SharePercent > 1000 || math.IsNaN(it.SharePercent) {
				fail("%s.share_percent: must be between 0 and 1000", iat)
			}
			if it.CapMinor > 0 && it.MinMinor > it.CapMinor {
				fail("%s.min_minor: must not be above cap_minor", iat)
			}
			currency(iat+".currency", it.Currency)
			if it.AmountMinor+it.MinMinor > 0 && it.Currency == "" && p.Currency == "" {
				fail("%s.currency: an amount needs an ISO 4217 code such as GBP (here or in currency)", iat)
			}
			if nonMonetary(it.kind) && (it.AmountMinor > 0 || it.SharePercent > 0 || it.MinMinor > 0) {
				fail("%s.kind: %s carries no amount", iat, it.Kind)
			}
			if it.Category != "" && !token(it.Category) {
				fail("%s.category: letters, digits and '-' only", iat)
			}
		}
	}
	return errors.Join(errs...)
}

func duration(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 48h or 10m", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

func token(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	}) < 0
}

// EscalateAfter is how long an approval waits before it escalates.
func (p Policy) EscalateAfter() time.Duration {
	if p.Approval.escalateAfter == 0 {
		return 48 * time.Hour
	}
	return p.Approval.escalateAfter
}

// RetryAfter is the wait before a failed issuance is requested again.
func (p Policy) RetryAfter() time.Duration {
	if p.Issuance.retryAfter == 0 {
		return 10 * time.Minute
	}
	return p.Issuance.retryAfter
}

// MaxAttempts bounds the requests of one issuance.
func (p Policy) MaxAttempts() int32 {
	if p.Issuance.MaxAttempts == 0 {
		return 3
	}
	return p.Issuance.MaxAttempts
}

// ApproverFor is the first approval level whose limit covers total, and its
// index; the last level when none does (it decides anyway).
func (p Policy) ApproverFor(total int64) (ApprovalLevel, int) {
	levels := p.levels()
	for i, l := range levels {
		if total <= l.LimitMinor {
			return l, i
		}
	}
	return levels[len(levels)-1], len(levels) - 1
}

// RoleLimit is the largest total a holder of one of roles may approve; 0
// when none of them is an approval level.
func (p Policy) RoleLimit(roles []string) int64 {
	var best int64
	for _, l := range p.levels() {
		if slices.Contains(roles, l.Role) {
			best = max(best, l.LimitMinor)
		}
	}
	return best
}

// Level is the approval level at index i (clamped).
func (p Policy) Level(i int) (ApprovalLevel, bool) {
	levels := p.levels()
	if i < 0 || i >= len(levels) {
		return levels[len(levels)-1], false
	}
	return levels[i], true
}

func (p Policy) levels() []ApprovalLevel {
	if len(p.Approval.Levels) == 0 {
		return []ApprovalLevel{{Role: "approver", LimitMinor: math.MaxInt64}}
	}
	return p.Approval.Levels
}

// BudgetLimit is the monthly limit of a redress category; ok is false when
// the category has no budget.
func (p Policy) BudgetLimit(category string) (int64, bool) {
	l, ok := p.Budgets.MonthlyMinor[category]
	return l, ok
}

// Facts are what the policy decides on: the resolution (CaseResolved) and
// the complaint (ComplaintReceived).
type Facts struct {
	ComplaintID       string
	Reference         string
	Outcome           complaintsv1.Outcome
	Product           string
	RootCause         string
	RootCauseCategory string
	SeverityPriority  int32
	Vulnerable        bool
	DisputedMinor     int64
	Currency          string
	// Team resolved the case (recorded, not a rule's condition).
	Team string
}

// FactsOf are the facts of a resolution that redress rules look at, all
// carried by the CaseResolved itself.
func FactsOf(ev *complaintsv1.CaseResolved) Facts {
	f := Facts{ComplaintID: ev.ComplaintId, Reference: ev.Reference, Outcome: ev.Outcome, Product: ev.Product,
		RootCause: ev.RootCause, RootCauseCategory: ev.RootCauseCategory, SeverityPriority: ev.SeverityPriority,
		Vulnerable: ev.VulnerableCustomer, DisputedMinor: ev.GetDisputedAmountMinor(), Currency: ev.DisputedCurrency, Team: ev.Team}
	if f.RootCauseCategory == "" {
		// Resolutions recorded before the category was: a code's category
		// is its first part ("billing" of "billing.proration-error").
		f.RootCauseCategory, _, _ = strings.Cut(ev.RootCause, ".")
	}
	return f
}

// Plan is the redress the policy gives a resolution, before approval.
type Plan struct {
	Items []*complaintsv1.RedressItem
	// Rule is the deciding rule; Rules every rule that added items.
	Rule  Rule
	Rules []string
	// ApprovalLimit is the total up to which it is issued without approval.
	ApprovalLimit int64
}

// Total is the plan's monetary total and its currency.
func (pl Plan) Total() (int64, string) { return Total(pl.Items) }

// NeedsApproval says whether the plan waits for an approver because of its
// amount: its monetary total is above the rule's or the policy's limit.
func (pl Plan) NeedsApproval() bool {
	total, _ := pl.Total()
	return total > pl.ApprovalLimit
}

// Reservation is what the budgets must set aside before the plan is
// decided: every item of a plan issued at once, nothing of one an approver
// will decide on (the approval reserves it). A budget that cannot take it
// sends the plan to an approver (DecideRedress.BudgetExhausted).
func (pl Plan) Reservation() []*complaintsv1.RedressItem {
	if pl.NeedsApproval() {
		return nil
	}
	return pl.Items
}

// Total sums monetary items (all in one currency in practice; the first
// monetary item's currency is reported).
func Total(items []*complaintsv1.RedressItem) (int64, string) {
	var total int64
	var currency string
	for _, it := range items {
		if it.AmountMinor > 0 {
			total += it.AmountMinor
			if currency == "" {
				currency = it.Currency
			}
		}
	}
	return total, currency
}

// Plan applies the rules to a resolution's facts: the one place that says
// what redress a resolution earns. ok is false when no rule fits. Item ids
// are "<resolution>-<index>".
func (p Policy) Plan(f Facts, resolution int32) (Plan, bool) {
	var pl Plan
	decided := false
	for _, r := range p.Rules {
		if !r.fits(f) || (decided && !r.Additional) {
			continue
		}
		if !r.Additional {
			decided = true
			pl.Rule = r
			pl.ApprovalLimit = p.AutoApproveLimitMinor
			if r.AutoApproveLimitMinor != nil {
				pl.ApprovalLimit = *r.AutoApproveLimitMinor
			}
		}
		pl.Rules = append(pl.Rules, r.ID)
		for _, ir := range r.Items {
			if it, ok := p.item(ir, r, f); ok {
				pl.Items = append(pl.Items, it)
			}
		}
	}
	if !decided {
		return Plan{}, false
	}
	for i, it := range pl.Items {
		it.ItemId = fmt.Sprintf("%d-%d", resolution, i)
	}
	return pl, true
}

func (r Rule) fits(f Facts) bool {
	return (r.outcome == complaintsv1.Outcome_OUTCOME_UNSPECIFIED || r.outcome == f.Outcome) &&
		fits(r.Products, f.Product) && fitsCause(r.RootCauses, f.RootCause) &&
		fits(r.RootCauseCategories, f.RootCauseCategory) &&
		r.SeverityPriority.fits(int64(f.SeverityPriority)) &&
		(r.Vulnerable == nil || *r.Vulnerable == f.Vulnerable) &&
		r.DisputedMinor.fits(f.DisputedMinor)
}

// item computes one item: fixed + share of the disputed amount, raised to
// the minimum and held to the cap. A monetary item that comes to nothing is
// left out.
func (p Policy) item(ir ItemRule, r Rule, f Facts) (*complaintsv1.RedressItem, bool) {
	it := &complaintsv1.RedressItem{Kind: ir.kind, RuleId: r.ID, Category: ir.Category}
	if it.Category == "" {
		it.Category = defaultCategory(ir.kind)
	}
	it.Goodwill = ir.kind == complaintsv1.RedressKind_REDRESS_KIND_GOODWILL_GESTURE
	if nonMonetary(ir.kind) {
		it.Relief = "non-monetary"
		return it, true
	}
	currency := ir.Currency
	if currency == "" {
		currency = p.Currency
	}
	amount := ir.AmountMinor
	var basis []string
	if ir.AmountMinor > 0 {
		basis = append(basis, fmt.Sprintf("fixed %d", ir.AmountMinor))
	}
	if ir.SharePercent > 0 {
		share := int64(math.Round(float64(f.DisputedMinor) * ir.SharePercent / 100))
		amount += share
		basis = append(basis, fmt.Sprintf("%g%% of disputed %d", ir.SharePercent, f.DisputedMinor))
		if f.Currency != "" {
			currency = f.Currency
		}
	}
	if ir.MinMinor > 0 && amount < ir.MinMinor {
		amount = ir.MinMinor
		basis = append(basis, fmt.Sprintf("raised to minimum %d", ir.MinMinor))
	}
	if ir.CapMinor > 0 && amount > ir.CapMinor {
		amount = ir.CapMinor
		basis = append(basis, fmt.Sprintf("capped at %d", ir.CapMinor))
	}
	if amount <= 0 {
		return nil, false
	}
	it.AmountMinor, it.Currency, it.Relief = amount, currency, "monetary"
	it.Basis = strings.Join(basis, ", ")
	// Money on a complaint that was not upheld is a gesture of goodwill.
	if f.Outcome == complaintsv1.Outcome_OUTCOME_REJECTED {
		it.Goodwill = true
	}
	return it, true
}

func nonMonetary(k complaintsv1.RedressKind) bool {
	switch k {
	case complaintsv1.RedressKind_REDRESS_KIND_APOLOGY, complaintsv1.RedressKind_REDRESS_KIND_GUARANTEE_OF_CHANGE,
		complaintsv1.RedressKind_REDRESS_KIND_REPLACEMENT:
		return true
	}
	return false
}

func defaultCategory(k complaintsv1.RedressKind) string {
	switch k {
	case complaintsv1.RedressKind_REDRESS_KIND_REFUND, complaintsv1.RedressKind_REDRESS_KIND_FEE_WAIVER,
		complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, complaintsv1.RedressKind_REDRESS_KIND_INTEREST_FOR_LATE_SETTLEMENT:
		return "financial-loss"
	case complaintsv1.RedressKind_REDRESS_KIND_DISTRESS_AND_INCONVENIENCE:
		return "distress-and-inconvenience"
	case complaintsv1.RedressKind_REDRESS_KIND_GOODWILL_GESTURE, complaintsv1.RedressKind_REDRESS_KIND_VOUCHER,
		complaintsv1.RedressKind_REDRESS_KIND_COUPON:
		return "goodwill"
	case complaintsv1.RedressKind_REDRESS_KIND_REPLACEMENT:
		return "replacement"
	}
	return "non-financial"
}

// OutcomeValue is the rule's outcome as read by Validate.
func (r Rule) OutcomeValue() complaintsv1.Outcome { return r.outcome }

// KindValue is the item's kind as read by Validate.
func (ir ItemRule) KindValue() complaintsv1.RedressKind { return ir.kind }

func fits(values []string, v string) bool {
	return len(values) == 0 || slices.Contains(values, v)
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

// ParseKind reads a kind's API name ("refund").
func ParseKind(s string) (complaintsv1.RedressKind, bool) { return parseKind(s) }

// NonMonetary reports whether a kind carries no amount.
func NonMonetary(k complaintsv1.RedressKind) bool { return nonMonetary(k) }

// DefaultCategory is a kind's regulator category when the policy names none.
func DefaultCategory(k complaintsv1.RedressKind) string { return defaultCategory(k) }

func kinds() []string {
	var out []string
	for v := range len(complaintsv1.RedressKind_name) {
		if v > 0 {
			out = append(out, complaintsv1.RedressKind(v).APIName())
		}
	}
	return out
}
