package resolution

import (
	"context"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// Durable is resolution's one consumer of the lifecycle (declared in
// Declaration): every reaction of the case work and the clocks run on
// it, so each event is delivered, acknowledged and its place written once
// (ADR 0049).
const Durable = "resolution-lifecycle"

// Replaced are the durables Durable took the place of, one per reaction: it
// starts where the slowest of them stood (bus.Subscription.Replaces). An
// operator deletes them once it runs.
var Replaced = []string{"resolution-opens-cases", "resolution-clocks", "resolution-reopens-cases",
	"resolution-escalates-breaches", "resolution-queues"}

// Categories are the streams Durable reads: the complaint's (opening,
// acknowledgement), the case's (the clocks met by a resolution), the
// clocks' (breaches) and follow-up's (survey answers, closure).
var Categories = []string{"complaint", "case", "clock", "followup"}

// Workers handle the events of different complaints at once on Durable;
// one complaint's events are handled in order by one of them. Each mostly
// waits for its appends to be stored, so there are many: with 32, 64
// complaints in flight queued behind each other and the lifecycle ran at
// 0.8 times the five durables' rate; with 128, 1.1 to 1.6 times (make
// bench-compare, ADR 0049).
const Workers = 128

// QueueProjection names the queue projection and its snapshot in the
// projections bucket. Every instance of resolution folds the whole log into
// its own queue, so each answers the same (ADR 0024, ADR 0042).
const QueueProjection = "resolution-queue"

// startCaseWork starts the request/reply API on NATS.
func (s *service) startCaseWork(ctx context.Context) error {
	svc, err := adapters.NATS{App: s.app, Verifier: s.deps.Verifier, Meter: s.deps.Meter}.Serve(s.deps.Requests)
	if err != nil {
		return err
	}
	s.deps.Go(func() { <-ctx.Done(); _ = svc.Stop() })
	return nil
}

// startQueues keeps the queue projection: restored from its snapshot, then
// following the log with an ordered consumer of this instance's own, saved
// every Config.QueueSnapshotEvery.
func (s *service) startQueues(ctx context.Context) error {
	p, err := projection.New(ctx, s.deps.Log, s.deps.JetStream, &queueFold{app: s.app}, projection.Options{
		Name: QueueProjection, SnapshotInterval: s.queueSnapshotEvery,
		Filter: eventlog.Filter{Categories: app.QueueCategories, EventTypes: app.QueueEventTypes},
	})
	if err != nil {
		return err
	}
	s.deps.Go(func() { _ = p.Run(ctx) })
	return nil
}

// queueFold is the queue projection's state: the application's queues,
// folded by the application, which reads a reopened case's streams to bring
// back the row a resolution dropped (app.Resolution.OnQueueEvent).
type queueFold struct{ app *app.Resolution }

func (f *queueFold) Apply(e eventlog.RecordedEvent) error {
	return f.app.OnQueueEvent(context.Background(), e)
}

func (f *queueFold) MarshalJSON() ([]byte, error) { return f.app.Queues().MarshalJSON() }

func (f *queueFold) UnmarshalJSON(data []byte) error { return f.app.Queues().UnmarshalJSON(data) }
