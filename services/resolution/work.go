package resolution

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
)

// Durable is resolution's one consumer of the lifecycle (see
// natsauth.Services): every reaction of the case work, the clocks and the
// queue projection run on it, so each event is delivered, acknowledged and
// its place written once (ADR 0043).
const Durable = "resolution-lifecycle"

// Replaced are the durables Durable took the place of, one per reaction: it
// starts where the slowest of them stood (bus.Subscription.Replaces). An
// operator deletes them once it runs.
var Replaced = []string{"resolution-opens-cases", "resolution-clocks", "resolution-reopens-cases",
	"resolution-escalates-breaches", "resolution-queues"}

// Categories are the streams Durable reads: the complaint's (opening,
// acknowledgement), the case's, the clocks' (breaches, the queue's due
// dates) and follow-up's (survey answers, closure).
var Categories = []string{"complaint", "case", "clock", "followup"}

// Workers handle the events of different complaints at once on Durable;
// one complaint's events are handled in order by one of them. Each mostly
// waits for its appends to be stored, so there are many: with 32, 64
// complaints in flight queued behind each other and the lifecycle ran at
// 0.8 times the five durables' rate; with 128, 1.1 to 1.6 times (make
// bench-compare, ADR 0049).
const Workers = 128

const queueSnapshotKey = "resolution.queues"

// startCaseWork starts the queue's snapshots and the request/reply API on
// NATS.
func (s *service) startCaseWork(ctx context.Context) error {
	s.saveQueues(ctx)
	svc, err := adapters.NATS{App: s.app, Verifier: s.deps.Verifier}.Serve(s.deps.Requests)
	if err != nil {
		return err
	}
	s.deps.Go(func() { <-ctx.Done(); _ = svc.Stop() })
	return nil
}

// restoreQueues restores the queue projection's snapshot; Durable keeps it
// up to date (ADR 0024).
func (s *service) restoreQueues(ctx context.Context) error {
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
	return nil
}

// saveQueues saves the queue projection every Config.QueueSnapshotEvery and
// at stop.
func (s *service) saveQueues(ctx context.Context) {
	q := s.app.Queues()
	kv, err := s.deps.JetStream.KeyValue(ctx, natsauth.CheckpointBucket)
	if err != nil {
		if s.deps.Logger != nil {
			s.deps.Logger.Warn("queue snapshots not saved", "err", err)
		}
		return
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
}
