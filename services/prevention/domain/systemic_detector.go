package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// Resolution is what the detector needs of a resolved case.
type Resolution struct {
	ComplaintID string
	RootCause   string
	Product     string
	// At is when the case was resolved.
	At time.Time
	// ReceivedAt is when the complaint came in; zero when the resolution
	// does not say, and the detector then takes the time it saw the case
	// opened (Receive), or else At.
	ReceivedAt time.Time
	// Nth is which resolution of the case this is: 1 (or 0, unknown) the
	// first; a resolution after a reopen is not counted again.
	Nth int32
}

// Detection is a spike found by the detector: the content of a
// SystemicIssueDetected.
type Detection struct {
	IssueID      string    `json:"issue_id"`
	RootCause    string    `json:"root_cause"`
	Product      string    `json:"product,omitempty"`
	WindowStart  time.Time `json:"window_start"`
	WindowEnd    time.Time `json:"window_end"`
	Observed     int64     `json:"observed"`
	Expected     float64   `json:"expected"`
	UpperLimit   float64   `json:"upper_limit"`
	Method       string    `json:"method"`
	ComplaintIDs []string  `json:"complaint_ids"`
	DetectedAt   time.Time `json:"detected_at"`
}

// Event is the detection as an event.
func (d Detection) Event() *complaintsv1.SystemicIssueDetected {
	return &complaintsv1.SystemicIssueDetected{
		IssueId: d.IssueID, RootCause: d.RootCause, Product: d.Product,
		WindowStart: timestamppb.New(d.WindowStart), WindowEnd: timestamppb.New(d.WindowEnd),
		Observed: d.Observed, Expected: d.Expected, UpperLimit: d.UpperLimit, Method: d.Method,
		ComplaintIds: slices.Clone(d.ComplaintIDs), DetectedAt: timestamppb.New(d.DetectedAt),
	}
}

// IssueID is the id of the systemic issue of a cause (and product, "" for
// all products) in the bucket starting at start: the same spike always gets
// the same id, so a detection delivered twice is one issue.
func IssueID(cause, product string, start time.Time) string {
	sum := sha256.Sum256([]byte(cause + "\x00" + product + "\x00" + start.UTC().Format(time.RFC3339Nano)))
	return "issue_" + hex.EncodeToString(sum[:])[:20]
}

// DetectorVersion is the version of the detector's counts: 2 counts a
// case in the bucket its complaint was received in (ADR 0050); 1 (or none)
// counted it in the bucket it was resolved in. A snapshot of another
// version is rebuilt from the log.
const DetectorVersion = 2

// Window is one bucket of received complaints whose resolutions are still
// coming in: how many were resolved with the series' cause so far, which
// (until it is flagged), and the limit it was flagged at.
type Window struct {
	Count      int64    `json:"count"`
	Complaints []string `json:"complaints,omitempty"`
	Flagged    bool     `json:"flagged,omitempty"`
	Limit      int64    `json:"limit,omitempty"`
	// InRun: the bucket belongs to a run of buckets flagged together.
	InRun bool `json:"in_run,omitempty"`
}

// RunIssueID is the id of the systemic issue of a cause (and product) over
// the run of buckets from start to end.
func RunIssueID(cause, product string, start, end time.Time) string {
	sum := sha256.Sum256([]byte(cause + "\x00" + product + "\x00" + start.UTC().Format(time.RFC3339Nano) + "\x00" + end.UTC().Format(time.RFC3339Nano)))
	return "issue_" + hex.EncodeToString(sum[:])[:20]
}

// Tally is one series of the detector: the baseline over its complete
// buckets, the buckets still open to late resolutions, and its counts per
// bucket (kept for Retention).
type Tally struct {
	// Baseline is the spike baseline over the complete buckets; its Bucket
	// is the oldest bucket still open, and its Limit the control limit of
	// every open bucket.
	Baseline stats.Series      `json:"baseline"`
	Open     map[int64]*Window `json:"open,omitempty"`
	ByBucket map[int64]int64   `json:"by_bucket"`
}

