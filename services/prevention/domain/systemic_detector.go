package domain

import (
	"crypto/sha256"
	"encoding/hex"
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
	At          time.Time
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

// Tally is one series of the detector: its spike baseline, the complaints of
// the bucket in progress (until it is flagged) and its counts per bucket
// (kept for Retention).
type Tally struct {
	Series   stats.Series    `json:"series"`
	Current  []string        `json:"current,omitempty"`
	ByBucket map[int64]int64 `json:"by_bucket"`
}

// Detector counts resolutions per cause and per product and cause in
// buckets, and finds the buckets whose count reaches the control limit
// (ADR 0032). Its JSON form is its snapshot. Bucket indexes count bucket
// lengths from the Unix epoch.
type Detector struct {
	// Origin is the first bucket the detector saw: every series has a count
	// of zero from there until its first complaint.
	Origin  int64 `json:"origin"`
	Started bool  `json:"started"`
	// Causes are keyed by cause ("billing.late-fee") and by product and
	// cause ("broadband|billing.late-fee").
	Causes map[string]*Tally `json:"causes"`
	// Volume counts every resolution per bucket, keyed "" for all products
	// and by product: the complaint volume that normalises evaluations.
	Volume map[string]map[int64]int64 `json:"volume"`
}

// NewDetector is the detector before any resolution.
func NewDetector() *Detector {
	return &Detector{Causes: map[string]*Tally{}, Volume: map[string]map[int64]int64{}}
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

// Observe counts one resolution and returns the spikes it completes: at most
// one for its cause and one for its product and cause. A resolution recorded
// after its series moved on to a later bucket counts in the bucket in
// progress for detection and in its own bucket for evaluations.
func (d *Detector) Observe(r Resolution, p DetectionPolicy) []Detection {
	if r.RootCause == "" {
		return nil
	}
	b := BucketOf(r.At, p.Bucket)
	if !d.Started || b < d.Origin {
		d.Origin, d.Started = b, true
	}
	keep := int64(p.Retention / p.Bucket)
	d.count(d.Volume, "", b, keep)
	if r.Product != "" {
		d.count(d.Volume, r.Product, b, keep)
	}
	products := []string{""}
	if r.Product != "" {
		products = append(products, r.Product)
	}
	var out []Detection
	for _, product := range products {
		key := seriesKey(r.RootCause, product)
		t := d.Causes[key]
		if t == nil {
			t = &Tally{Series: stats.NewSeries(d.Origin, p.Spike()), ByBucket: map[int64]int64{}}
			d.Causes[key] = t
		}
		if b > t.Series.Bucket {
			t.Series = t.Series.Advance(b, p.Spike())
			t.Current = nil
			for k := range t.ByBucket {
				if k < b-keep {
					delete(t.ByBucket, k)
				}
			}
		}
		t.ByBucket[b]++
		if !t.Series.Flagged {
			t.Current = append(t.Current, r.ComplaintID)
		}
		var spike *stats.Spike
		t.Series, spike = t.Series.Add(1, p.Spike())
		if spike == nil {
			continue
		}
		start := bucketStart(spike.Bucket, p.Bucket)
		out = append(out, Detection{
			IssueID: IssueID(r.RootCause, product, start), RootCause: r.RootCause, Product: product,
			WindowStart: start, WindowEnd: start.Add(p.Bucket),
			Observed: spike.Observed, Expected: spike.Expected, UpperLimit: float64(spike.Limit),
			Method: p.Spike().Method(), ComplaintIDs: slices.Clone(t.Current), DetectedAt: r.At.UTC(),
		})
	}
	return out
}

func (d *Detector) count(m map[string]map[int64]int64, key string, b, keep int64) {
	byBucket := m[key]
	if byBucket == nil {
		byBucket = map[int64]int64{}
		m[key] = byBucket
	}
	if _, seen := byBucket[b]; !seen {
		for k := range byBucket {
			if k < b-keep {
				delete(byBucket, k)
			}
		}
	}
	byBucket[b]++
}

// Counts are a cause's resolutions and the complaint volume over a window.
type Counts struct {
	Cause  int64
	Volume int64
}

// CountsBetween counts the resolutions of cause (for product, "" for all)
// and the volume (of product, or all) in the buckets from the one holding
// from up to, not including, the one holding to.
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
