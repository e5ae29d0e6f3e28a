package adapters

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// DetectorProjection names the spike detector's projection and snapshot.
const DetectorProjection = "prevention-spike-detector"

// detectorFold is the detector's projection state: the bucketed counts and
// baselines, and the detections not yet recorded as systemic issues. Its
// JSON (the snapshot) holds both, so a detection found before a crash is
// recorded after it.
type detectorFold struct {
	policy   domain.DetectionPolicy
	detector *domain.Detector
	mu       sync.Mutex // guards pending, which the writer drains outside Apply
	pending  []domain.Detection
	wake     chan struct{}
}

type detectorSnapshot struct {
	Detector *domain.Detector   `json:"detector"`
	Pending  []domain.Detection `json:"pending,omitempty"`
}

func (f *detectorFold) MarshalJSON() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(detectorSnapshot{Detector: f.detector, Pending: f.pending})
}

func (f *detectorFold) UnmarshalJSON(data []byte) error {
	var s detectorSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if s.Detector == nil {
		s.Detector = domain.NewDetector()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.detector, f.pending = s.Detector, s.Pending
	return nil
}

func (f *detectorFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	r, ok := m.(*complaintsv1.CaseResolved)
	if !ok {
		return nil
	}
	at := r.GetResolvedAt().AsTime()
	if r.GetResolvedAt() == nil {
		at = e.Metadata.RecordedAt
	}
	found := f.detector.Observe(domain.Resolution{ComplaintID: r.GetComplaintId(), RootCause: r.GetRootCause(), Product: r.GetProduct(), At: at}, f.policy)
	if len(found) == 0 {
		return nil
	}
	f.mu.Lock()
	f.pending = append(f.pending, found...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

// Detector follows the log's resolutions into per-cause and per product and
// cause counts, and records each spike it finds as a systemic issue. It is
// the app's RecurrenceCounts.
type Detector struct {
	p      *projection.Projection[*detectorFold]
	fold   *detectorFold
	record func(context.Context, domain.Detection) error
}

// NewDetector prepares the detector, resuming from its snapshot when there is
// one. record appends a detection (idempotently: the same detection may be
// recorded again after a crash).
func NewDetector(ctx context.Context, log eventlog.Log, js jetstream.JetStream, p domain.DetectionPolicy) (*Detector, error) {
	fold := &detectorFold{policy: p, detector: domain.NewDetector(), wake: make(chan struct{}, 1)}
	proj, err := projection.New(ctx, log, js, fold, projection.Options{
		Name:   DetectorProjection,
		Filter: eventlog.Filter{Categories: []string{"case"}, EventTypes: []string{es.TypeOf(&complaintsv1.CaseResolved{})}},
	})
	if err != nil {
		return nil, err
	}
	return &Detector{p: proj, fold: fold}, nil
}

// RecordWith sets how detections are recorded; call it before Run.
func (d *Detector) RecordWith(record func(context.Context, domain.Detection) error) {
	d.record = record
}

// Run follows the log and records detections until ctx is done.
func (d *Detector) Run(ctx context.Context) error {
	go d.recordPending(ctx)
	return d.p.Run(ctx)
}

// recordPending records the pending detections as they come, and retries
// those that failed every few seconds.
func (d *Detector) recordPending(ctx context.Context) {
	retry := time.NewTicker(2 * time.Second)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.fold.wake:
		case <-retry.C:
		}
		d.fold.mu.Lock()
		todo := slices.Clone(d.fold.pending)
		d.fold.mu.Unlock()
		for _, det := range todo {
			if d.record == nil {
				return
			}
			if err := d.record(ctx, det); err != nil {
				slog.Warn("systemic issue not recorded yet; will retry", "issue_id", det.IssueID, "err", err)
				break
			}
			d.fold.mu.Lock()
			d.fold.pending = slices.DeleteFunc(d.fold.pending, func(p domain.Detection) bool { return p.IssueID == det.IssueID })
			d.fold.mu.Unlock()
		}
	}
}

// Position is the log position of the last resolution the detector
// counted.
func (d *Detector) Position() eventlog.Position { return d.p.Position() }

// Pending counts the detections not yet recorded as systemic issues.
func (d *Detector) Pending() int {
	d.fold.mu.Lock()
	defer d.fold.mu.Unlock()
	return len(d.fold.pending)
}

// CountsBetween implements app.RecurrenceCounts.
func (d *Detector) CountsBetween(cause, product string, from, to time.Time) (c domain.Counts) {
	d.p.Read(func(f *detectorFold, _ eventlog.Position) {
		c = f.detector.CountsBetween(cause, product, from, to, f.policy.Bucket)
	})
	return c
}
