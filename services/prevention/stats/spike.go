package stats

import (
	"fmt"
	"math"
)

// SpikeParams tune spike detection (ADR 0032).
type SpikeParams struct {
	// Lambda is the EWMA's smoothing: the weight of the latest completed
	// bucket in the baseline, in (0, 1].
	Lambda float64
	// TailProbability is the chance, when the baseline is right, that one
	// bucket's count reaches the control limit.
	TailProbability float64
	// MinCount is the fewest complaints in one bucket that can be a spike,
	// whatever the baseline.
	MinCount int64
	// WarmUp is how many completed buckets the baseline needs before any
	// spike is flagged; over them the baseline is their plain mean.
	WarmUp int64
}

// Method names the method and its parameters, as recorded on events.
func (p SpikeParams) Method() string {
	return fmt.Sprintf("poisson-ewma(l=%g,p=%g,min=%d,warmup=%d)", p.Lambda, p.TailProbability, p.MinCount, p.WarmUp)
}

// Series is one count series (a cause, or a product and cause) as the
// detector keeps it: the baseline after the completed buckets and the count
// of the bucket in progress. The zero Series starts at bucket 0; use
// NewSeries to start it elsewhere.
type Series struct {
	// Bucket is the index of the bucket in progress.
	Bucket int64 `json:"bucket"`
	// Count is its count so far.
	Count int64 `json:"count"`
	// Completed is how many buckets the baseline has seen.
	Completed int64 `json:"completed"`
	// Mean is the baseline: the expected count of one bucket.
	Mean float64 `json:"mean"`
	// Limit is the control limit of the bucket in progress.
	Limit int64 `json:"limit"`
	// Flagged: the bucket in progress has already been reported as a spike.
	Flagged bool `json:"flagged,omitempty"`
}

// NewSeries starts a series at bucket with no count before it.
func NewSeries(bucket int64, p SpikeParams) Series {
	s := Series{Bucket: bucket}
	s.Limit = s.limit(p)
	return s
}

// Spike is a bucket whose count reached its control limit.
type Spike struct {
	Bucket   int64
	Observed int64
	Expected float64
	Limit    int64
}

// Advance closes the buckets before bucket: the one in progress with its
// count (a flagged one with no more than its limit) and every later one
// with a count of zero. A bucket not after the one in progress changes
// nothing.
func (s Series) Advance(bucket int64, p SpikeParams) Series {
	if bucket <= s.Bucket {
		return s
	}
	count := s.Count
	if s.Flagged {
		// A spike enters the baseline at its limit: one burst must not
		// raise the baseline so far that the next is missed.
		count = min(count, s.Limit)
	}
	s = s.close(count, p)
	zeros := bucket - s.Bucket
	for ; zeros > 0 && s.Completed < p.WarmUp; zeros-- {
		s = s.close(0, p)
	}
	if zeros > 0 {
		s.Mean *= math.Pow(1-p.Lambda, float64(zeros))
		s.Completed += zeros
	}
	// close moved Bucket on by one per bucket it closed; the decayed empty
	// ones are skipped at once.
	s.Bucket, s.Count, s.Flagged = bucket, 0, false
	s.Limit = s.limit(p)
	return s
}

// close folds a completed bucket's count into the baseline: its plain mean
// during the warm-up, the EWMA after.
func (s Series) close(count int64, p SpikeParams) Series {
	s.Completed++
	if s.Completed <= p.WarmUp {
		s.Mean += (float64(count) - s.Mean) / float64(s.Completed)
	} else {
		s.Mean = p.Lambda*float64(count) + (1-p.Lambda)*s.Mean
	}
	s.Bucket++
	return s
}

// limit is the control limit of the next bucket. The baseline is itself an
// estimate: an EWMA of Poisson counts has a standard error of
// sqrt(mean * lambda / (2 - lambda)), and a baseline that happens to sit
// low would make noise look like a spike. The limit is therefore taken at
// the baseline plus one standard error.
func (s Series) limit(p SpikeParams) int64 {
	guarded := s.Mean + s.StandardError(p)
	return max(p.MinCount, PoissonUpperLimit(guarded, p.TailProbability))
}

// StandardError is the baseline's standard error as an EWMA of Poisson
// counts: sqrt(mean * lambda / (2 - lambda)).
func (s Series) StandardError(p SpikeParams) float64 {
	return math.Sqrt(s.Mean * p.Lambda / (2 - p.Lambda))
}

// Add counts n more in the bucket in progress. It reports a spike the first
// time the bucket's count reaches its limit once the warm-up is over.
func (s Series) Add(n int64, p SpikeParams) (Series, *Spike) {
	s.Count += n
	if s.Flagged || s.Completed < p.WarmUp || s.Count < s.Limit {
		return s, nil
	}
	s.Flagged = true
	return s, &Spike{Bucket: s.Bucket, Observed: s.Count, Expected: s.Mean, Limit: s.Limit}
}
