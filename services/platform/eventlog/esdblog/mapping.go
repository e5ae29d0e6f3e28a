package esdblog

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Metadata keys of the JSON document stored as an event's user metadata.
// "$correlationId" and "$causationId" are the keys EventStoreDB's own
// projections ($by_correlation_id) understand.
const (
	keyCorrelationID = "$correlationId"
	keyCausationID   = "$causationId"
	keyService       = "service"
	keyActor         = "actor"
	keySchemaVersion = "schemaVersion"
	keyTraceParent   = "traceparent"
	keyTraceState    = "tracestate"
	keyRecordedAt    = "recordedAt"
)

// wireMetadata is the user metadata of an event in EventStoreDB.
type wireMetadata struct {
	CorrelationID string `json:"$correlationId,omitempty"`
	CausationID   string `json:"$causationId,omitempty"`
	Service       string `json:"service,omitempty"`
	Actor         string `json:"actor,omitempty"`
	SchemaVersion int    `json:"schemaVersion"`
	TraceParent   string `json:"traceparent,omitempty"`
	TraceState    string `json:"tracestate,omitempty"`
	RecordedAt    string `json:"recordedAt,omitempty"`
}

// encodeMetadata renders an event's schema version and metadata as the JSON
// user metadata stored beside it.
func encodeMetadata(schemaVersion int, md eventlog.Metadata) ([]byte, error) {
	w := wireMetadata{
		CorrelationID: md.ComplaintID,
		CausationID:   md.CausationID,
		Service:       md.Service,
		Actor:         string(md.Actor),
		SchemaVersion: schemaVersion,
		TraceParent:   md.TraceParent,
		TraceState:    md.TraceState,
	}
	if !md.RecordedAt.IsZero() {
		w.RecordedAt = md.RecordedAt.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(w)
}

// decodeMetadata reads back what encodeMetadata wrote. Empty metadata gives
// schema version 0 and empty metadata.
func decodeMetadata(b []byte) (int, eventlog.Metadata, error) {
	if len(b) == 0 {
		return 0, eventlog.Metadata{}, nil
	}
	var w wireMetadata
	if err := json.Unmarshal(b, &w); err != nil {
		return 0, eventlog.Metadata{}, fmt.Errorf("esdblog: event metadata: %w", err)
	}
	md := eventlog.Metadata{
		ComplaintID: w.CorrelationID,
		CausationID: w.CausationID,
		Service:     w.Service,
		Actor:       eventlog.Actor(w.Actor),
		TraceParent: w.TraceParent,
		TraceState:  w.TraceState,
	}
	if w.RecordedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, w.RecordedAt)
		if err != nil {
			return 0, eventlog.Metadata{}, fmt.Errorf("esdblog: event metadata %s: %w", keyRecordedAt, err)
		}
		md.RecordedAt = t
	}
	return w.SchemaVersion, md, nil
}

// toEventData turns an event to append into EventStoreDB's form: binary
// content (the protobuf bytes as given), JSON metadata, the event id as UUID.
func toEventData(e eventlog.EventData) (esdb.EventData, error) {
	id, err := uuid.Parse(e.ID)
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("esdblog: event id %q is not a UUID: %w", e.ID, err)
	}
	if e.Type == "" {
		return esdb.EventData{}, fmt.Errorf("esdblog: event %s has no type", e.ID)
	}
	if strings.HasPrefix(e.Type, "$") {
		return esdb.EventData{}, fmt.Errorf("esdblog: event type %q is reserved for the server", e.Type)
	}
	md, err := encodeMetadata(e.SchemaVersion, e.Metadata)
	if err != nil {
		return esdb.EventData{}, err
	}
	return esdb.EventData{
		EventID:     id,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeBinary,
		Data:        e.Data,
		Metadata:    md,
	}, nil
}

// fromRecorded turns an event read from EventStoreDB into the port's form.
func fromRecorded(r *esdb.RecordedEvent) (eventlog.RecordedEvent, error) {
	sv, md, err := decodeMetadata(r.UserMetadata)
	if err != nil {
		return eventlog.RecordedEvent{}, fmt.Errorf("%s@%d: %w", r.StreamID, r.EventNumber, err)
	}
	pos, _ := positionOf(r.Position)
	return eventlog.RecordedEvent{
		EventData: eventlog.EventData{
			ID:            r.EventID.String(),
			Type:          r.EventType,
			SchemaVersion: sv,
			Data:          r.Data,
			Metadata:      md,
		},
		Stream:   r.StreamID,
		Revision: toRevision(r.EventNumber),
		Position: pos,
	}, nil
}

