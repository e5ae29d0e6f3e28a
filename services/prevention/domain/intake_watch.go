package domain

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// EarlyWarningPolicy tunes the early warning from intake volume: a burst of
// complaints about one product (over all channels, and on one channel) is
// flagged as the complaints arrive, days before their root causes are known
// at resolution. A zero field takes its default (DefaultEarlyWarning).
type EarlyWarningPolicy struct {
	// Bucket is the length of one count: 5 minutes by default.
	Bucket time.Duration `yaml:"bucket"`
	// EWMALambda weighs the latest day in the baseline of daily counts.
	EWMALambda float64 `yaml:"ewma_lambda"`
	// TailProbability is the chance that noise alone reaches the limit in
	// one bucket of one series.
	TailProbability float64 `yaml:"tail_probability"`
	// MinCount: fewer complaints than this in one bucket are never a burst.
	MinCount int64 `yaml:"min_count"`
	// PeakFactor is how many times the day's mean rate per bucket the
	// busiest time of day may bring: complaints come in waking hours.
	PeakFactor float64 `yaml:"peak_factor"`
	// PriorPerDay is the complaints a day one product is assumed to bring
	// while its history is short (a new installation): it stands in for
	// the days not yet seen, so detection works from the first day.
	PriorPerDay float64 `yaml:"prior_per_day"`
	// WarmUpDays is how many days of history replace the prior entirely.
	WarmUpDays int64 `yaml:"warm_up_days"`
}

// DefaultEarlyWarning is the early warning's policy when prevention.yaml
// says nothing of it.
var DefaultEarlyWarning = EarlyWarningPolicy{
	Bucket: 5 * time.Minute, EWMALambda: 0.1, TailProbability: 1e-6, MinCount: 20,
	PeakFactor: 4, PriorPerDay: 50, WarmUpDays: 14,
}

// OrDefault fills the fields left zero with the defaults.
func (p EarlyWarningPolicy) OrDefault() EarlyWarningPolicy {
	d := DefaultEarlyWarning
	if p.Bucket > 0 {
		d.Bucket = p.Bucket
	}
	if p.EWMALambda > 0 {
		d.EWMALambda = p.EWMALambda
	}
	if p.TailProbability > 0 {
		d.TailProbability = p.TailProbability
	}
	if p.MinCount > 0 {
		d.MinCount = p.MinCount
	}
	if p.PeakFactor > 0 {
		d.PeakFactor = p.PeakFactor
	}
	if p.PriorPerDay > 0 {
		d.PriorPerDay = p.PriorPerDay
	}
	if p.WarmUpDays > 0 {
		d.WarmUpDays = p.WarmUpDays
	}
	return d
}

// check reports the fields in error of a policy as written.
func (p EarlyWarningPolicy) check(bad func(field, format string, args ...any)) {
	if p.Bucket < 0 || p.Bucket > 0 && 24*time.Hour%p.Bucket != 0 {
		bad("early_warning.bucket", "must divide a day")
	}
	if p.EWMALambda < 0 || p.EWMALambda > 1 {
		bad("early_warning.ewma_lambda", "must be in (0, 1], not %g", p.EWMALambda)
	}
	if p.TailProbability < 0 || p.TailProbability >= 0.5 {
		bad("early_warning.tail_probability", "must be in (0, 0.5), not %g", p.TailProbability)
	}
	if p.MinCount < 0 || p.PeakFactor < 0 || p.PriorPerDay < 0 || p.WarmUpDays < 0 {
		bad("early_warning", "min_count, peak_factor, prior_per_day and warm_up_days must not be negative")
	}
}

// Method names the early warning's test and parameters.
func (p EarlyWarningPolicy) Method(channel string) string {
	m := fmt.Sprintf("intake-volume(bucket=%s,l=%g,p=%g,min=%d,peak=%g,prior=%g/day,warmup=%dd)",
		p.Bucket, p.EWMALambda, p.TailProbability, p.MinCount, p.PeakFactor, p.PriorPerDay, p.WarmUpDays)
	if channel != "" {
		m += ",channel=" + channel
	}
	return m
}

// Intake is what the early warning needs of a received complaint.
type Intake struct {
	ComplaintID string
	Product     string
	Channel     string
	At          time.Time
}

// VolumeSeries is the intake volume of one product (or product and
// channel): its baseline of daily counts and the bucket in progress.
type VolumeSeries struct {
	Product string `json:"product"`
	Channel string `json:"channel,omitempty"`
	// Day is the day in progress (days from the Unix epoch) and DayCount its
	// complaints so far.
	Day      int64 `json:"day"`
	DayCount int64 `json:"day_count"`
	// Days are the completed days seen; Sum their complaints over the
	// warm-up, Mean the EWMA of daily counts after it.
	Days int64   `json:"days"`
	Sum  int64   `json:"sum"`
	Mean float64 `json:"mean"`
	// Bucket is the bucket in progress, Count and Current its complaints,
	// Flagged whether it was reported.
	Bucket  int64    `json:"bucket"`
	Count   int64    `json:"count"`
	Current []string `json:"current,omitempty"`
	Flagged bool     `json:"flagged,omitempty"`
	// InBurst: the last bucket reached the limit; a burst that goes on
	// into the next bucket is the same burst, not a new issue.
	InBurst bool `json:"in_burst,omitempty"`
}

