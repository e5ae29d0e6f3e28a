// Package eventlog is the port to the append-only event log that holds every
// step of every complaint.
//
// Two adapters implement Log: jetstreamlog (an embedded or remote NATS
// JetStream server, the default) and esdblog (EventStoreDB / KurrentDB, the
// production log). Both pass the same contract suite in eventlogtest.
//
// Streams are named "<category>-<complaint id>", e.g. "complaint-0193…" or
// "case-0193…", one stream per aggregate. The category is a lower-case word
// without dashes; the id may contain dashes but no dots, spaces or wildcards.
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Log is the event-log port.
type Log interface {
	// Append writes events to one stream atomically, provided the stream is at
	// the expected revision. It returns the stream's new revision and the
	// global position of the last event written.
	//
	// Retries: with NoStream or Exact(r), if the stream already holds, right
	// after revision r (after nothing, for NoStream), events with the same
	// ids in the same order, the append is a retry: nothing is written and
	// the original result is returned. That is all a log promises about
	// event ids:
	//   - with Any or StreamExists no retry is recognised for sure (JetStream
	//     drops repeats within its duplicate window, EventStoreDB only while
	//     an in-memory cache lasts, which a restart empties): do not rely on
	//     it;
	//   - Exact(current) with ids the stream already holds further back is
	//     not checked: the events are written again.
	// Writers that must not write an event twice append with the exact
	// revision they decided on and leave out the events whose ids the stream
	// they loaded holds (see es.Repository).
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream returns the events of one stream whose revision is greater
	// than after, oldest first. Use FromStart to read a whole stream. A stream
	// that has no event returns ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, after Revision) ([]RecordedEvent, error)

	// ReadTimeline returns every event of one complaint, across the streams of
	// every service, in log order. A complaint with no events returns an empty
	// slice and no error.
	ReadTimeline(ctx context.Context, complaintID string) ([]RecordedEvent, error)

	// Subscribe delivers every event of the whole log whose global position is
	// greater than after and which matches filter, in log order, first the
	// events already written (catch-up) and then new ones as they are
	// appended. Delivery is sequential. If handle returns an error the
	// subscription stops with that error (see Subscription.Err). It stops
	// without error when ctx is cancelled or Stop is called.
	Subscribe(ctx context.Context, after Position, filter Filter, handle func(context.Context, RecordedEvent) error) (Subscription, error)

	// Close releases the adapter's resources.
	Close() error
}

// Subscription is a running catch-up subscription.
type Subscription interface {
	// Stop ends the subscription and waits for the handler to return.
	Stop()
	// Done is closed when the subscription has ended.
	Done() <-chan struct{}
	// Err is the error that ended the subscription, nil when it was stopped.
	Err() error
}

// Revision identifies the last event of a stream as the adapter counts it. It
// strictly increases within a stream. Only values returned by the same log may
// be passed back to it.
type Revision uint64

// FromStart reads a stream from its first event.
const FromStart Revision = 0

// Position is the global position of an event in the whole log. It strictly
// increases in log order. Position 0 is before the first event.
type Position uint64

// Beginning subscribes from the first event of the log.
const Beginning Position = 0

// ExpectedRevision states what the writer believes about the stream.
type ExpectedRevision struct {
	kind     expectedKind
	revision Revision
}

type expectedKind int

const (
	expectAny expectedKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any appends whatever the stream's state.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream appends only if the stream has no event yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists appends only if the stream has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact appends only if the stream's last event has revision r.
func Exact(r Revision) ExpectedRevision { return ExpectedRevision{kind: expectExact, revision: r} }

// IsAny, IsNoStream, IsStreamExists and ExactRevision let adapters inspect an
// expectation.
func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactRevision returns the revision and true when the expectation is Exact.
func (e ExpectedRevision) ExactRevision() (Revision, bool) {
	return e.revision, e.kind == expectExact
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("revision %d", e.revision)
	default:
		return "any"
	}
}

// EventData is an event to append.
type EventData struct {
	// ID is unique per event (a UUID). The log does not refuse an id it
	// already holds; it only recognises a retried append (see Log.Append).
	ID string
	// Type is the protobuf message's full name, e.g. "complaints.v1.CaseOpened".
	Type string
	// SchemaVersion of the payload; 1 for the v1 catalogue.
	SchemaVersion int
	// Data is the protobuf-encoded payload.
	Data     []byte
	Metadata Metadata
}

// Metadata travels beside every event.
type Metadata struct {
	// ComplaintID is the correlation id: every event of one complaint carries it.
	ComplaintID string
	// CausationID is the id of the event or command that caused this event.
	CausationID string
	// Service is the service that recorded the event (intake, resolution, ...).
	Service string
	// Actor is who caused the event: a customer, an agent, a company system
	// or the scheduler (see Actor).
	Actor Actor
	// TraceParent and TraceState are the W3C trace context of the request that
	// produced the event.
	TraceParent string
	TraceState  string
	// RecordedAt is when the service recorded the event.
	RecordedAt time.Time
}

// Actor says who caused an event, as "<kind>:<id>": "customer:<customer
// id>", "agent:<agent id>", "system:<company system>" or "scheduler:<timer>".
// It feeds the audit trail and the timeline. It never holds personal data:
// ids only, no names.
type Actor string

// Kinds of actor.
const (
	ActorCustomer  = "customer"
	ActorAgent     = "agent"
	ActorSystem    = "system"
	ActorScheduler = "scheduler"
)