// Detector counts resolved cases per cause and per product and cause in
// buckets of the day their complaint was received, and finds the buckets
// whose count reaches the control limit (ADR 0032, ADR 0050). A bucket
// stays open for the policy's horizon: each resolution of one of its
// complaints counts in it and it is judged again; only then is it complete
// and enters the baseline. Its JSON form is its snapshot. Bucket indexes
// count bucket lengths from the Unix epoch.
type Detector struct {
	Version int `json:"version"`
	// Origin is the first bucket the detector saw: every series has a count
	// of zero from there until its first complaint.
	Origin  int64 `json:"origin"`
	Started bool  `json:"started"`
	// Now is the latest bucket any case was opened or resolved in: the
	// detector's clock.
	Now int64 `json:"now"`
	// Received is the bucket each open case's complaint was received in,
	// until its first resolution.
	Received map[string]int64 `json:"received,omitempty"`
	// Causes are keyed by cause ("billing.late-fee") and by product and
	// cause ("broadband|billing.late-fee").
	Causes map[string]*Tally `json:"causes"`
	// Volume counts every resolved case per bucket received, keyed "" for
	// all products and by product: the complaint volume that normalises
	// evaluations.
	Volume map[string]map[int64]int64 `json:"volume"`
	// Weekly is the weekly profile of the volume (see week), as of the
	// oldest open bucket WeeklyAt.
	Weekly   []float64 `json:"weekly,omitempty"`
	WeeklyAt int64     `json:"weekly_at,omitempty"`
}

// NewDetector is the detector before any case.
func NewDetector() *Detector {
	return &Detector{Version: DetectorVersion, Received: map[string]int64{}, Causes: map[string]*Tally{}, Volume: map[string]map[int64]int64{}}
}

func seriesKey(cause, product string) string {
	if product == "" {
		return cause
	}
	return product + "|" + cause
}

// BucketOf is the index of the bucket holding t.
func BucketOf(t time.Time, bucket time.Duration) int64 {
	n := t.UnixNano()
	b := n / int64(bucket)
	if n < 0 && n%int64(bucket) != 0 {
		b--
	}
	return b
}

func bucketStart(b int64, bucket time.Duration) time.Time {
	return time.Unix(0, b*int64(bucket)).UTC()
}

func (d *Detector) see(b int64) {
	if !d.Started || b < d.Origin {
		d.Origin, d.Started = b, true
	}
}

// tick moves the detector's clock on to the bucket holding at, and forgets
// the received bucket of cases open for longer than keep buckets.
func (d *Detector) tick(at time.Time, p DetectionPolicy) {
	if d.Received == nil {
		// A snapshot holding no open case restores none (omitempty).
		d.Received = map[string]int64{}
	}
	now := BucketOf(at, p.Bucket)
	if d.Started && now <= d.Now {
		return
	}
	keep := int64(p.Retention / p.Bucket)
	for id, b := range d.Received {
		if b < now-keep {
			delete(d.Received, id)
		}
	}
	d.Now = now
	d.see(now)
}

// Receive notes when the complaint of a case came in (the case was opened),
// for its resolution to be counted in that bucket.
func (d *Detector) Receive(complaintID string, at time.Time, p DetectionPolicy) {
	d.tick(at, p)
	d.Received[complaintID] = BucketOf(at, p.Bucket)
}

// Observe counts one resolution in the bucket its complaint was received in
// and returns the spikes it completes: for its cause and for its product and
// cause, each at most one of its bucket and one of a run of buckets. A
// resolution that comes after its bucket is complete (the policy's horizon)
// counts for evaluations only.
func (d *Detector) Observe(r Resolution, p DetectionPolicy) []Detection {
	d.tick(r.At, p)
	b, known := d.Received[r.ComplaintID]
	delete(d.Received, r.ComplaintID)
	if r.RootCause == "" || r.Nth > 1 {
		return nil
	}
	switch {
	case !r.ReceivedAt.IsZero():
		b = BucketOf(r.ReceivedAt, p.Bucket)
	case !known:
		b = BucketOf(r.At, p.Bucket)
	}
	b = min(b, d.Now)
	d.see(b)
	keep := int64(p.Retention / p.Bucket)
	d.count(d.Volume, "", b, keep)
	if r.Product != "" {
		d.count(d.Volume, r.Product, b, keep)
	}
	products := []string{""}
	if r.Product != "" {
		products = append(products, r.Product)
	}
	open := d.Now - p.horizonBuckets()
	factor := d.week(open, p)
	var out []Detection
	for _, product := range products {
		key := seriesKey(r.RootCause, product)
		t := d.Causes[key]
		if t == nil {
			t = &Tally{Baseline: stats.NewSeries(d.Origin, p.Spike()), ByBucket: map[int64]int64{}}
			d.Causes[key] = t
		}
		t.settle(open, p)
		if _, seen := t.ByBucket[b]; !seen {
			for k := range t.ByBucket {
				if k < d.Now-keep {
					delete(t.ByBucket, k)
				}
			}
		}
		t.ByBucket[b]++
		if b < t.Baseline.Bucket {
			continue // complete: too late to judge
		}
		if t.Open == nil {
			t.Open = map[int64]*Window{}
		}
		w := t.Open[b]
		if w == nil {
			w = &Window{}
			t.Open[b] = w
		}
		w.Count++
		w.Complaints = append(w.Complaints, r.ComplaintID)
		if t.Baseline.Completed < p.WarmUpBuckets {
			continue
		}
		if det, ok := t.judgeDay(b, factor, p); ok {
			out = append(out, d.detection(r, product, det, p))
		}
		if det, ok := t.judgeRun(b, d.Now, factor, p); ok {
			out = append(out, d.detection(r, product, det, p))
		}
	}
	return out
}

