// Package jetstreamlog is the event log on NATS JetStream: the default, which
// runs on the server embedded in the process as well as on a remote one.
//
// The whole log is one JetStream stream (natswire.StreamName) on file storage.
// Each event stream "<category>-<id>" is one subject
// "complaints.events.<category>.<id>". An event's revision and its global
// position are the same number: the stream sequence of the message that
// holds it times natswire.PositionsPerMessage, plus its index in the
// message. The expected-revision check is JetStream's
// Nats-Expected-Last-Subject-Sequence on the message of the expected
// revision.
//
// Durability and throughput: the server is expected to run with sync_always,
// so every acknowledged append is on disk. An append is one JetStream
// message however many events it holds (one event as a plain event message,
// several as an envelope: natswire.AppendMessage), so it is atomic by
// itself and costs one write and one fsync. Appends are published as they
// come, many in flight at once on one connection, and the stream writes them
// back to back.
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
	// Timeout bounds one publish when the caller's context has no deadline
	// (default 10s).
	Timeout time.Duration
	// Meter makes the adapter's instruments; nil means the global provider.
	Meter metric.MeterProvider
}

// Log is the JetStream event log.
type Log struct {
	opts Options
	// nc makes the batched direct gets of a read, which the jetstream
	// package has no call for.
	nc *nats.Conn
	// pub publishes the appends.
	pub jetstream.Publisher
	// stream answers the last revision of a stream and makes the ordered
	// consumers of subscriptions.
	stream jetstream.Stream
	// closing guards closed: an append counts itself in inflight under its
	// read lock, and Close sets closed under its write lock, then waits for
	// inflight, so no append is still publishing once Close returns.
	closing  sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	once     sync.Once
	subs     eventlog.Subscriptions
	metrics  metrics
	// written is what this process appended, for reading its own writes.
	written written
	// replicated: the stream has replicas, any of which answers a read.
	replicated bool
}

var _ eventlog.Log = (*Log)(nil)

// ErrClosed is returned by an append made after Close.
var ErrClosed = errors.New("jetstreamlog: closed")

// New opens the provisioned stream. The connection stays the caller's:
// Close does not close it.
func New(ctx context.Context, nc *nats.Conn, o Options) (*Log, error) {
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
	m, err := newMetrics(o.Meter)
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: metrics: %w", err)
	}
	replicated := st.CachedInfo() != nil && st.CachedInfo().Config.Replicas > 1
	return &Log{opts: o, nc: nc, pub: js, stream: st, metrics: m, replicated: replicated}, nil
}

// Close stops the running subscriptions (waiting for their handlers) and
// waits for the appends in flight; every append or subscription made after
// fails with ErrClosed.
func (l *Log) Close() error {
	l.once.Do(func() {
		l.subs.Close()
		l.closing.Lock()
		l.closed = true
		l.closing.Unlock()
		l.inflight.Wait()
	})
	return nil
}

// metrics of appends: how long each takes, by outcome (ok, conflict, error),
// and how many events each holds.
type metrics struct {
	appendDuration metric.Float64Histogram
	appendEvents   metric.Int64Histogram
}

// newMetrics makes the instruments on mp (the global provider when nil).
func newMetrics(mp metric.MeterProvider) (m metrics, err error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter("github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog")
	m.appendDuration, err = meter.Float64Histogram("complaints.eventlog.append.duration",
		metric.WithUnit("s"), metric.WithDescription("Time from an append's call to its acknowledgement, fsync included"))
	if err != nil {
		return m, err
	}
	m.appendEvents, err = meter.Int64Histogram("complaints.eventlog.append.events",
		metric.WithUnit("{event}"), metric.WithDescription("Events of one append, written as one message"),
		metric.WithExplicitBucketBoundaries(1, 2, 3, 4, 8, 16, 64, 256, 1000))
	return m, err
}
