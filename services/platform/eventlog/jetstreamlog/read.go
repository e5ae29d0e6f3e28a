package jetstreamlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// lastRevision returns the revision of the last event on subject: the last
// event of its last message.
func (l *Log) lastRevision(ctx context.Context, subject string) (eventlog.Revision, bool, error) {
	m, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("jetstreamlog: last event of %s: %w", subject, err)
	}
	return eventlog.Revision(natswire.LastOfMessage(m.Sequence)), true, nil
}

// readBatch is how many events one direct-get request returns at most.
const readBatch = 256

// read returns the events on subject (which may hold wildcards) from
// sequence from on. It uses batched direct
// gets: one request answers with up to readBatch events, then an end-of-batch
// message saying how many more match.
func (l *Log) read(ctx context.Context, subject string, from uint64) ([]eventlog.RecordedEvent, error) {
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
		req, _ := json.Marshal(directGet{Seq: seq, NextBySubject: subject, Batch: readBatch})
		if err := l.nc.PublishRequest(directGetSubject, inbox, req); err != nil {
			return nil, err
		}
		more, last, err := receiveBatch(ctx, answers, &out)
		if err != nil {
			return nil, fmt.Errorf("jetstreamlog: read %s: %w", subject, err)
		}
		if !more {
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

// receiveBatch collects the events of one batch of messages; more tells
// whether further messages match, last is the sequence of the last one
// received.
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
		events, err := decode(m.Header.Get("Nats-Subject"), m.Header, m.Data, seq)
		if err != nil {
			return false, 0, err
		}
		*out = append(*out, events...)
		last = seq
	}
}

// decode reads the events of the message at stream sequence seq, each at
// its own revision and position.
func decode(subject string, h nats.Header, data []byte, seq uint64) ([]eventlog.RecordedEvent, error) {
	events, err := natswire.DecodeAll(subject, h, data)
	if err != nil {
		return nil, err
	}
	for i := range events {
		events[i].Revision = natswire.RevisionOf(seq, i, len(events))
		events[i].Position = natswire.PositionOf(seq, i, len(events))
	}
	return events, nil
}

// eventsAfter keeps the events after revision after.
func eventsAfter(events []eventlog.RecordedEvent, after eventlog.Revision) []eventlog.RecordedEvent {
	for i, e := range events {
		if e.Revision > after {
			return events[i:]
		}
	}
	return nil
}

// ReadStream implements eventlog.Log.
func (l *Log) ReadStream(ctx context.Context, stream string, after eventlog.Revision) ([]eventlog.RecordedEvent, error) {
	subject, err := natswire.Subject(stream)
	if err != nil {
		return nil, err
	}
	// From the message holding the event at after, whose later events
	// are read too.
	from, _ := natswire.SequenceOfRevision(after)
	events, err := l.readYourWrites(ctx, subject, max(from, 1), func() ([]eventlog.RecordedEvent, error) {
		return l.read(ctx, subject, max(from, 1))
	})
	if err != nil {
		return nil, err
	}
	events = eventsAfter(events, after)
	if len(events) == 0 {
		if after == eventlog.FromStart {
			return nil, fmt.Errorf("%w: %s", eventlog.ErrStreamNotFound, stream)
		}
		if _, ok, err := l.lastRevision(ctx, subject); err != nil {
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
	subject := natswire.ComplaintSubject(complaintID)
	events, err := l.readYourWrites(ctx, subject, 1, func() ([]eventlog.RecordedEvent, error) {
		return l.read(ctx, subject, 1)
	})
	if err != nil {
		return nil, err
	}
	if events == nil {
		events = []eventlog.RecordedEvent{}
	}
	return events, nil
}