// NewActor builds "<kind>:<id>".
func NewActor(kind, id string) Actor { return Actor(kind + ":" + id) }

// Kind is the part before the colon ("agent"), or "" when there is none.
func (a Actor) Kind() string {
	k, _, ok := strings.Cut(string(a), ":")
	if !ok {
		return ""
	}
	return k
}

// ID is the part after the colon.
func (a Actor) ID() string {
	_, id, _ := strings.Cut(string(a), ":")
	return id
}

// RecordedEvent is an event as read back from the log.
type RecordedEvent struct {
	EventData
	Stream   string
	Revision Revision
	Position Position
}

// AppendResult tells where an append landed.
type AppendResult struct {
	// NextRevision is the stream's revision after the append: pass it as
	// Exact(NextRevision) to append again.
	NextRevision Revision
	// Position is the global position of the last event written. For a
	// retry recognised by the log it is the original one; 0 only when the
	// log could not tell it without turning the successful append into an
	// error (EventStoreDB, when reading it back fails).
	Position Position
}

// Filter selects events of the whole log for a subscription. An empty filter
// matches every event.
type Filter struct {
	// Categories, if set, keeps only events of streams of these categories
	// (the part of the stream name before the first dash).
	Categories []string
	// EventTypes, if set, keeps only events of these types.
	EventTypes []string
}

// Matches reports whether the filter keeps an event.
func (f Filter) Matches(stream, eventType string) bool {
	if len(f.Categories) > 0 {
		cat, _, _ := SplitStream(stream)
		if !contains(f.Categories, cat) {
			return false
		}
	}
	if len(f.EventTypes) > 0 && !contains(f.EventTypes, eventType) {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ErrStreamNotFound is returned when reading a stream that has no event.
var ErrStreamNotFound = errors.New("eventlog: stream not found")

// ErrAccessDenied is returned, wrapped with the operation and the right it
// needs, when the log refuses the user an operation. Retrying does not help
// until an operator grants the right.
var ErrAccessDenied = errors.New("eventlog: access denied")

// Origin names one log: the adapter that reads it (its package name, e.g.
// "jetstreamlog", "esdblog") and, when the adapter can tell, an identity
// that tells two logs of that adapter apart. Positions mean something only
// on the log they came from: whoever saves a position saves its origin
// with it and refuses a position saved from another log.
type Origin struct {
	Kind string `json:"kind"`
	// ID is empty when the adapter cannot tell (for instance, a log with no
	// event yet): the identity is unknown, and the log may be any log of its
	// kind.
	ID string `json:"id,omitempty"`
}

func (o Origin) String() string {
	if o.ID == "" {
		return o.Kind
	}
	return o.Kind + ":" + o.ID
}

// Same reports whether o and p are known to be the same log: same kind and
// same identity. An origin with no identity may be any log of its kind, so
// it is the same as none, itself included.
func (o Origin) Same(p Origin) bool {
	return o.Kind == p.Kind && o.ID != "" && o.ID == p.ID
}

// Named is implemented by a log that can name its origin.
type Named interface {
	Origin(ctx context.Context) (Origin, error)
}

// OriginOf is l's origin: what l says when it is Named, otherwise the name
// of l's package with no identity.
func OriginOf(ctx context.Context, l Log) (Origin, error) {
	if n, ok := l.(Named); ok {
		return n.Origin(ctx)
	}
	t := reflect.TypeOf(l)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return Origin{Kind: pkg}, nil
}

// ErrInvalidStreamName is returned for a stream name not of the form
// "<category>-<id>".
var ErrInvalidStreamName = errors.New("eventlog: invalid stream name")

// WrongExpectedVersionError is returned by Append when the stream is not at
// the expected revision. Use errors.As to get it.
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the stream's revision when known; HasActual is false when the
	// stream has no event or the adapter could not tell.
	Actual    Revision
	HasActual bool
}

func (e *WrongExpectedVersionError) Error() string {
	if e.HasActual {
		return fmt.Sprintf("eventlog: stream %q expected at %s, is at revision %d", e.Stream, e.Expected, e.Actual)
	}
	return fmt.Sprintf("eventlog: stream %q expected at %s", e.Stream, e.Expected)
}

// IsWrongExpectedVersion reports whether err is a WrongExpectedVersionError.
func IsWrongExpectedVersion(err error) bool {
	var w *WrongExpectedVersionError
	return errors.As(err, &w)
}

// TooLargeError is returned by Append, before anything is sent, when the
// events are larger than the log accepts in one append. Nothing is written;
// retrying the same append cannot succeed. Use errors.As to get it.
type TooLargeError struct {
	Stream string
	// Size is what the append would take, as the adapter counts it; Limit is
	// the most it accepts.
	Size, Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("eventlog: append to %q is %d bytes, more than the log's limit of %d", e.Stream, e.Size, e.Limit)
}

// StreamName builds "<category>-<id>".
func StreamName(category, id string) string { return category + "-" + id }

// SplitStream splits "<category>-<id>" and validates both parts.
func SplitStream(stream string) (category, id string, err error) {
	category, id, ok := strings.Cut(stream, "-")
	if !ok || category == "" || id == "" {
		return "", "", fmt.Errorf("%w: %q", ErrInvalidStreamName, stream)
	}
	if !validToken(category) || !validToken(id) {
		return "", "", fmt.Errorf("%w: %q", ErrInvalidStreamName, stream)
	}
	return category, id, nil
}

// ValidID reports whether s can be used as the id part of a stream name.
func ValidID(s string) bool { return s != "" && validToken(s) }

func validToken(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
