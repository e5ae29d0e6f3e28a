// Package natswire is the one place that says how an event looks on NATS:
// its subject and its headers. The JetStream log adapter writes events in this
// form, the EventStoreDB relay republishes them in this form, and every
// service's consumer reads them back from it.
package natswire

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// StreamName is the JetStream stream holding complaint events. With the
// JetStream adapter it is the event log itself; with EventStoreDB it is the
// bus the relay republishes to.
const StreamName = "COMPLAINT_EVENTS"

// SubjectPrefix starts every event subject: "complaints.events.<category>.<id>".
const SubjectPrefix = "complaints.events"

// AllSubjects matches every event subject.
const AllSubjects = SubjectPrefix + ".>"

// Header names carried by every event message.
const (
	HeaderMsgID         = nats.MsgIdHdr // event id, used by JetStream de-duplication
	HeaderEventType     = "Event-Type"
	HeaderSchemaVersion = "Event-Schema-Version"
	HeaderComplaintID   = "Complaint-Id"
	HeaderCausationID   = "Causation-Id"
	HeaderService       = "Event-Service"
	HeaderActor         = "Event-Actor"
	HeaderRecordedAt    = "Recorded-At"
	HeaderStream        = "Event-Stream"
	// HeaderEventCount marks an envelope: a message holding the events of
	// one append (AppendMessage), and says how many.
	HeaderEventCount = "Event-Count"
	// HeaderLogPosition and HeaderLogRevision are set by the EventStoreDB relay:
	// the event's place in the production log.
	HeaderLogPosition = "Log-Position"
	HeaderLogRevision = "Log-Revision"
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// Subject returns the subject of a stream's events.
func Subject(stream string) (string, error) {
	cat, id, err := eventlog.SplitStream(stream)
	if err != nil {
		return "", err
	}
	return SubjectPrefix + "." + cat + "." + id, nil
}

// CategorySubject matches every stream of one category.
func CategorySubject(category string) string { return SubjectPrefix + "." + category + ".*" }

// ComplaintSubject matches every stream of one complaint, whatever its category.
func ComplaintSubject(complaintID string) string { return SubjectPrefix + ".*." + complaintID }

// StreamFromSubject turns "complaints.events.case.42" back into "case-42".
func StreamFromSubject(subject string) (string, error) {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return "", fmt.Errorf("natswire: subject %q is not an event subject", subject)
	}
	cat, id, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(id, ".") {
		return "", fmt.Errorf("natswire: subject %q is not an event subject", subject)
	}
	return eventlog.StreamName(cat, id), nil
}

// Message builds the NATS message for an event.
func Message(stream string, e eventlog.EventData) (*nats.Msg, error) {
	subj, err := Subject(stream)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(subj)
	m.Data = e.Data
	h := m.Header
	h.Set(HeaderMsgID, e.ID)
	h.Set(HeaderEventType, e.Type)
	h.Set(HeaderSchemaVersion, strconv.Itoa(e.SchemaVersion))
	h.Set(HeaderStream, stream)
	md := e.Metadata
	setIf(h, HeaderComplaintID, md.ComplaintID)
	setIf(h, HeaderCausationID, md.CausationID)
	setIf(h, HeaderService, md.Service)
	setIf(h, HeaderActor, string(md.Actor))
	setIf(h, HeaderTraceParent, md.TraceParent)
	setIf(h, HeaderTraceState, md.TraceState)
	if !md.RecordedAt.IsZero() {
		h.Set(HeaderRecordedAt, md.RecordedAt.UTC().Format(time.RFC3339Nano))
	}
	return m, nil
}

