package domain

import (
	"errors"
	"fmt"
	"time"
)

// PolicyName is the follow-up policy's name; its file is "followup.yaml".
const PolicyName = "followup"

// Policy is the follow-up policy as its file states it: when the customer is
// asked, when a silent customer is reminded and when silence closes the
// complaint, and which scores alert the team lead. It is data: a company
// changes it by placing its own followup.yaml in CONFIG_DIR.
type Policy struct {
	// Version is the file's label and digest once loaded.
	Version string `yaml:"version"`
	// SurveyDelay is how long after the resolution's redress is settled the
	// survey is sent; 0 sends it at once.
	SurveyDelay time.Duration `yaml:"survey_delay"`
	// Chasers are the reminders to a silent customer, each counted from the
	// survey, in increasing order; empty for none.
	Chasers []time.Duration `yaml:"chasers"`
	// CloseAfter is when, counted from the survey, a customer who answered
	// neither the survey nor a chaser has their complaint closed as
	// "no-response". It must come after the last chaser.
	CloseAfter time.Duration `yaml:"close_after"`
	// LowSatisfaction are the scores at or under which a LowSatisfactionAlert
	// goes to the team lead.
	LowSatisfaction Thresholds `yaml:"low_satisfaction"`
}

// Thresholds of a low score: an answer at or below any of them is low. A
// nil threshold is not checked.
type Thresholds struct {
	// CSATAtMost: satisfaction 1-5.
	CSATAtMost *int32 `yaml:"csat_at_most"`
	// EffortAtMost: Customer Effort Score 1-7 (7: very easy).
	EffortAtMost *int32 `yaml:"effort_at_most"`
	// NPSAtMost: Net Promoter answer 0-10 (a detractor is 0-6); only checked
	// when the customer gave one.
	NPSAtMost *int32 `yaml:"nps_at_most"`
}

// SetVersion records the loaded version.
func (p *Policy) SetVersion(v string) { p.Version = v }

// Validate checks the durations and thresholds, naming the field at fault.
func (p *Policy) Validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.SurveyDelay < 0 {
		fail("survey_delay: must not be negative")
	}
	var last time.Duration
	for i, c := range p.Chasers {
		if c <= last {
			fail("chasers[%d]: must be after the survey and after the chaser before it (%s)", i, last)
		}
		last = max(last, c)
	}
	if p.CloseAfter <= 0 {
		fail("close_after: is required, a duration after the survey")
	} else if p.CloseAfter <= last {
		fail("close_after: must come after the last chaser (%s)", last)
	}
	check := func(field string, v *int32, lo, hi int32) {
		if v != nil && (*v < lo || *v > hi) {
			fail("low_satisfaction.%s: must be from %d to %d", field, lo, hi)
		}
	}
	check("csat_at_most", p.LowSatisfaction.CSATAtMost, 1, 5)
	check("effort_at_most", p.LowSatisfaction.EffortAtMost, 1, 7)
	check("nps_at_most", p.LowSatisfaction.NPSAtMost, 0, 10)
	return errors.Join(errs...)
}

// low lists the thresholds an answer crosses, e.g. ["csat<=2"].
func (t Thresholds) low(csat, effort, nps int32) []string {
	var out []string
	if t.CSATAtMost != nil && csat <= *t.CSATAtMost {
		out = append(out, fmt.Sprintf("csat<=%d", *t.CSATAtMost))
	}
	if t.EffortAtMost != nil && effort <= *t.EffortAtMost {
		out = append(out, fmt.Sprintf("effort<=%d", *t.EffortAtMost))
	}
	if t.NPSAtMost != nil && nps >= 0 && nps <= *t.NPSAtMost {
		out = append(out, fmt.Sprintf("nps<=%d", *t.NPSAtMost))
	}
	return out
}
