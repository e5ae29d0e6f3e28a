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
	// recordFrom: detections of resolutions before it are not recorded.
	// Set when a snapshot of an older version of the counts is rebuilt:
	// the spikes of the past were judged then, by the counts of then.
	recordFrom time.Time
	// stale: the snapshot held counts of an older version; they are
	// dropped and the log folded again.
	stale bool
}

type detectorSnapshot struct {
	Detector   *domain.Detector   `json:"detector"`
	Pending    []domain.Detection `json:"pending,omitempty"`
	RecordFrom time.Time          `json:"record_from,omitzero"`
}

func (f *detectorFold) MarshalJSON() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(detectorSnapshot{Detector: f.detector, Pending: f.pending, RecordFrom: f.recordFrom})
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
	f.detector, f.pending, f.recordFrom = s.Detector, s.Pending, s.RecordFrom
	if f.detector.Version != domain.DetectorVersion {
		// Counts by another rule (ADR 0050): fold the log again.
		f.detector, f.stale = domain.NewDetector(), true
	}
	return nil
}

func (f *detectorFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	var found []domain.Detection
	switch ev := m.(type) {
	case *complaintsv1.CaseOpened:
		at := e.Metadata.RecordedAt
		if ev.GetOpenedAt() != nil {
			at = ev.GetOpenedAt().AsTime()
		}
		f.detector.Receive(ev.GetComplaintId(), at, f.policy)
		return nil
	case *complaintsv1.CaseResolved:
		at := e.Metadata.RecordedAt
		if ev.GetResolvedAt() != nil {
			at = ev.GetResolvedAt().AsTime()
		}
		found = f.detector.Observe(domain.Resolution{ComplaintID: ev.GetComplaintId(), RootCause: ev.GetRootCause(), Product: ev.GetProduct(),
			At: at, Nth: ev.GetResolution()}, f.policy)
	}
	found = slices.DeleteFunc(found, func(d domain.Detection) bool { return d.DetectedAt.Before(f.recordFrom) })
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
	mu     sync.Mutex // guards fold, replaced by a rebuild
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
		Filter: eventlog.Filter{Categories: []string{"case"}, EventTypes: []string{es.TypeOf(&complaintsv1.CaseOpened{}), es.TypeOf(&complaintsv1.CaseResolved{})}},
	})
	if err != nil {
		return nil, err
	}
	return &Detector{p: proj, fold: fold}, nil
}

// rebuildStale folds the log again when the snapshot held counts of an
// older version; the spikes it finds before now are not recorded again.
func (d *Detector) rebuildStale(ctx context.Context) {
	old := d.current()
	if !old.stale {
		return
	}
	fresh := &detectorFold{policy: old.policy, detector: domain.NewDetector(), wake: old.wake, recordFrom: time.Now().UTC()}
	old.mu.Lock()
	fresh.pending = slices.Clone(old.pending)
	old.mu.Unlock()
	slog.Info("spike detector: snapshot of an older version of the counts; folding the log again", "projection", DetectorProjection)
	if err := d.p.Rebuild(ctx, fresh); err != nil {
		slog.Error("spike detector: rebuild failed", "err", err)
		return
	}
	d.mu.Lock()
	d.fold = fresh
	d.mu.Unlock()
}

// RecordWith sets how detections are recorded; call it before Run.
func (d *Detector) RecordWith(record func(context.Context, domain.Detection) error) {
	d.record = record
}

// Run follows the log and records detections until ctx is done.
func (d *Detector) Run(ctx context.Context) error {
	go d.recordPending(ctx)
	go d.rebuildStale(ctx)
	return d.p.Run(ctx)
}

// recordPending records the pending detections as they come, and retries
// those that failed every few seconds.
func (d *Detector) recordPending(ctx context.Context) {
	retry := time.NewTicker(2 * time.Second)
	defer retry.Stop()
	wake := d.current().wake // shared by the fold a rebuild puts in place
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-retry.C:
		}
		f := d.current()
		f.mu.Lock()
		todo := slices.Clone(f.pending)
		f.mu.Unlock()
		for _, det := range todo {
			if d.record == nil {
				return
			}
			if err := d.record(ctx, det); err != nil {
				slog.Warn("systemic issue not recorded yet; will retry", "issue_id", det.IssueID, "err", err)
				break
			}
			f.mu.Lock()
			f.pending = slices.DeleteFunc(f.pending, func(p domain.Detection) bool { return p.IssueID == det.IssueID })
			f.mu.Unlock()
		}
	}
}

// Position is the log position of the last resolution the detector
// counted.
func (d *Detector) Position() eventlog.Position { return d.p.Position() }

// Pending counts the detections not yet recorded as systemic issues.
func (d *Detector) Pending() int {
	f := d.current()
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// current is the fold the projection folds into: the one it started with,
// or the one a rebuild put in its place.
func (d *Detector) current() *detectorFold {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fold
}

// CountsBetween implements app.RecurrenceCounts.
func (d *Detector) CountsBetween(cause, product string, from, to time.Time) (c domain.Counts) {
	d.p.Read(func(f *detectorFold, _ eventlog.Position) {
		c = f.detector.CountsBetween(cause, product, from, to, f.policy.Bucket)
	})
	return c
}
