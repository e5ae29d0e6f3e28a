package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Severities a case may have, least severe first.
var Severities = []string{"low", "medium", "high", "critical"}

// Triage is the triage policy (triage.yaml): how urgent a new case is and
// which extra care it needs. Every rule whose conditions all hold applies;
// the default applies when none does.
type Triage struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string `yaml:"version"`
	// MaxTier is the highest tier an escalation takes a case to (default 3).
	MaxTier int          `yaml:"max_tier"`
	Default TriageRule   `yaml:"default"`
	Rules   []TriageRule `yaml:"rules"`
}

// TriageRule sets severity, priority, flags and review for the complaints
// its conditions match. Conditions are and-ed; a rule has at least one.
type TriageRule struct {
	ID string `yaml:"id"`
	// Conditions.
	Keywords               []string `yaml:"keywords"`
	Products               []string `yaml:"products"`
	ProductCategories      []string `yaml:"product_categories"`
	MinDisputedAmountMinor int64    `yaml:"min_disputed_amount_minor"`
	Vulnerable             bool     `yaml:"vulnerable"`
	Regimes                []string `yaml:"regimes"`
	// What it sets.
	Severity string   `yaml:"severity"`
	Priority int      `yaml:"priority"`
	Flags    []string `yaml:"flags"`
	Review   bool     `yaml:"review"`
}

// SetVersion records the loaded version.
func (t *Triage) SetVersion(v string) { t.Version = v }

// Validate reports every field in error.
func (t *Triage) Validate() error {
	var errs []error
	if t.MaxTier < 0 {
		errs = append(errs, errors.New("max_tier: must be at least 1 (0 for the default, 3)"))
	}
	ids := map[string]string{}
	check := func(at string, r TriageRule, isDefault bool) {
		switch {
		case r.ID == "":
			errs = append(errs, errors.New(at+".id: is required"))
		case ids[r.ID] != "":
			errs = append(errs, fmt.Errorf("%s.id: %q is already the id of %s", at, r.ID, ids[r.ID]))
		default:
			ids[r.ID] = at
		}
		if r.Severity != "" && !slices.Contains(Severities, r.Severity) {
			errs = append(errs, fmt.Errorf("%s.severity: %q is not one of %s", at, r.Severity, strings.Join(Severities, ", ")))
		}
		if isDefault && r.Severity == "" {
			errs = append(errs, errors.New(at+".severity: is required"))
		}
		if r.Priority < 0 || r.Priority > 4 || (isDefault && r.Priority == 0) {
			errs = append(errs, errors.New(at+".priority: must be 1 (most urgent) to 4"))
		}
		for i, k := range r.Keywords {
			if normalise(k) == "" {
				errs = append(errs, fmt.Errorf("%s.keywords[%d]: has no letter or digit", at, i))
			}
		}
		if r.MinDisputedAmountMinor < 0 {
			errs = append(errs, errors.New(at+".min_disputed_amount_minor: must not be negative"))
		}
		conditions := len(r.Keywords) + len(r.Products) + len(r.ProductCategories) + len(r.Regimes)
		if r.MinDisputedAmountMinor > 0 || r.Vulnerable {
			conditions++
		}
		switch {
		case isDefault && conditions > 0:
			errs = append(errs, errors.New(at+": the default applies when no rule does and names no condition"))
		case !isDefault && conditions == 0:
			errs = append(errs, errors.New(at+": names no condition (keywords, products, product_categories, min_disputed_amount_minor, vulnerable, regimes)"))
		}
	}
	check("default", t.Default, true)
	for i, r := range t.Rules {
		check(fmt.Sprintf("rules[%d]", i), r, false)
	}
	return errors.Join(errs...)
}

// Tier is the highest tier escalations reach.
func (t Triage) Tier() int {
	if t.MaxTier <= 0 {
		return 3
	}
	return t.MaxTier
}

// Complaint is what triage looks at.
type Complaint struct {
	Description         string
	Product             string
	ProductCategory     string
	DisputedAmountMinor int64
	Vulnerable          bool
	Regime              string
}

// Verdict is the outcome of triage.
type Verdict struct {
	Severity       string
	Priority       int
	Flags          []string
	Vulnerable     bool
	ReviewRequired bool
	// RuleIDs are the rules that applied (the default's alone when none did).
	RuleIDs []string
}

// Assess triages a complaint.
func (t Triage) Assess(c Complaint) Verdict {
	v := Verdict{Vulnerable: c.Vulnerable}
	words := " " + normalise(c.Description) + " "
	for _, r := range t.Rules {
		if !r.matches(c, words) {
			continue
		}
		v.RuleIDs = append(v.RuleIDs, r.ID)
		v.apply(r)
	}
	if len(v.RuleIDs) == 0 {
		v.RuleIDs = []string{t.Default.ID}
		v.apply(t.Default)
	}
	if v.Severity == "" {
		v.Severity = t.Default.Severity
	}
	if v.Priority == 0 {
		v.Priority = t.Default.Priority
	}
	if c.Vulnerable && !slices.Contains(v.Flags, "vulnerable") {
		v.Flags = append(v.Flags, "vulnerable")
	}
	slices.Sort(v.Flags)
	return v
}

func (v *Verdict) apply(r TriageRule) {
	if slices.Index(Severities, r.Severity) > slices.Index(Severities, v.Severity) {
		v.Severity = r.Severity
	}
	if r.Priority > 0 && (v.Priority == 0 || r.Priority < v.Priority) {
		v.Priority = r.Priority
	}
	for _, f := range r.Flags {
		if !slices.Contains(v.Flags, f) {
			v.Flags = append(v.Flags, f)
		}
	}
	v.ReviewRequired = v.ReviewRequired || r.Review
}

func (r TriageRule) matches(c Complaint, words string) bool {
	if len(r.Keywords) > 0 && !slices.ContainsFunc(r.Keywords, func(k string) bool {
		return strings.Contains(words, " "+normalise(k)+" ")
	}) {
		return false
	}
	if len(r.Products) > 0 && !slices.Contains(r.Products, c.Product) {
		return false
	}
	if len(r.ProductCategories) > 0 && !slices.Contains(r.ProductCategories, c.ProductCategory) {
		return false
	}
	if len(r.Regimes) > 0 && !slices.Contains(r.Regimes, c.Regime) {
		return false
	}
	if r.MinDisputedAmountMinor > 0 && c.DisputedAmountMinor < r.MinDisputedAmountMinor {
		return false
	}
	if r.Vulnerable && !c.Vulnerable {
		return false
	}
	return true
}

// normalise lowers s and turns every run of non-letters and non-digits into
// one space, so keywords match whole words and phrases.
func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}
