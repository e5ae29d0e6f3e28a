package jetstreamlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

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
	ack, err := l.pub.PublishMsg(ctx, m)
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