// judged is a spike of one bucket or of a run of buckets.
type judged struct {
	from, to   int64 // buckets, to included
	observed   int64
	expected   float64
	limit      int64
	complaints []string
}

// judgeDay judges bucket b alone against the limit of the baseline times
// its factor of the week: a spike the first time its count reaches it,
// unless a flagged run holds it already.
func (t *Tally) judgeDay(b int64, factor func(int64) float64, p DetectionPolicy) (judged, bool) {
	w := t.Open[b]
	if w.Flagged || w.InRun {
		return judged{}, false
	}
	f := factor(b)
	limit := max(p.MinCount, stats.PoissonUpperLimit((t.Baseline.Mean+t.Baseline.StandardError(p.Spike()))*f, p.TailProbability))
	if w.Count < limit {
		return judged{}, false
	}
	w.Flagged, w.Limit = true, limit
	return judged{from: b, to: b, observed: w.Count, expected: t.Baseline.Mean * f, limit: limit, complaints: slices.Clone(w.Complaints)}, true
}

// judgeRun judges each run of the policy's run length that holds bucket b,
// ends no later than now and holds no flagged bucket, against the limit of a count over that many
// buckets: a fault of a few days that no single day shows above the noise
// shows over the run.
func (t *Tally) judgeRun(b, now int64, factor func(int64) float64, p DetectionPolicy) (judged, bool) {
	n := p.runBuckets()
	if n < 2 {
		return judged{}, false
	}
	se := t.Baseline.StandardError(p.Spike())
	for end := b; end < b+n && end <= now; end++ {
		from := end - n + 1
		var mean, guarded float64
		for k := from; k <= end; k++ {
			mean += t.Baseline.Mean * factor(k)
			guarded += (t.Baseline.Mean + se) * factor(k)
		}
		limit := max(p.MinCount, stats.PoissonUpperLimit(guarded, p.TailProbability))
		var count int64
		clean := true
		for k := from; k <= end && clean; k++ {
			count += t.ByBucket[k]
			if w := t.Open[k]; w != nil && (w.Flagged || w.InRun) {
				clean = false
			}
		}
		if !clean || count < limit {
			continue
		}
		var ids []string
		for k := from; k <= end; k++ {
			if w := t.Open[k]; w != nil {
				w.InRun = true
				ids = append(ids, w.Complaints...)
			}
		}
		return judged{from: from, to: end, observed: count, expected: mean, limit: limit, complaints: ids}, true
	}
	return judged{}, false
}

// weeks is how many weeks of complete buckets the weekly profile is taken
// from.
const weeks = 8

// week is the weekly profile of the complaint volume: for each bucket, the
// ratio of the median volume of its phase of the week (Monday, Tuesday...
// for daily buckets) to the mean of the medians, over the complete buckets
// of the last eight weeks, drawn towards 1 by its noise. Every series' baseline is the mean of its week;
// a bucket is judged against it times its factor. The factor is 1 when
// the buckets do not divide a week, or before two weeks are complete.
func (d *Detector) week(open int64, p DetectionPolicy) func(int64) float64 {
	one := func(int64) float64 { return 1 }
	period := int64(7 * 24 * time.Hour / p.Bucket)
	if period < 2 || time.Duration(period)*p.Bucket != 7*24*time.Hour {
		return one
	}
	if d.WeeklyAt != open || d.Weekly == nil {
		d.Weekly, d.WeeklyAt = nil, open
		from := max(d.Origin, open-weeks*period)
		if open-from >= 2*period {
			// The median of each phase, so that one storm does not make
			// its day of the week look busy for weeks.
			byPhase := make([][]float64, period)
			volume := d.Volume[""]
			for b := from; b < open; b++ {
				k := ((b % period) + period) % period
				byPhase[k] = append(byPhase[k], float64(volume[b]))
			}
			medians := make([]float64, period)
			var total float64
			for k, vs := range byPhase {
				slices.Sort(vs)
				medians[k] = (vs[(len(vs)-1)/2] + vs[len(vs)/2]) / 2
				total += medians[k]
			}
			if total > 0 {
				d.Weekly = shrunk(medians, byPhase, total)
			}
		}
	}
	if d.Weekly == nil {
		return one
	}
	return func(b int64) float64 {
		return d.Weekly[((b%period)+period)%period]
	}
}

