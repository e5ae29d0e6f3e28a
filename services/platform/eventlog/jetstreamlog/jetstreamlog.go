// Package jetstreamlog is the event log on NATS JetStream: the default, which
// runs on the server embedded in the process as well as on a remote one.
//
// The whole log is one JetStream stream (natswire.StreamName) on file storage.
// Each event stream "<category>-<id>" is one subject
// "complaints.events.<category>.<id>". An event's revision and its global
// position are both its stream sequence, so a stream's revision is the
// sequence of its last event and the expected-revision check is JetStream's
// Nats-Expected-Last-Subject-Sequence.
//
// Durability and throughput: the server is expected to run with sync_always,
// so every acknowledged append is on disk. To keep one fsync from costing
// every writer, appends that arrive while a publish is in flight are coalesced
// into one atomic batch (Nats-Batch-Id / Nats-Batch-Sequence /
// Nats-Batch-Commit), which the server writes and flushes once. The batch is
// all or nothing: if any append in it fails its check, nothing of it is
// written and each append is published again on its own, so one writer's
// conflict never fails another's append.
//
// Idempotency: on a single server the expected-sequence check runs before
// de-duplication, so an append retried after its acknowledgement was lost is
// refused as a conflict. The adapter then reads the stream right after the
// expected revision: if it holds the same event ids, the retry is answered
// with the original result. Appends with expectation Any are de-duplicated by
// JetStream on the event id (Nats-Msg-Id) within natswire.DuplicateWindow.
package jetstreamlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Options tune the adapter. The zero value is the production setting.
type Options struct {
	// MaxBatch caps the events of one coalesced batch (default 256; the
	// server allows 1000).
	MaxBatch int
	// Writers is how many batches may be in flight at once (default 1).
	// One is fastest on a single server: each atomic batch is staged in a
	// store of its own and committed under the stream's lock, so concurrent
	// batches only queue there, while one writer lets the next batch grow
	// while the current one is committed (see BenchmarkAppend).
	Writers int
	// Timeout bounds one publish when the caller's context has no deadline
	// (default 10s).
	Timeout time.Duration
	// NoCoalescing publishes every append on its own. Benchmarks use it to
	// show what coalescing buys.
	NoCoalescing bool
}

// Log is the JetStream event log.
type Log struct {
	opts Options
	// nc stages the messages of a batch and makes the batched direct gets
	// of a read, which the jetstream package has no call for.
	nc *nats.Conn
	// pub publishes a single event and commits a batch.
	pub jetstream.Publisher
	// stream answers the last revision of a stream and makes the ordered
	// consumers of subscriptions.
	stream jetstream.Stream
	queue  chan *appendRequest
	quit   chan struct{}
	// closing guards closed: an append enqueues under its read lock, and
	// Close sets closed under its write lock before the writers stop, so no
	// append can enqueue once the queue is drained.
	closing sync.RWMutex
	closed  bool
	wg      sync.WaitGroup
	once    sync.Once
	subs    eventlog.Subscriptions
	stats   struct{ batches, batchedAppends, fallbacks atomic.Uint64 }
	metrics metrics
}

// Stats counts how appends were published since New.
type Stats struct {
	// Batches is the number of coalesced batches committed, holding
	// BatchedAppends appends between them.
	Batches, BatchedAppends uint64
	// Fallbacks is the number of coalesced batches refused as a whole and
	// published again append by append.
	Fallbacks uint64
}

// Stats returns the publishing counters.
func (l *Log) Stats() Stats {
	return Stats{Batches: l.stats.batches.Load(), BatchedAppends: l.stats.batchedAppends.Load(), Fallbacks: l.stats.fallbacks.Load()}
}

var _ eventlog.Log = (*Log)(nil)

// ErrClosed is returned by an append made after Close.
var ErrClosed = errors.New("jetstreamlog: closed")

// New creates the stream if needed and starts the writers. The connection
// stays the caller's: Close does not close it.
func New(ctx context.Context, nc *nats.Conn, o Options) (*Log, error) {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.MaxBatch > 1000 {
		o.MaxBatch = 1000
	}
	if o.Writers <= 0 {
		o.Writers = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	st, err := natswire.OpenStream(ctx, js)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics()
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: metrics: %w", err)
	}
	l := &Log{opts: o, nc: nc, pub: js, stream: st, queue: make(chan *appendRequest, 4096), quit: make(chan struct{}), metrics: m}
	for range o.Writers {
		l.wg.Add(1)
		go l.write()
	}
	return l, nil
}

// Close stops the running subscriptions (waiting for their handlers) and
// the writers; appends still queued, and every append or subscription made
// after, fail with ErrClosed.
func (l *Log) Close() error {
	l.once.Do(func() {
		l.subs.Close()
		l.closing.Lock()
		l.closed = true
		l.closing.Unlock()
		close(l.quit)
		l.wg.Wait()
		for {
			select {
			case r := <-l.queue:
				r.finish(eventlog.AppendResult{}, ErrClosed)
			default:
				return
			}
		}
	})
	return nil
}

// metrics of appends: how long each takes, by outcome (ok, conflict, error),
// and how many appends each committed batch holds.
type metrics struct {
	appendDuration metric.Float64Histogram
	batchAppends   metric.Int64Histogram
}

// newMetrics makes the instruments on the meter provider in place when the
// log is opened.
func newMetrics() (m metrics, err error) {
	meter := otel.GetMeterProvider().Meter("github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog")
	m.appendDuration, err = meter.Float64Histogram("complaints.eventlog.append.duration",
		metric.WithUnit("s"), metric.WithDescription("Time from an append's call to its acknowledgement, fsync included"))
	if err != nil {
		return m, err
	}
	m.batchAppends, err = meter.Int64Histogram("complaints.eventlog.batch.appends",
		metric.WithUnit("{append}"), metric.WithDescription("Appends coalesced into one committed atomic batch"),
		metric.WithExplicitBucketBoundaries(1, 2, 4, 8, 16, 32, 64, 128, 256))
	return m, err
}
