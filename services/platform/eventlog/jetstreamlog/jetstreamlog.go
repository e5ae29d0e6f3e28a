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
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
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
	opts   Options
	nc     *nats.Conn
	js     jetstream.JetStream
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
	st, err := natswire.EnsureStream(ctx, js)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics()
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: metrics: %w", err)
	}
	l := &Log{opts: o, nc: nc, js: js, stream: st, queue: make(chan *appendRequest, 4096), quit: make(chan struct{}), metrics: m}
	for range o.Writers {
		l.wg.Add(1)
		go l.write()
	}
	return l, nil
}

// Close stops the writers; appends still queued, and every append made
// after, fail with ErrClosed.
func (l *Log) Close() error {
	l.once.Do(func() {
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

// appendRequest is one Append waiting for a writer.
type appendRequest struct {
	ctx      context.Context
	stream   string
	subject  string
	expected eventlog.ExpectedRevision
	events   []eventlog.EventData
	msgs     []*nats.Msg
	done     chan appendOutcome
}

type appendOutcome struct {
	result eventlog.AppendResult
	err    error
}

func (r *appendRequest) finish(res eventlog.AppendResult, err error) {
	r.done <- appendOutcome{res, err}
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

// Append implements eventlog.Log.
func (l *Log) Append(ctx context.Context, stream string, expected eventlog.ExpectedRevision, events ...eventlog.EventData) (eventlog.AppendResult, error) {
	started := time.Now()
	res, err := l.append(ctx, stream, expected, events)
	outcome := "ok"
	switch {
	case eventlog.IsWrongExpectedVersion(err):
		outcome = "conflict"
	case err != nil:
		outcome = "error"
	}
	l.metrics.appendDuration.Record(context.WithoutCancel(ctx), time.Since(started).Seconds(),
		metric.WithAttributes(attribute.String("outcome", outcome)))
	return res, err
}

func (l *Log) append(ctx context.Context, stream string, expected eventlog.ExpectedRevision, events []eventlog.EventData) (eventlog.AppendResult, error) {
	subject, err := natswire.Subject(stream)
	if err != nil {
		return eventlog.AppendResult{}, err
	}
	if len(events) == 0 {
		return eventlog.AppendResult{}, errors.New("jetstreamlog: append of no event")
	}
	if len(events) > l.opts.MaxBatch {
		return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: append of %d events, at most %d", len(events), l.opts.MaxBatch)
	}
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if e.ID == "" || e.Type == "" {
			return eventlog.AppendResult{}, errors.New("jetstreamlog: event id and type are required")
		}
		if seen[e.ID] {
			return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: event id %s appears twice in one append", e.ID)
		}
		seen[e.ID] = true
	}
	if expected.IsStreamExists() {
		// JetStream has no "subject exists" check: pin the expectation to the
		// stream's current revision, which is what exists means at this moment.
		last, ok, err := l.lastSequence(ctx, subject)
		if err != nil {
			return eventlog.AppendResult{}, err
		}
		if !ok {
			return eventlog.AppendResult{}, &eventlog.WrongExpectedVersionError{Stream: stream, Expected: expected}
		}
		expected = eventlog.Exact(eventlog.Revision(last))
	}
	r := &appendRequest{ctx: ctx, stream: stream, subject: subject, expected: expected, events: events, done: make(chan appendOutcome, 1)}
	for _, e := range events {
		m, err := natswire.Message(stream, e)
		if err != nil {
			return eventlog.AppendResult{}, err
		}
		r.msgs = append(r.msgs, m)
	}
	if err := l.enqueue(ctx, r); err != nil {
		return eventlog.AppendResult{}, err
	}
	select {
	case out := <-r.done:
		return out.result, out.err
	case <-ctx.Done():
		// The writer may still publish it; a retry with the same event ids is
		// recognised and answered with the original result.
		return eventlog.AppendResult{}, ctx.Err()
	}
}

// enqueue hands r to the writers, unless the log is closed. While it waits
// for room in the queue, Close waits too; the writers, still running, make
// the room.
func (l *Log) enqueue(ctx context.Context, r *appendRequest) error {
	l.closing.RLock()
	defer l.closing.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.queue <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write is one writer: it takes the next append and every append already
// waiting behind it, up to MaxBatch events, and publishes them as one batch.
func (l *Log) write() {
	defer l.wg.Done()
	for {
		var first *appendRequest
		select {
		case first = <-l.queue:
		case <-l.quit:
			return
		}
		group := []*appendRequest{first}
		n := len(first.msgs)
	gather:
		for !l.opts.NoCoalescing && n < l.opts.MaxBatch {
			select {
			case r := <-l.queue:
				if n+len(r.msgs) > l.opts.MaxBatch {
					l.publishGroup(group)
					group, n = nil, 0
				}
				group = append(group, r)
				n += len(r.msgs)
			default:
				break gather
			}
		}
		l.publishGroup(group)
	}
}

// publishGroup publishes a group of appends as one atomic batch, or each on
// its own when the batch is refused.
func (l *Log) publishGroup(group []*appendRequest) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.finish(eventlog.AppendResult{}, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		r := live[0]
		res, err := l.publishOne(r)
		r.finish(res, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	defer cancel()
	var msgs []*nats.Msg
	for _, r := range live {
		for i, m := range r.msgs {
			setExpectation(m, r.expected, i == 0)
			msgs = append(msgs, m)
		}
	}
	ack, err := l.publishBatch(ctx, msgs)
	if err == nil {
		l.stats.batches.Add(1)
		l.stats.batchedAppends.Add(uint64(len(live)))
		l.metrics.batchAppends.Record(ctx, int64(len(live)))
		// A committed batch is contiguous in the stream: its last message has
		// ack.Sequence, so the i-th of n messages has ack.Sequence-n+1+i.
		seq := ack.Sequence - uint64(len(msgs))
		for _, r := range live {
			seq += uint64(len(r.msgs))
			r.finish(eventlog.AppendResult{NextRevision: eventlog.Revision(seq), Position: eventlog.Position(seq)}, nil)
		}
		return
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		// The batch's fate is unknown (timeout, connection lost): report it;
		// each caller's retry with the same event ids is safe.
		for _, r := range live {
			r.finish(eventlog.AppendResult{}, err)
		}
		return
	}
	// The server refused the batch as a whole, so nothing of it was written:
	// publish each append on its own, so only the one at fault fails.
	l.stats.fallbacks.Add(1)
	for _, r := range live {
		res, err := l.publishOne(r)
		r.finish(res, err)
	}
}

// publishOne publishes one append: a plain publish for one event, an atomic
// batch of its own for several.
func (l *Log) publishOne(r *appendRequest) (eventlog.AppendResult, error) {
	ctx, cancel := l.publishContext(r.ctx)
	defer cancel()
	for i, m := range r.msgs {
		setExpectation(m, r.expected, i == 0)
	}
	var (
		ack *jetstream.PubAck
		err error
	)
	if len(r.msgs) == 1 {
		natswire.ClearBatch(r.msgs[0])
		ack, err = l.publish(ctx, r.msgs[0])
	} else {
		ack, err = l.publishBatch(ctx, r.msgs)
	}
	if err == nil {
		if ack.Duplicate {
			// Same event id already in the log (an Any append retried):
			// answer with where it was first written.
			return l.recoverRetry(ctx, r, 0)
		}
		return eventlog.AppendResult{NextRevision: eventlog.Revision(ack.Sequence), Position: eventlog.Position(ack.Sequence)}, nil
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return eventlog.AppendResult{}, err
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
		after := uint64(0)
		if rev, ok := r.expected.ExactRevision(); ok {
			after = uint64(rev)
		}
		res, rerr := l.recoverRetry(ctx, r, after)
		if rerr == nil {
			return res, nil
		}
		return eventlog.AppendResult{}, l.conflict(ctx, r)
	case errCodeBatchDuplicate, errCodeDuplicateInProcess:
		return l.recoverRetry(ctx, r, 0)
	}
	return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: append to %s: %w", r.stream, err)
}

func (l *Log) publishContext(parent context.Context) (context.Context, context.CancelFunc) {
	if _, ok := parent.Deadline(); ok {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, l.opts.Timeout)
}

// recoverRetry answers an append whose events are already in the log: it
// looks for them in the stream after revision after, and returns the result
// of the append that wrote them. Any other finding is an error.
func (l *Log) recoverRetry(ctx context.Context, r *appendRequest, after uint64) (eventlog.AppendResult, error) {
	recorded, err := l.read(ctx, r.subject, after+1, 0)
	if err != nil {
		return eventlog.AppendResult{}, err
	}
	for i, e := range recorded {
		if e.ID != r.events[0].ID {
			if after > 0 {
				// With an exact expectation the retried events must come
				// right after it.
				break
			}
			continue
		}
		if len(recorded)-i < len(r.events) {
			break
		}
		for j := range r.events {
			if recorded[i+j].ID != r.events[j].ID {
				return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: append to %s retried with events that only partly match the log", r.stream)
			}
		}
		last := recorded[i+len(r.events)-1]
		return eventlog.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
	}
	return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: append to %s: events already in the log but not found in its stream", r.stream)
}

// conflict builds the typed error for an append refused by its expectation.
func (l *Log) conflict(ctx context.Context, r *appendRequest) error {
	e := &eventlog.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected}
	if last, ok, err := l.lastSequence(ctx, r.subject); err == nil && ok {
		e.Actual, e.HasActual = eventlog.Revision(last), true
	}
	return e
}

// setExpectation puts the append's expectation on its first message; the
// batch's atomicity covers the rest.
func setExpectation(m *nats.Msg, expected eventlog.ExpectedRevision, first bool) {
	m.Header.Del(jetstream.ExpectedLastSubjSeqHeader)
	if !first {
		return
	}
	if rev, ok := expected.ExactRevision(); ok {
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(uint64(rev), 10))
	} else if expected.IsNoStream() {
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	}
}

// publishBatch publishes msgs as one atomic batch: every message but the last
// without waiting, the last with the commit header, whose acknowledgement
// covers the whole batch.
func (l *Log) publishBatch(ctx context.Context, msgs []*nats.Msg) (*jetstream.PubAck, error) {
	commit, err := natswire.StageBatch(l.nc, msgs)
	if err != nil {
		return nil, err
	}
	return l.publish(ctx, commit)
}

// Error codes of the JetStream API that the adapter acts on, beside
// jetstream.JSErrCodeStreamWrongLastSequence and its constant variant, which
// the jetstream package names.
const (
	errCodeDuplicateInProcess jetstream.ErrorCode = 10158
	errCodeBatchDuplicate     jetstream.ErrorCode = 10201
)

// publish sends m and waits for its acknowledgement. A refusal by the
// server is a *jetstream.APIError.
func (l *Log) publish(ctx context.Context, m *nats.Msg) (*jetstream.PubAck, error) {
	ack, err := l.js.PublishMsg(ctx, m)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			return nil, fmt.Errorf("jetstreamlog: no JetStream stream answers on %s: %w", m.Subject, err)
		}
		return nil, err
	}
	if ack.Sequence == 0 {
		return nil, fmt.Errorf("jetstreamlog: acknowledgement without sequence from stream %s", ack.Stream)
	}
	return ack, nil
}

// lastSequence returns the sequence of the last event on subject.
func (l *Log) lastSequence(ctx context.Context, subject string) (uint64, bool, error) {
	m, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("jetstreamlog: last event of %s: %w", subject, err)
	}
	return m.Sequence, true, nil
}