// shrunk is the weekly profile of the phases' medians, each drawn towards
// 1 as much as its noise calls for: a median of n Poisson counts of mean m
// is off by about 1.25 / sqrt(n m) of itself, and a profile drawn from few
// complaints must not lower a limit by chance. The weight of a phase's
// factor is the spread of the factors beyond their noise over the spread
// with it (an empirical Bayes estimate): nearly 1 for a busy company,
// nearly 0 for a quiet one.
func shrunk(medians []float64, byPhase [][]float64, total float64) []float64 {
	n := float64(len(medians))
	factors, noise := make([]float64, len(medians)), make([]float64, len(medians))
	var spread, meanNoise float64
	for k, m := range medians {
		factors[k] = m * n / total
		rel := 1.25 / math.Sqrt(float64(len(byPhase[k]))*max(m, 1))
		noise[k] = rel * rel * factors[k] * factors[k]
		spread += (factors[k] - 1) * (factors[k] - 1) / n
		meanNoise += noise[k] / n
	}
	signal := max(0, spread-meanNoise)
	for k := range factors {
		w := 0.0
		if signal > 0 {
			w = signal / (signal + noise[k])
		}
		factors[k] = 1 + w*(factors[k]-1)
	}
	return factors
}

// detection is a spike as the event records it.
func (d *Detector) detection(r Resolution, product string, j judged, p DetectionPolicy) Detection {
	start, end := bucketStart(j.from, p.Bucket), bucketStart(j.to+1, p.Bucket)
	id := IssueID(r.RootCause, product, start)
	if j.to > j.from {
		id = RunIssueID(r.RootCause, product, start, end)
	}
	return Detection{
		IssueID: id, RootCause: r.RootCause, Product: product, WindowStart: start, WindowEnd: end,
		Observed: j.observed, Expected: j.expected, UpperLimit: float64(j.limit),
		Method: p.Method(), ComplaintIDs: j.complaints, DetectedAt: r.At.UTC(),
	}
}

// settle completes the open buckets before open: each enters the baseline
// with its count (a flagged one at no more than the limit it was flagged
// at, so that one burst does not hide the next), the buckets without a
// resolution with a count of zero.
func (t *Tally) settle(open int64, p DetectionPolicy) {
	if t.Baseline.Bucket >= open {
		return
	}
	sp := p.Spike()
	done := make([]int64, 0, len(t.Open))
	for b := range t.Open {
		if b < open {
			done = append(done, b)
		}
	}
	slices.Sort(done)
	for _, b := range done {
		w := t.Open[b]
		delete(t.Open, b)
		if b < t.Baseline.Bucket {
			continue
		}
		t.Baseline = t.Baseline.Advance(b, sp)
		t.Baseline.Count = w.Count
		if w.Flagged {
			t.Baseline.Count = min(w.Count, w.Limit)
		}
	}
	t.Baseline = t.Baseline.Advance(open, sp)
}

func (d *Detector) count(m map[string]map[int64]int64, key string, b, keep int64) {
	byBucket := m[key]
	if byBucket == nil {
		byBucket = map[int64]int64{}
		m[key] = byBucket
	}
	if _, seen := byBucket[b]; !seen {
		for k := range byBucket {
			if k < d.Now-keep {
				delete(byBucket, k)
			}
		}
	}
	byBucket[b]++
}

// Counts are a cause's resolved cases and the complaint volume over a
// window of days received.
type Counts struct {
	Cause  int64
	Volume int64
}

// CountsBetween counts the resolved cases of cause (for product, "" for
// all) and the volume (of product, or all) received in the buckets from the
// one holding from up to, not including, the one holding to.
func (d *Detector) CountsBetween(cause, product string, from, to time.Time, bucket time.Duration) Counts {
	lo, hi := BucketOf(from, bucket), BucketOf(to, bucket)
	var c Counts
	if t := d.Causes[seriesKey(cause, product)]; t != nil {
		for k, n := range t.ByBucket {
			if k >= lo && k < hi {
				c.Cause += n
			}
		}
	}
	for k, n := range d.Volume[product] {
		if k >= lo && k < hi {
			c.Volume += n
		}
	}
	return c
}
