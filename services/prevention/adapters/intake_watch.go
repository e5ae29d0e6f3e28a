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

// IntakeWatchProjection names the early warning's projection and snapshot.
const IntakeWatchProjection = "prevention-intake-watch"

// watchFold is the early warning's projection state: the intake volume
// series and the bursts not yet recorded as systemic issues (both in the
// snapshot, so a burst found before a crash is recorded after it).
type watchFold struct {
	policy  domain.EarlyWarningPolicy
	watch   *domain.IntakeWatch
	mu      sync.Mutex // guards pending, which the writer drains outside Apply
	pending []domain.Detection
	wake    chan struct{}
}

type watchSnapshot struct {
	Watch   *domain.IntakeWatch `json:"watch"`
	Pending []domain.Detection  `json:"pending,omitempty"`
}

func (f *watchFold) MarshalJSON() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(watchSnapshot{Watch: f.watch, Pending: f.pending})
}

func (f *watchFold) UnmarshalJSON(data []byte) error {
	var s watchSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if s.Watch == nil {
		s.Watch = domain.NewIntakeWatch()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watch, f.pending = s.Watch, s.Pending
	return nil
}

func (f *watchFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	r, ok := m.(*complaintsv1.ComplaintReceived)
	if !ok {
		return nil
	}
	at := r.GetReceivedAt().AsTime()
	if r.GetReceivedAt() == nil {
		at = e.Metadata.RecordedAt
	}
	found := f.watch.Observe(domain.Intake{ComplaintID: r.GetComplaintId(), Product: r.GetProduct(), Channel: r.GetChannel(), At: at}, f.policy)
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

// IntakeWatch follows the log's received complaints and records each burst
// of one product's intake volume as a systemic issue, before any of the
// burst's complaints is resolved.
type IntakeWatch struct {
	p      *projection.Projection[*watchFold]
	fold   *watchFold
	record func(context.Context, domain.Detection) error
}

// NewIntakeWatch prepares the early warning, resuming from its snapshot.
func NewIntakeWatch(ctx context.Context, log eventlog.Log, js jetstream.JetStream, p domain.EarlyWarningPolicy) (*IntakeWatch, error) {
	fold := &watchFold{policy: p.OrDefault(), watch: domain.NewIntakeWatch(), wake: make(chan struct{}, 1)}
	proj, err := projection.New(ctx, log, js, fold, projection.Options{
		Name:   IntakeWatchProjection,
		Filter: eventlog.Filter{Categories: []string{"complaint"}, EventTypes: []string{es.TypeOf(&complaintsv1.ComplaintReceived{})}},
	})
	if err != nil {
		return nil, err
	}
	return &IntakeWatch{p: proj, fold: fold}, nil
}

// RecordWith sets how bursts are recorded (idempotently); call it before
// Run.
func (w *IntakeWatch) RecordWith(record func(context.Context, domain.Detection) error) {
	w.record = record
}

// Run follows the log and records bursts until ctx is done.
func (w *IntakeWatch) Run(ctx context.Context) error {
	go w.recordPending(ctx)
	return w.p.Run(ctx)
}

func (w *IntakeWatch) recordPending(ctx context.Context) {
	retry := time.NewTicker(2 * time.Second)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.fold.wake:
		case <-retry.C:
		}
		w.fold.mu.Lock()
		todo := slices.Clone(w.fold.pending)
		w.fold.mu.Unlock()
		for _, det := range todo {
			if w.record == nil {
				return
			}
			if err := w.record(ctx, det); err != nil {
				slog.Warn("intake-volume issue not recorded yet; will retry", "issue_id", det.IssueID, "err", err)
				break
			}
			w.fold.mu.Lock()
			w.fold.pending = slices.DeleteFunc(w.fold.pending, func(p domain.Detection) bool { return p.IssueID == det.IssueID })
			w.fold.mu.Unlock()
		}
	}
}

// Position is the log position of the last received complaint the watch
// counted.
func (w *IntakeWatch) Position() eventlog.Position { return w.p.Position() }

// Pending counts the bursts not yet recorded as systemic issues.
func (w *IntakeWatch) Pending() int {
	w.fold.mu.Lock()
	defer w.fold.mu.Unlock()
	return len(w.fold.pending)
}
