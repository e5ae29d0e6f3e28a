package domain

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// SystemicPolicyName is the prevention policy's file name (prevention.yaml).
const SystemicPolicyName = "prevention"

// SystemicPolicy is the prevention policy (prevention.yaml): how spikes are
// detected, how the effect of a preventive action is measured, and who may
// own an action.
type SystemicPolicy struct {
	// Version is the file's label as written; label+digest once loaded.
	Version    string           `yaml:"version"`
	Detection  DetectionPolicy  `yaml:"detection"`
	Evaluation EvaluationPolicy `yaml:"evaluation"`
	// EarlyWarning tunes the early warning from intake volume; the
	// defaults when absent.
	EarlyWarning EarlyWarningPolicy `yaml:"early_warning"`
	// Owners are the processes and teams that may own a preventive action.
	// An action is owned by one of them, never by a person.
	Owners []string `yaml:"owners"`
}

// DetectionPolicy tunes spike detection (ADR 0032).
type DetectionPolicy struct {
	// Bucket is the length of one count: a day by default.
	Bucket          time.Duration `yaml:"bucket"`
	EWMALambda      float64       `yaml:"ewma_lambda"`
	TailProbability float64       `yaml:"tail_probability"`
	MinCount        int64         `yaml:"min_count"`
	WarmUpBuckets   int64         `yaml:"warm_up_buckets"`
	// Retention is how long bucketed counts are kept, for evaluations.
	Retention time.Duration `yaml:"retention"`
	// Horizon is how long after a bucket ends the resolutions of its
	// complaints still count for detection (ADR 0050): until then it is
	// judged again at each; then it is complete and enters the baseline.
	// DefaultHorizon when absent.
	Horizon time.Duration `yaml:"horizon"`
	// RunBuckets is how many consecutive buckets are also judged together
	// (ADR 0050); DefaultRunBuckets when absent, 1 for none.
	RunBuckets int64 `yaml:"run_buckets"`
}

// DefaultRunBuckets: a fault of three days or more is judged over three
// days.
const DefaultRunBuckets = 3

func (d DetectionPolicy) runBuckets() int64 {
	if d.RunBuckets == 0 {
		return DefaultRunBuckets
	}
	return d.RunBuckets
}

// DefaultHorizon is the detection horizon when the policy sets none: most
// complaints are resolved within a week of their receipt.
const DefaultHorizon = 7 * 24 * time.Hour

// horizonBuckets is the horizon in whole buckets, at least one.
func (d DetectionPolicy) horizonBuckets() int64 {
	h := d.Horizon
	if h == 0 {
		h = DefaultHorizon
	}
	return max(1, int64((h+d.Bucket-1)/d.Bucket))
}

// Method names the method and its parameters, as recorded on events.
func (d DetectionPolicy) Method() string {
	return fmt.Sprintf("%s by bucket received, open %d buckets, runs of %d", d.Spike().Method(), d.horizonBuckets(), d.runBuckets())
}

// EvaluationPolicy tunes the effectiveness measure (ADR 0033).
type EvaluationPolicy struct {
	// Window is the length of the window before completion and of the
	// window after it.
	Window time.Duration `yaml:"window"`
	// Grace is how long after the window closes the evaluation runs, so
	// that late resolutions are counted.
	Grace     time.Duration `yaml:"grace"`
	Alpha     float64       `yaml:"alpha"`
	Reduction float64       `yaml:"reduction"`
	Power     float64       `yaml:"power"`
}

// SetVersion records the loaded version.
func (p *SystemicPolicy) SetVersion(v string) { p.Version = v }

// Validate reports every field in error.
func (p *SystemicPolicy) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf(field+": "+format, args...))
	}
	d, e := p.Detection, p.Evaluation
	if d.Bucket <= 0 {
		bad("detection.bucket", "must be a positive duration")
	}
	if d.EWMALambda <= 0 || d.EWMALambda > 1 {
		bad("detection.ewma_lambda", "must be in (0, 1], not %g", d.EWMALambda)
	}
	if d.TailProbability <= 0 || d.TailProbability >= 0.5 {
		bad("detection.tail_probability", "must be in (0, 0.5), not %g", d.TailProbability)
	}
	if d.MinCount < 1 {
		bad("detection.min_count", "must be at least 1")
	}
	if d.RunBuckets < 0 {
		bad("detection.run_buckets", "must not be negative")
	}
	if d.Horizon < 0 {
		bad("detection.horizon", "must not be negative")
	}
	if d.WarmUpBuckets < 1 {
		bad("detection.warm_up_buckets", "must be at least 1")
	}
	if e.Window <= 0 {
		bad("evaluation.window", "must be a positive duration")
	}
	if d.Retention < 2*e.Window+d.Bucket {
		bad("detection.retention", "must cover both evaluation windows and one bucket (%s)", 2*e.Window+d.Bucket)
	}
	if e.Grace < 0 {
		bad("evaluation.grace", "must not be negative")
	}
	if e.Alpha <= 0 || e.Alpha >= 1 {
		bad("evaluation.alpha", "must be in (0, 1), not %g", e.Alpha)
	}
	if e.Reduction <= 0 || e.Reduction >= 1 {
		bad("evaluation.reduction", "must be in (0, 1), not %g", e.Reduction)
	}
	if e.Power <= 0 || e.Power >= 1 {
		bad("evaluation.power", "must be in (0, 1), not %g", e.Power)
	}
	p.EarlyWarning.check(bad)
	if len(p.Owners) == 0 {
		bad("owners", "at least one process or team is required")
	}
	for i, o := range p.Owners {
		switch {
		case o == "":
			bad(fmt.Sprintf("owners[%d]", i), "is empty")
		case slices.Index(p.Owners, o) < i:
			bad(fmt.Sprintf("owners[%d]", i), "%q is listed twice", o)
		}
	}
	return errors.Join(errs...)
}

// Spike is the detection's parameters for the statistics.
func (d DetectionPolicy) Spike() stats.SpikeParams {
	return stats.SpikeParams{Lambda: d.EWMALambda, TailProbability: d.TailProbability, MinCount: d.MinCount, WarmUp: d.WarmUpBuckets}
}

// Effect is the evaluation's parameters for the statistics.
func (e EvaluationPolicy) Effect() stats.EffectParams {
	return stats.EffectParams{Alpha: e.Alpha, Reduction: e.Reduction, Power: e.Power}
}

// IsOwner says whether owner is a process or team the policy lists.
func (p SystemicPolicy) IsOwner(owner string) bool { return slices.Contains(p.Owners, owner) }
