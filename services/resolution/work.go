package resolution

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// Durable consumers of the case work (see natsauth.Services).
const (
	DurableReopens   = "resolution-reopens-cases"
	DurableBreaches  = "resolution-escalates-breaches"
	DurableQueues    = "resolution-queues"
	queueSnapshotKey = "resolution.queues"
)

// startCaseWork starts what agents and customers work cases with: the
// reopen on a "not resolved" survey answer, the escalation on a breached
// clock, the queue projection and the request/reply API on NATS.
func (s *service) startCaseWork(ctx context.Context) error {
	if err := s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable: DurableReopens, Categories: []string{"followup"}, EventTypes: []string{adapters.SurveyAnsweredType},
	}, adapters.OnSurveyAnswered(s.app)); err != nil {
		return err
	}
	if err := s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable: DurableBreaches, Categories: []string{"clock"}, EventTypes: []string{adapters.ClockBreachedType},
	}, adapters.OnClockBreached(s.app)); err != nil {
		return err
	}
	if err := s.startQueues(ctx); err != nil {
		return err
	}
	svc, err := adapters.NATS{App: s.app, Verifier: s.deps.Verifier}.Serve(s.deps.Requests)
	if err != nil {
		return err
	}
	s.deps.Go(func() { <-ctx.Done(); _ = svc.Stop() })
	return nil
}

// startQueues restores the queue projection's snapshot, keeps it up to date
// with a durable consumer and saves it every Config.QueueSnapshotEvery and at stop
// (ADR 0024).
func (s *service) startQueues(ctx context.Context) error {
	q := s.app.Queues()
	kv, err := s.deps.JetStream.KeyValue(ctx, natsauth.CheckpointBucket)
	if err != nil {
		return err
	}
	entry, err := kv.Get(ctx, queueSnapshotKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return err
	default:
		zr, err := gzip.NewReader(bytes.NewReader(entry.Value()))
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		if err := q.Restore(raw); err != nil {
			return err
		}
	}
	if err := s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable: DurableQueues, Categories: app.QueueCategories, EventTypes: app.QueueEventTypes,
	}, adapters.OnQueueEvent(s.app)); err != nil {
		return err
	}
	save := func(ctx context.Context) {
		raw, dirty, err := q.Snapshot()
		if err != nil || !dirty {
			return
		}
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		if _, err := kv.Put(ctx, queueSnapshotKey, b.Bytes()); err != nil && s.deps.Logger != nil {
			s.deps.Logger.Warn("queue snapshot not saved", "err", err)
		}
	}
	s.deps.Go(func() {
		t := time.NewTicker(s.queueSnapshotEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				save(stop)
				cancel()
				return
			case <-t.C:
				save(ctx)
			}
		}
	})
	return nil
}