func setIf(h nats.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// Decode reads an event back from a plain event message's subject, headers
// and data; an envelope is refused (DecodeAll reads both). Revision and
// Position are left for the caller, who knows where the message came from
// (stream sequence, or the relay's Log-* headers).
func Decode(subject string, h nats.Header, data []byte) (eventlog.RecordedEvent, error) {
	if h.Get(HeaderEventCount) != "" {
		return eventlog.RecordedEvent{}, fmt.Errorf("natswire: message on %q is an envelope of several events", subject)
	}
	stream := h.Get(HeaderStream)
	if stream == "" {
		s, err := StreamFromSubject(subject)
		if err != nil {
			return eventlog.RecordedEvent{}, err
		}
		stream = s
	}
	ev := eventlog.RecordedEvent{Stream: stream}
	ev.ID = h.Get(HeaderMsgID)
	ev.Type = h.Get(HeaderEventType)
	if ev.ID == "" || ev.Type == "" {
		return eventlog.RecordedEvent{}, fmt.Errorf("natswire: message on %q lacks event id or type", subject)
	}
	ev.SchemaVersion, _ = strconv.Atoi(h.Get(HeaderSchemaVersion))
	ev.Data = data
	ev.Metadata = eventlog.Metadata{
		ComplaintID: h.Get(HeaderComplaintID),
		CausationID: h.Get(HeaderCausationID),
		Service:     h.Get(HeaderService),
		Actor:       eventlog.Actor(h.Get(HeaderActor)),
		TraceParent: h.Get(HeaderTraceParent),
		TraceState:  h.Get(HeaderTraceState),
	}
	if ts := h.Get(HeaderRecordedAt); ts != "" {
		// A time is kept only if Message can write it back: in UTC its
		// year must still have four digits (RFC 3339).
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.UTC().Year() <= 9999 && t.UTC().Year() >= 0 {
			ev.Metadata.RecordedAt = t
		}
	}
	return ev, nil
}

// DuplicateWindow is how long JetStream remembers event ids to drop a
// republished event (a relay retry, an append retried after a lost
// acknowledgement with expectation Any).
const DuplicateWindow = time.Hour

// StreamConfig is the complaint-events stream as the operator provisions it:
// file storage, every event kept, atomic batches and direct reads allowed.
func StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               StreamName,
		Description:        "every event of every complaint, in log order",
		Subjects:           []string{AllSubjects},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardNew,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		Duplicates:         DuplicateWindow,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		DenyDelete:         true,
		DenyPurge:          true,
	}
}

// EnsureStream creates the complaint-events stream, or brings its settings up
// to date, and returns it: the operator's provisioning step (see package
// provision). A stream that already has these settings is only read.
func EnsureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	want := StreamConfig()
	if st, err := js.Stream(ctx, StreamName); err == nil && upToDate(st.CachedInfo().Config, want) {
		return st, nil
	}
	st, err := js.CreateOrUpdateStream(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("natswire: stream %s: %w", StreamName, err)
	}
	return st, nil
}

// OpenStream binds to the complaint-events stream the operator provisioned,
// and refuses one that is missing or whose settings are not StreamConfig's.
// It never creates or changes the stream: a service's NATS user may only
// read its info.
func OpenStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		return nil, fmt.Errorf("natswire: stream %s (run complaintctl provision as the operator): %w", StreamName, err)
	}
	if !upToDate(st.CachedInfo().Config, StreamConfig()) {
		return nil, fmt.Errorf("natswire: stream %s does not have the provisioned settings: run complaintctl provision as the operator", StreamName)
	}
	return st, nil
}

func upToDate(have, want jetstream.StreamConfig) bool {
	return have.Description == want.Description && len(have.Subjects) == 1 && have.Subjects[0] == want.Subjects[0] &&
		have.Storage == want.Storage && have.Retention == want.Retention && have.Discard == want.Discard &&
		have.MaxMsgs == want.MaxMsgs && have.MaxBytes == want.MaxBytes && have.MaxAge == want.MaxAge &&
		have.Duplicates == want.Duplicates && have.AllowDirect && have.AllowAtomicPublish &&
		have.DenyDelete && have.DenyPurge
}

// Headers of JetStream's atomic batch publish.
const (
	headerBatchID     = "Nats-Batch-Id"
	headerBatchSeq    = "Nats-Batch-Sequence"
	headerBatchCommit = "Nats-Batch-Commit"
)

// StageBatch makes msgs one atomic batch: it marks each with the batch id and
// its place, publishes every message but the last without waiting, and marks
// the last as the commit. The caller sends the last message as a request;
// its acknowledgement (or error) covers the whole batch, which the stream
// writes all at once or not at all.
func StageBatch(nc *nats.Conn, msgs []*nats.Msg) (commit *nats.Msg, err error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("natswire: empty batch")
	}
	id := nuid.Next()
	for i, m := range msgs {
		ClearBatch(m)
		m.Header.Set(headerBatchID, id)
		m.Header.Set(headerBatchSeq, strconv.Itoa(i+1))
		if i == len(msgs)-1 {
			m.Header.Set(headerBatchCommit, "1")
			break
		}
		if err := nc.PublishMsg(m); err != nil {
			return nil, err
		}
	}
	return msgs[len(msgs)-1], nil
}

// ClearBatch removes the batch headers, to publish a message on its own.
func ClearBatch(m *nats.Msg) {
	m.Header.Del(headerBatchID)
	m.Header.Del(headerBatchSeq)
	m.Header.Del(headerBatchCommit)
}
