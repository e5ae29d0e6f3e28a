package natswire

import (
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	logv1 "github.com/complaintflow/complaintflow/proto/complaints/log/v1"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// One append, one message. On the JetStream log the events of one append
// travel in one JetStream message, so that a decision costs one durable
// write however many events it records: a single event as a plain event
// message (Message), several as an envelope, whose payload is a
// complaints.log.v1.EventEnvelope and whose headers say what every event of
// it shares (stream, complaint, writing service) and how many there are
// (Event-Count). An envelope is written whole or not at all, like any
// message, so an append needs no multi-message batch to be atomic.

// MaxEnvelopeEvents is the most events one append may hold.
const MaxEnvelopeEvents = 1000

// PositionsPerMessage is the room one message takes in the log's positions
// and revisions, which are the same number for an event on the JetStream
// log. The events of the message at stream sequence s end at
// s*PositionsPerMessage + PositionsPerMessage-1: the last event of a message
// of n events is there, and the i-th at n-1-i before it. Both stay totally
// ordered, in log order, whatever the number of events per message; and a
// stream's revision (its last event's) is always a message's last, so an
// expectation that falls inside a message is known stale without a read.
const PositionsPerMessage = 1024

// PositionOf is the log position of the index-th of the count events of the
// message at stream sequence seq.
func PositionOf(seq uint64, index, count int) eventlog.Position {
	return eventlog.Position(seq*PositionsPerMessage + PositionsPerMessage - uint64(count) + uint64(index))
}

// RevisionOf is the revision of the index-th of the count events of the
// message at stream sequence seq: the same number as its position.
func RevisionOf(seq uint64, index, count int) eventlog.Revision {
	return eventlog.Revision(PositionOf(seq, index, count))
}

// LastOfMessage is the position of the last event of the message at stream
// sequence seq.
func LastOfMessage(seq uint64) eventlog.Position {
	return eventlog.Position(seq*PositionsPerMessage + PositionsPerMessage - 1)
}

// SequenceOf is the stream sequence of the message holding the event at p,
// and whether p is the position of its last event.
func SequenceOf(p eventlog.Position) (seq uint64, last bool) {
	return uint64(p) / PositionsPerMessage, uint64(p)%PositionsPerMessage == PositionsPerMessage-1
}

// SequenceOfRevision is the stream sequence of the message holding the
// event at revision r, and whether r is its last event's.
func SequenceOfRevision(r eventlog.Revision) (seq uint64, last bool) {
	return SequenceOf(eventlog.Position(r))
}

// EventCount is the number of events a message holds, from its headers.
func EventCount(h nats.Header) int {
	if n, err := strconv.Atoi(h.Get(HeaderEventCount)); err == nil && n > 0 {
		return n
	}
	return 1
}

// AppendMessage builds the one message of an append of events to stream: a
// plain event message for one event, an envelope for several. Its
// Nats-Msg-Id is the first event's id, so a retried append is recognised as
// a duplicate.
func AppendMessage(stream string, events []eventlog.EventData) (*nats.Msg, error) {
	switch {
	case len(events) == 0:
		return nil, fmt.Errorf("natswire: append of no event")
	case len(events) > MaxEnvelopeEvents:
		return nil, fmt.Errorf("natswire: append of %d events, at most %d", len(events), MaxEnvelopeEvents)
	case len(events) == 1:
		return Message(stream, events[0])
	}
	subj, err := Subject(stream)
	if err != nil {
		return nil, err
	}
	env := &logv1.EventEnvelope{Events: make([]*logv1.EnvelopedEvent, len(events))}
	for i, e := range events {
		md := e.Metadata
		ev := &logv1.EnvelopedEvent{
			Id: e.ID, Type: e.Type, SchemaVersion: int32(e.SchemaVersion), Data: e.Data,
			ComplaintId: md.ComplaintID, CausationId: md.CausationID, Service: md.Service,
			Actor: string(md.Actor), TraceParent: md.TraceParent, TraceState: md.TraceState,
		}
		if !md.RecordedAt.IsZero() {
			ev.RecordedAt = timestamppb.New(md.RecordedAt)
		}
		env.Events[i] = ev
	}
	data, err := proto.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("natswire: envelope of %s: %w", stream, err)
	}
	m := nats.NewMsg(subj)
	m.Data = data
	h := m.Header
	h.Set(HeaderMsgID, events[0].ID)
	h.Set(HeaderStream, stream)
	h.Set(HeaderEventCount, strconv.Itoa(len(events)))
	first := events[0].Metadata
	setIf(h, HeaderComplaintID, first.ComplaintID)
	setIf(h, HeaderService, first.Service)
	setIf(h, HeaderTraceParent, first.TraceParent)
	setIf(h, HeaderTraceState, first.TraceState)
	return m, nil
}

// IsEnvelope tells whether a message's headers mark an envelope.
func IsEnvelope(h nats.Header) bool { return h.Get(HeaderEventCount) != "" }

// DecodeAll reads every event of a message in order: the one event of a
// plain event message, or each event of an envelope. As with Decode,
// Revision and Position are left for the caller (PositionOf and RevisionOf
// give those of a JetStream message's events).
func DecodeAll(subject string, h nats.Header, data []byte) ([]eventlog.RecordedEvent, error) {
	if !IsEnvelope(h) {
		e, err := Decode(subject, h, data)
		if err != nil {
			return nil, err
		}
		return []eventlog.RecordedEvent{e}, nil
	}
	count, err := strconv.Atoi(h.Get(HeaderEventCount))
	if err != nil || count < 1 || count > MaxEnvelopeEvents {
		return nil, fmt.Errorf("natswire: envelope on %q with event count %q", subject, h.Get(HeaderEventCount))
	}
	stream := h.Get(HeaderStream)
	if fromSubject, err := StreamFromSubject(subject); err != nil {
		return nil, err
	} else if stream == "" {
		stream = fromSubject
	}
	var env logv1.EventEnvelope
	if err := proto.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("natswire: envelope on %q: %w", subject, err)
	}
	if len(env.Events) != count {
		return nil, fmt.Errorf("natswire: envelope on %q holds %d events, its header says %d", subject, len(env.Events), count)
	}
	out := make([]eventlog.RecordedEvent, count)
	for i, ev := range env.Events {
		if ev.GetId() == "" || ev.GetType() == "" {
			return nil, fmt.Errorf("natswire: event %d of the envelope on %q lacks id or type", i, subject)
		}
		r := eventlog.RecordedEvent{Stream: stream}
		r.ID, r.Type, r.SchemaVersion, r.Data = ev.GetId(), ev.GetType(), int(ev.GetSchemaVersion()), ev.GetData()
		r.Metadata = eventlog.Metadata{
			ComplaintID: ev.GetComplaintId(), CausationID: ev.GetCausationId(), Service: ev.GetService(),
			Actor: eventlog.Actor(ev.GetActor()), TraceParent: ev.GetTraceParent(), TraceState: ev.GetTraceState(),
		}
		if ts := ev.GetRecordedAt(); ts != nil && ts.IsValid() {
			if t := ts.AsTime(); t.Year() >= 0 && t.Year() <= 9999 {
				r.Metadata.RecordedAt = t
			}
		}
		out[i] = r
	}
	return out, nil
}