// readBatch is how many events one direct-get request returns at most.
const readBatch = 256

// read returns the events on subject (which may hold wildcards) from
// sequence from on, at most limit of them (0: all). It uses batched direct
// gets: one request answers with up to readBatch events, then an end-of-batch
// message saying how many more match.
func (l *Log) read(ctx context.Context, subject string, from uint64, limit int) ([]eventlog.RecordedEvent, error) {
	ctx, cancel := l.publishContext(ctx)
	defer cancel()
	inbox := l.nc.NewInbox()
	// Room for a whole batch and its end-of-batch message: the next request
	// goes out only once this one's answers are read, so none is dropped.
	answers := make(chan *nats.Msg, readBatch+1)
	sub, err := l.nc.ChanSubscribe(inbox, answers)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	var out []eventlog.RecordedEvent
	for seq := max(from, 1); ; {
		batch := readBatch
		if limit > 0 {
			batch = min(batch, limit-len(out))
		}
		req, _ := json.Marshal(directGet{Seq: seq, NextBySubject: subject, Batch: batch})
		if err := l.nc.PublishRequest(directGetSubject, inbox, req); err != nil {
			return nil, err
		}
		more, last, err := receiveBatch(ctx, answers, &out)
		if err != nil {
			return nil, fmt.Errorf("jetstreamlog: read %s: %w", subject, err)
		}
		if !more || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		seq = last + 1
	}
}