// Revisions: EventStoreDB numbers a stream's events from 0; the port's
// Revision 0 means "no event". So Revision = EventStoreDB revision + 1.

// toRevision maps an EventStoreDB event number to a Revision.
func toRevision(eventNumber uint64) eventlog.Revision { return eventlog.Revision(eventNumber + 1) }

// readFrom is where to start reading a stream to get the events whose
// Revision is greater than after: the event numbered after in EventStoreDB.
func readFrom(after eventlog.Revision) esdb.StreamPosition {
	if after == eventlog.FromStart {
		return esdb.Start{}
	}
	return esdb.Revision(uint64(after))
}

// toExpected maps an expectation to EventStoreDB's. Exact(0) means the
// stream has no event, that is NoStream.
func toExpected(e eventlog.ExpectedRevision) esdb.ExpectedRevision {
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	if r, ok := e.ExactRevision(); ok {
		if r == 0 {
			return esdb.NoStream{}
		}
		return esdb.Revision(uint64(r) - 1)
	}
	return esdb.Any{}
}

// Positions: an event's Position is its EventStoreDB prepare position plus
// one, so that Position 0 stays "before the first event" even for an event
// at log position 0. The prepare position is where the event's own record
// is. Events appended over gRPC each commit themselves: every event has its
// own prepare and commit position, they increase in the order of $all, and
// an append's reply carries the position of its last event (for a retry the
// server recognised, that of the original last event, or none when the
// server could not tell). The commit position is used only when the prepare
// position is not known.

// noPosition is how EventStoreDB says it does not know a position (-1).
const noPosition = math.MaxUint64

// positionOf maps an EventStoreDB position to a Position; false when the
// server did not send it (older servers leave it out of stream reads).
func positionOf(p esdb.Position) (eventlog.Position, bool) {
	switch {
	case p.Prepare != noPosition:
		return eventlog.Position(p.Prepare + 1), true
	case p.Commit != noPosition:
		return eventlog.Position(p.Commit + 1), true
	}
	return 0, false
}

// replyPosition is the Position of the last event of an append, from the
// server's reply; false when the reply has none (the client gives zeros
// when the server sent no position).
func replyPosition(wr *esdb.WriteResult) (eventlog.Position, bool) {
	known := func(p uint64) bool { return p != 0 && p != noPosition }
	switch {
	case known(wr.PreparePosition):
		return eventlog.Position(wr.PreparePosition + 1), true
	case known(wr.CommitPosition):
		return eventlog.Position(wr.CommitPosition + 1), true
	}
	return 0, false
}

// subscribeFrom is where to subscribe to $all to get the events whose
// Position is greater than after: at {Commit: p, Prepare: p} with p the
// prepare position of the last event seen. A write's commit position is at
// or after the prepare positions of its events, so this bound is at or
// before every event of that write still to come; the subscriber skips the
// events at or before after, whatever the server does with the bound.
func subscribeFrom(after eventlog.Position) esdb.AllPosition {
	if after == eventlog.Beginning {
		return esdb.Start{}
	}
	p := uint64(after) - 1
	return esdb.Position{Commit: p, Prepare: p}
}

// subscriptionFilter is the server-side filter of a subscription: stream
// name prefixes "<category>-" when categories are given, else every event
// whose type does not start with "$". Event types are filtered by the
// subscriber (EventStoreDB filters on stream names or on types, not both).
func subscriptionFilter(f eventlog.Filter) *esdb.SubscriptionFilter {
	if len(f.Categories) == 0 {
		return esdb.ExcludeSystemEventsFilter()
	}
	prefixes := make([]string, 0, len(f.Categories))
	for _, c := range f.Categories {
		prefixes = append(prefixes, c+"-")
	}
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: prefixes}
}

// isLogEvent reports whether an event of $all belongs to the complaint log:
// not a system event, in a stream named "<category>-<id>".
func isLogEvent(stream, eventType string) bool {
	if strings.HasPrefix(eventType, "$") || strings.HasPrefix(stream, "$") {
		return false
	}
	_, _, err := eventlog.SplitStream(stream)
	return err == nil
}

var currentRe = regexp.MustCompile(`but got '([^']*)'`)

// actualFromWrongExpected reads the stream's current revision out of the
// message of EventStoreDB's wrong-expected-version error ("... expecting 'X'
// but got 'Y'"); false when the stream has no event or the message does not
// tell.
func actualFromWrongExpected(msg string) (eventlog.Revision, bool) {
	m := currentRe.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return toRevision(uint64(n)), true
}
