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

// appendRequest is one Append on its way to the stream.
type appendRequest struct {
	ctx      context.Context
	stream   string
	subject  string
	expected eventlog.ExpectedRevision
	events   []eventlog.EventData
	msg      *nats.Msg
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
	if err == nil {
		l.metrics.appendEvents.Record(context.WithoutCancel(ctx), int64(len(events)))
	}
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
	if len(events) > natswire.MaxEnvelopeEvents {
		return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: append of %d events, at most %d", len(events), natswire.MaxEnvelopeEvents)
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
		last, ok, err := l.lastRevision(ctx, subject)
		if err != nil {
			return eventlog.AppendResult{}, err
		}
		if !ok {
			return eventlog.AppendResult{}, &eventlog.WrongExpectedVersionError{Stream: stream, Expected: expected}
		}
		expected = eventlog.Exact(last)
	}
	m, err := natswire.AppendMessage(stream, events)
	if err != nil {
		return eventlog.AppendResult{}, err
	}
	r := &appendRequest{ctx: ctx, stream: stream, subject: subject, expected: expected, events: events, msg: m}
	if rev, ok := expected.ExactRevision(); ok {
		if _, last := natswire.SequenceOfRevision(rev); !last {
			// No stream ends there: a stream's revision is always the
			// last event of a message.
			return eventlog.AppendResult{}, l.conflict(ctx, r)
		}
	}
	if !l.begin() {
		return eventlog.AppendResult{}, ErrClosed
	}
	defer l.inflight.Done()
	return l.publishAppend(r)
}

// begin counts an append in flight, unless the log is closed: Close waits
// for every append counted.
func (l *Log) begin() bool {
	l.closing.RLock()
	defer l.closing.RUnlock()
	if l.closed {
		return false
	}
	l.inflight.Add(1)
	return true
}

// publishAppend publishes an append's one message with its expectation and
// waits for the stream's acknowledgement, which comes once the message is
// on disk. Appends from many callers are in flight at once on the one
// connection, so the stream receives them back to back.
func (l *Log) publishAppend(r *appendRequest) (eventlog.AppendResult, error) {
	ctx, cancel := l.publishContext(r.ctx)
	defer cancel()
	setExpectation(r.msg, r.expected)
	ack, err := l.publish(ctx, r.msg)
	if err == nil {
		if ack.Duplicate {
			// Same event id already in the log (an Any append retried):
			// answer with where it was first written.
			return l.recoverRetry(ctx, r, 0)
		}
		l.written.note(r.subject, ack.Sequence)
		last := natswire.LastOfMessage(ack.Sequence)
		return eventlog.AppendResult{NextRevision: eventlog.Revision(last), Position: last}, nil
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return eventlog.AppendResult{}, err
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
		after := uint64(0)
		if rev, ok := r.expected.ExactRevision(); ok {
			after, _ = natswire.SequenceOfRevision(rev)
		}
		res, rerr := l.recoverRetry(ctx, r, after)
		if rerr == nil {
			return res, nil
		}
		return eventlog.AppendResult{}, l.conflict(ctx, r)
	case errCodeDuplicateInProcess:
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
// looks for them in the stream's messages after sequence after, and
// returns the result of the append that wrote them. Any other finding is
// an error.
//
// On a cluster any replica answers the reads, and a follower may answer
// before it holds the message the stream acknowledged: when the read shows
// nothing where the stream said something is (the retried events with
// expectation Any, or any message after an exact expectation), it is read
// again a few times, with growing waits (about 0.3 s in all) before giving
// up. A real conflict (other events right after the expectation) answers at
// once.
func (l *Log) recoverRetry(ctx context.Context, r *appendRequest, after uint64) (eventlog.AppendResult, error) {
	wait := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		res, found, stale, err := l.findRetried(ctx, r, after)
		if err != nil || found {
			return res, err
		}
		if !stale || attempt == retriedReads {
			return eventlog.AppendResult{}, fmt.Errorf("jetstreamlog: append to %s: events already in the log but not found in its stream", r.stream)
		}
		select {
		case <-time.After(wait):
			wait *= 2
		case <-ctx.Done():
			return eventlog.AppendResult{}, ctx.Err()
		}
	}
}

// retriedReads bounds the reads of recoverRetry.
const retriedReads = 6

// findRetried reads the stream after sequence after once, looking for the
// retried events. stale says the read may lag behind the stream: it did not
// show what the stream's answer implied was there.
func (l *Log) findRetried(ctx context.Context, r *appendRequest, after uint64) (res eventlog.AppendResult, found, stale bool, err error) {
	recorded, err := l.read(ctx, r.subject, after+1)
	if err != nil {
		return res, false, false, err
	}
	for i, e := range recorded {
		if e.ID != r.events[0].ID {
			if after > 0 {
				// With an exact expectation the retried events must come
				// right after it: other events there are a real conflict.
				return res, false, false, nil
			}
			continue
		}
		if len(recorded)-i < len(r.events) {
			break
		}
		for j := range r.events {
			if recorded[i+j].ID != r.events[j].ID {
				return res, false, false, fmt.Errorf("jetstreamlog: append to %s retried with events that only partly match the log", r.stream)
			}
		}
		last := recorded[i+len(r.events)-1]
		return eventlog.AppendResult{NextRevision: last.Revision, Position: last.Position}, true, false, nil
	}
	// Nothing after the expectation, or no sign of the events the stream
	// called duplicates: the read lags.
	return res, false, after == 0 || len(recorded) == 0, nil
}

// conflict builds the typed error for an append refused by its expectation.
func (l *Log) conflict(ctx context.Context, r *appendRequest) error {
	e := &eventlog.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected}
	if last, ok, err := l.lastRevision(ctx, r.subject); err == nil && ok {
		e.Actual, e.HasActual = last, true
	}
	return e
}

// setExpectation puts the append's expectation on its message.
func setExpectation(m *nats.Msg, expected eventlog.ExpectedRevision) {
	m.Header.Del(jetstream.ExpectedLastSubjSeqHeader)
	if rev, ok := expected.ExactRevision(); ok {
		// The message ending at the expected revision must be the
		// stream's last.
		seq, _ := natswire.SequenceOfRevision(rev)
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(seq, 10))
	} else if expected.IsNoStream() {
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	}
}

// Error codes of the JetStream API that the adapter acts on, beside
// jetstream.JSErrCodeStreamWrongLastSequence and its constant variant, which
// the jetstream package names.
const (
	errCodeDuplicateInProcess jetstream.ErrorCode = 10158
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