var directGetSubject = "$JS.API.DIRECT.GET." + natswire.StreamName

type directGet struct {
	Seq           uint64 `json:"seq"`
	NextBySubject string `json:"next_by_subj"`
	Batch         int    `json:"batch"`
}

// receiveBatch collects one batch's events; more tells whether further
// events match, last is the sequence of the last one received.
func receiveBatch(ctx context.Context, answers <-chan *nats.Msg, out *[]eventlog.RecordedEvent) (more bool, last uint64, err error) {
	for {
		var m *nats.Msg
		select {
		case m = <-answers:
		case <-ctx.Done():
			return false, 0, ctx.Err()
		}
		switch m.Header.Get("Status") {
		case "404":
			return false, last, nil
		case "204": // end of batch
			pending, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
			return pending > 0, last, nil
		case "":
		default:
			return false, 0, fmt.Errorf("direct get answered %s %s", m.Header.Get("Status"), m.Header.Get("Description"))
		}
		seq, err := strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
		if err != nil {
			return false, 0, fmt.Errorf("direct get without sequence: %w", err)
		}
		e, err := decode(m.Header.Get("Nats-Subject"), m.Header, m.Data, seq)
		if err != nil {
			return false, 0, err
		}
		*out = append(*out, e)
		last = seq
	}
}