// Daily is the expected complaints a day: while fewer than WarmUpDays days
// were seen, the prior stands in for the days missing.
func (s *VolumeSeries) Daily(p EarlyWarningPolicy) float64 {
	if s.Days >= p.WarmUpDays {
		return s.Mean
	}
	return (p.PriorPerDay*float64(p.WarmUpDays-s.Days) + float64(s.Sum)) / float64(p.WarmUpDays)
}

// Limit is the count of one bucket that flags a burst.
func (s *VolumeSeries) Limit(p EarlyWarningPolicy) (expected float64, limit int64) {
	expected = s.Daily(p) * p.PeakFactor * float64(p.Bucket) / float64(24*time.Hour)
	guarded := expected + math.Sqrt(expected*p.EWMALambda/(2-p.EWMALambda))
	return expected, max(p.MinCount, stats.PoissonUpperLimit(guarded, p.TailProbability))
}

// closeDay folds a completed day's count into the baseline. A day's count
// enters it at most at three times the baseline (plus the minimum count):
// a burst already flagged does not blind the watch for the weeks after.
func (s *VolumeSeries) closeDay(count int64, p EarlyWarningPolicy) {
	if s.Days < p.WarmUpDays {
		s.Days++
		s.Sum += count
		if s.Days == p.WarmUpDays {
			s.Mean = float64(s.Sum) / float64(s.Days)
		}
		return
	}
	c := min(float64(count), 3*s.Mean+float64(p.MinCount))
	s.Days++
	s.Mean = p.EWMALambda*c + (1-p.EWMALambda)*s.Mean
}

// IntakeWatch watches the intake volume of every product, over all channels
// and per channel. Its JSON form is its snapshot.
type IntakeWatch struct {
	Series map[string]*VolumeSeries `json:"series"`
}

// NewIntakeWatch is the watch before any complaint.
func NewIntakeWatch() *IntakeWatch { return &IntakeWatch{Series: map[string]*VolumeSeries{}} }

// IntakeVolumeCause is the root cause of an issue found from intake volume:
// the cause is not known yet, only that complaints about one product burst.
const IntakeVolumeCause = "intake-volume"

// Observe counts one received complaint and returns the bursts it
// completes: at most one for its product and one for its product and
// channel. Judged as each complaint arrives, a burst is reported within the
// bucket it starts in.
func (w *IntakeWatch) Observe(c Intake, p EarlyWarningPolicy) []Detection {
	if c.Product == "" {
		return nil
	}
	p = p.OrDefault()
	day := BucketOf(c.At, 24*time.Hour)
	b := BucketOf(c.At, p.Bucket)
	var out []Detection
	channels := []string{""}
	if c.Channel != "" {
		channels = append(channels, c.Channel)
	}
	for _, channel := range channels {
		key := c.Product
		if channel != "" {
			key += "|" + channel
		}
		s := w.Series[key]
		if s == nil {
			s = &VolumeSeries{Product: c.Product, Channel: channel, Day: day, Bucket: b}
			w.Series[key] = s
		}
		if day > s.Day {
			s.closeDay(s.DayCount, p)
			for d := s.Day + 1; d < day; d++ {
				s.closeDay(0, p)
			}
			s.Day, s.DayCount = day, 0
		}
		if b > s.Bucket {
			s.InBurst = s.Flagged && b == s.Bucket+1
			s.Bucket, s.Count, s.Current, s.Flagged = b, 0, nil, false
		}
		s.DayCount++
		if b < s.Bucket {
			continue // late: counted in its day, not judged
		}
		s.Count++
		if !s.Flagged {
			s.Current = append(s.Current, c.ComplaintID)
		}
		expected, limit := s.Limit(p)
		if s.Flagged || s.Count < limit {
			continue
		}
		s.Flagged = true
		if s.InBurst {
			continue // the burst flagged in the bucket before goes on
		}
		start := bucketStart(b, p.Bucket)
		out = append(out, Detection{
			IssueID:   IssueID(IntakeVolumeCause+"|"+channel, c.Product, start),
			RootCause: IntakeVolumeCause, Product: c.Product,
			WindowStart: start, WindowEnd: start.Add(p.Bucket),
			Observed: s.Count, Expected: expected, UpperLimit: float64(limit),
			Method: p.Method(channel), ComplaintIDs: slices.Clone(s.Current), DetectedAt: c.At.UTC(),
		})
	}
	return out
}
