package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// DeadLetterConsumer is the consumer name a projection's dead letters carry
// in the dead-letter stream (bus.DeadLetterStream).
func DeadLetterConsumer(name string) string { return bus.ProjectionConsumerPrefix + name }

// DeadLetters is what a projection's state lacks: the events it could never
// fold, each written to the dead-letter stream. A rebuild counts them again
// (an event a fixed release now folds is no longer counted).
type DeadLetters struct {
	Count uint64 `json:"count"`
	// Last is the last event left out.
	Last *DeadLettered `json:"last,omitempty"`
}

// DeadLettered is one event a projection left out, and why.
type DeadLettered struct {
	Position  eventlog.Position `json:"position"`
	EventID   string            `json:"event_id"`
	EventType string            `json:"event_type"`
	// Reason is as in the dead letters: bus.ReasonUndecodable,
	// bus.ReasonPermanent or bus.ReasonPanic.
	Reason string    `json:"reason"`
	Error  string    `json:"error"`
	At     time.Time `json:"at"`
}

// maxKeptPositions bounds the positions of left-out events a snapshot keeps
// (so that a rebuild does not write their dead letters again); past it they
// are only counted.
const maxKeptPositions = 1000

// leftOut is DeadLetters as the snapshot keeps it.
type leftOut struct {
	DeadLetters
	Positions []eventlog.Position `json:"positions,omitempty"`
}

func (l *leftOut) add(d DeadLettered) {
	l.Count++
	l.Last = &d
	if len(l.Positions) < maxKeptPositions {
		l.Positions = append(l.Positions, d.Position)
	}
}

func (l *leftOut) has(pos eventlog.Position) bool { return slices.Contains(l.Positions, pos) }

// permanentReason says why a fold's error means the event will never be
// folded, or "" when the error may pass (it is then tried again): a payload
// its type cannot read or of an unknown type, an error marked with
// backoff.Permanent or a domain refusal, or a panic.
func permanentReason(err error) string {
	var syntax *json.SyntaxError
	var shape *json.UnmarshalTypeError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, proto.Error), errors.Is(err, protoregistry.NotFound),
		errors.As(err, &syntax), errors.As(err, &shape):
		return bus.ReasonUndecodable
	case errors.As(err, new(*panicError)):
		return bus.ReasonPanic
	case bus.IsPermanent(err):
		return bus.ReasonPermanent
	}
	return ""
}

type panicError struct{ value any }

func (p *panicError) Error() string { return fmt.Sprintf("fold panicked: %v", p.value) }

// fold applies one event, turning a panic into a permanent error.
func fold[S State](state S, e eventlog.RecordedEvent) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r}
			slog.Error("projection: fold panicked", "event_type", e.Type, "event_id", e.ID,
				"position", e.Position, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	return state.Apply(e)
}

// writeDeadLetter stores the dead letter of an event the projection leaves
// out in the dead-letter stream the operator provisioned, and logs it (ids,
// type and reason only: never the payload). An error means it is not
// stored: the event must not be left out then.
func (p *Projection[S]) writeDeadLetter(ctx context.Context, e eventlog.RecordedEvent, reason string, cause error) (DeadLettered, error) {
	consumer := DeadLetterConsumer(p.opts.Name)
	dl := bus.DeadLetterOfEvent(consumer, e, reason, cause, 1)
	msgID := bus.DeadLetterMsgID(consumer, uint64(e.Position))
	ack, err := bus.PublishDeadLetter(ctx, p.js, dl, msgID)
	if err != nil {
		return DeadLettered{}, fmt.Errorf("projection %s: dead letter of event %s at %d not written: %w", p.opts.Name, e.ID, e.Position, err)
	}
	if !ack.Duplicate {
		slog.Warn("projection: event dead-lettered", "projection", p.opts.Name, "reason", reason,
			"event_type", e.Type, "event_id", e.ID, "complaint_id", e.Metadata.ComplaintID,
			"position", e.Position, "dead_letter_seq", ack.Sequence, "err", dl.Error)
	}
	return DeadLettered{Position: e.Position, EventID: e.ID, EventType: e.Type, Reason: reason, Error: dl.Error, At: dl.At}, nil
}

// running holds the projections that run, by the NATS connection they use,
// for a process's health check (Running).
var running = struct {
	sync.Mutex
	by map[*nats.Conn]map[statuser]struct{}
}{by: map[*nats.Conn]map[statuser]struct{}{}}

type statuser interface{ Status() Status }

func register(nc *nats.Conn, p statuser) (unregister func()) {
	running.Lock()
	defer running.Unlock()
	if running.by[nc] == nil {
		running.by[nc] = map[statuser]struct{}{}
	}
	running.by[nc][p] = struct{}{}
	return func() {
		running.Lock()
		defer running.Unlock()
		delete(running.by[nc], p)
		if len(running.by[nc]) == 0 {
			delete(running.by, nc)
		}
	}
}

// Running is the status of every projection running (in Run) over a
// JetStream made on nc, by name.
func Running(nc *nats.Conn) []Status {
	running.Lock()
	ps := make([]statuser, 0, len(running.by[nc]))
	for p := range running.by[nc] {
		ps = append(ps, p)
	}
	running.Unlock()
	out := make([]Status, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Status())
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Name, b.Name) })
	return out
}