func decode(subject string, h nats.Header, data []byte, seq uint64) (eventlog.RecordedEvent, error) {
	e, err := natswire.Decode(subject, h, data)
	if err != nil {
		return e, err
	}
	e.Revision = eventlog.Revision(seq)
	e.Position = eventlog.Position(seq)
	return e, nil
}

// ReadStream implements eventlog.Log.
func (l *Log) ReadStream(ctx context.Context, stream string, after eventlog.Revision) ([]eventlog.RecordedEvent, error) {
	subject, err := natswire.Subject(stream)
	if err != nil {
		return nil, err
	}
	events, err := l.read(ctx, subject, uint64(after)+1, 0)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		if after == eventlog.FromStart {
			return nil, fmt.Errorf("%w: %s", eventlog.ErrStreamNotFound, stream)
		}
		if _, ok, err := l.lastSequence(ctx, subject); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("%w: %s", eventlog.ErrStreamNotFound, stream)
		}
	}
	return events, nil
}

// ReadTimeline implements eventlog.Log: one read over every subject of the
// complaint, in stream (log) order.
func (l *Log) ReadTimeline(ctx context.Context, complaintID string) ([]eventlog.RecordedEvent, error) {
	if !eventlog.ValidID(complaintID) {
		return nil, fmt.Errorf("%w: complaint id %q", eventlog.ErrInvalidStreamName, complaintID)
	}
	events, err := l.read(ctx, natswire.ComplaintSubject(complaintID), 1, 0)
	if err != nil {
		return nil, err
	}
	if events == nil {
		events = []eventlog.RecordedEvent{}
	}
	return events, nil
}

// Subscribe implements eventlog.Log with an ordered consumer, which JetStream
// recreates from the last delivered sequence if it ever loses it.
func (l *Log) Subscribe(ctx context.Context, after eventlog.Position, filter eventlog.Filter, handle func(context.Context, eventlog.RecordedEvent) error) (eventlog.Subscription, error) {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if after > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = uint64(after) + 1
	}
	for _, c := range filter.Categories {
		cfg.FilterSubjects = append(cfg.FilterSubjects, natswire.CategorySubject(c))
	}
	cons, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: subscribe: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: subscribe: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &subscription{cancel: cancel, done: make(chan struct{}), it: it}
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	go func() {
		defer close(s.done)
		defer cancel()
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					s.err = fmt.Errorf("jetstreamlog: subscription: %w", err)
				}
				return
			}
			meta, err := m.Metadata()
			if err != nil {
				s.err = err
				return
			}
			e, err := decode(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
			if err != nil {
				s.err = err
				return
			}
			if !filter.Matches(e.Stream, e.Type) {
				continue
			}
			if err := handle(ctx, e); err != nil {
				if ctx.Err() == nil {
					s.err = err
				}
				return
			}
		}
	}()
	return s, nil
}

type subscription struct {
	cancel context.CancelFunc
	done   chan struct{}
	it     jetstream.MessagesContext
	err    error
}

func (s *subscription) Stop()                 { s.cancel(); <-s.done }
func (s *subscription) Done() <-chan struct{} { return s.done }
func (s *subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}
