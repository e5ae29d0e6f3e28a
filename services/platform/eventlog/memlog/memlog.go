// Package memlog is an event log held in memory, for tests of the layers
// above the log (repositories, projections, a service's components) that
// need no server.
//
// It keeps every promise of the eventlog port and no more, so that a test
// passing over it does not pass thanks to something a real log would not
// do. In particular it recognises a retried append only as the port
// promises: with NoStream or Exact(r), when the stream holds, right after
// revision r, events with the same ids in the same order; the retry writes
// nothing and answers the original result. With Any or StreamExists an event
// id already in the stream is written again. It refuses what the real logs
// refuse: an append of no event, an event without a type, an event id that
// is not a UUID or that appears twice in one append, an invalid stream name.
//
// Revisions count a stream's events from 1; positions count the log's
// events from 1. Everything is lost when the process ends.
package memlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ErrClosed is returned by every call made after Close.
var ErrClosed = errors.New("memlog: closed")

// Log is the in-memory event log. The zero value is not usable; call New.
type Log struct {
	mu      sync.Mutex
	closed  bool
	events  []eventlog.RecordedEvent // the whole log; events[i] has position i+1
	streams map[string][]int         // each stream's events, as indexes into events
	// byID names the streams of each complaint id, so that a timeline
	// reads the complaint's streams and not every stream of the log.
	byID map[string][]string
	// appended is closed and replaced by every append, to wake the
	// subscriptions waiting for new events.
	appended chan struct{}
	subs     eventlog.Subscriptions
	// id tells this log from every other: it is lost with the process.
	id string
}

var (
	_ eventlog.Log   = (*Log)(nil)
	_ eventlog.Named = (*Log)(nil)
)

// New returns an empty log.
func New() *Log {
	return &Log{streams: map[string][]int{}, byID: map[string][]string{}, appended: make(chan struct{}), id: uuid.NewString()}
}

// Origin implements eventlog.Named: kind "memlog", identity drawn when the
// log is made, so a position saved from one memory log is never taken for a
// position of another, even of an empty one.
func (l *Log) Origin(context.Context) (eventlog.Origin, error) {
	return eventlog.Origin{Kind: "memlog", ID: l.id}, nil
}

// Append implements eventlog.Log.
func (l *Log) Append(ctx context.Context, stream string, expected eventlog.ExpectedRevision, events ...eventlog.EventData) (eventlog.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventlog.AppendResult{}, err
	}
	_, streamID, err := eventlog.SplitStream(stream)
	if err != nil {
		return eventlog.AppendResult{}, err
	}
	if err := validate(events); err != nil {
		return eventlog.AppendResult{}, fmt.Errorf("memlog: append to %s: %w", stream, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return eventlog.AppendResult{}, ErrClosed
	}
	held := l.streams[stream]
	current := eventlog.Revision(len(held))
	after, checked := expectedAfter(expected)
	if checked {
		if res, ok := l.retried(held, after, events); ok {
			return res, nil
		}
	}
	switch {
	case checked && current != after,
		expected.IsStreamExists() && current == 0:
		return eventlog.AppendResult{}, &eventlog.WrongExpectedVersionError{
			Stream: stream, Expected: expected, Actual: current, HasActual: current > 0,
		}
	}
	for _, e := range events {
		current++
		l.events = append(l.events, eventlog.RecordedEvent{
			EventData: clone(e),
			Stream:    stream,
			Revision:  current,
			Position:  eventlog.Position(len(l.events) + 1),
		})
		held = append(held, len(l.events)-1)
	}
	if len(held) > 0 && current == eventlog.Revision(len(events)) {
		l.byID[streamID] = append(l.byID[streamID], stream)
	}
	l.streams[stream] = held
	close(l.appended)
	l.appended = make(chan struct{})
	return eventlog.AppendResult{NextRevision: current, Position: eventlog.Position(len(l.events))}, nil
}

// expectedAfter is the revision an expectation pins the append after, and
// whether it pins one at all (NoStream and Exact do).
func expectedAfter(e eventlog.ExpectedRevision) (eventlog.Revision, bool) {
	if r, ok := e.ExactRevision(); ok {
		return r, true
	}
	return 0, e.IsNoStream()
}

// retried reports whether the stream whose events are held holds, right
// after revision after, events with the ids of events in the same order,
// and if so the result of the append that wrote them.
func (l *Log) retried(held []int, after eventlog.Revision, events []eventlog.EventData) (eventlog.AppendResult, bool) {
	if uint64(len(held)) < uint64(after)+uint64(len(events)) {
		return eventlog.AppendResult{}, false
	}
	for i, e := range events {
		if l.events[held[int(after)+i]].ID != e.ID {
			return eventlog.AppendResult{}, false
		}
	}
	last := l.events[held[int(after)+len(events)-1]]
	return eventlog.AppendResult{NextRevision: last.Revision, Position: last.Position}, true
}

func validate(events []eventlog.EventData) error {
	if len(events) == 0 {
		return errors.New("append of no event")
	}
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if _, err := uuid.Parse(e.ID); err != nil {
			return fmt.Errorf("event id %q is not a UUID", e.ID)
		}
		if e.Type == "" || strings.HasPrefix(e.Type, "$") {
			return fmt.Errorf("event %s: type %q is empty or reserved", e.ID, e.Type)
		}
		if seen[e.ID] {
			return fmt.Errorf("event id %s appears twice in one append", e.ID)
		}
		seen[e.ID] = true
	}
	return nil
}

// clone copies an event's payload so that neither the writer nor a reader
// can change what the log holds.
func clone(e eventlog.EventData) eventlog.EventData {
	if e.Data != nil {
		e.Data = append([]byte{}, e.Data...)
	}
	return e
}

func cloneRecorded(e eventlog.RecordedEvent) eventlog.RecordedEvent {
	e.EventData = clone(e.EventData)
	return e
}

// ReadStream implements eventlog.Log.
func (l *Log) ReadStream(ctx context.Context, stream string, after eventlog.Revision) ([]eventlog.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, _, err := eventlog.SplitStream(stream); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	held := l.streams[stream]
	if len(held) == 0 {
		return nil, fmt.Errorf("%w: %s", eventlog.ErrStreamNotFound, stream)
	}
	var out []eventlog.RecordedEvent
	for _, i := range held[min(uint64(after), uint64(len(held))):] {
		out = append(out, cloneRecorded(l.events[i]))
	}
	return out, nil
}

// ReadTimeline implements eventlog.Log: the events of every stream whose id
// is the complaint's, in log order.
func (l *Log) ReadTimeline(ctx context.Context, complaintID string) ([]eventlog.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !eventlog.ValidID(complaintID) {
		return nil, fmt.Errorf("%w: complaint id %q", eventlog.ErrInvalidStreamName, complaintID)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	var idx []int
	for _, stream := range l.byID[complaintID] {
		idx = append(idx, l.streams[stream]...)
	}
	slices.Sort(idx) // log order
	out := make([]eventlog.RecordedEvent, 0, len(idx))
	for _, i := range idx {
		out = append(out, cloneRecorded(l.events[i]))
	}
	return out, nil
}

// Subscribe implements eventlog.Log.
func (l *Log) Subscribe(ctx context.Context, after eventlog.Position, filter eventlog.Filter, handle func(context.Context, eventlog.RecordedEvent) error) (eventlog.Subscription, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	sub, err := l.subs.Run(ctx, l.openFeed, after, filter, handle, eventlog.SubscriptionOptions{})
	if errors.Is(err, eventlog.ErrSubscriptionsClosed) {
		return nil, ErrClosed
	}
	return sub, err
}

func (l *Log) openFeed(_ context.Context, after eventlog.Position, _ eventlog.Filter) (eventlog.Feed, error) {
	return &feed{log: l, next: int(min(uint64(after), uint64(^uint(0)>>1)))}, nil
}

// feed reads the log from index next on, waiting for appends at its end.
type feed struct {
	log  *Log
	next int
}

func (f *feed) Next(ctx context.Context) (eventlog.RecordedEvent, error) {
	for {
		f.log.mu.Lock()
		if f.log.closed {
			f.log.mu.Unlock()
			return eventlog.RecordedEvent{}, ErrClosed
		}
		if f.next < len(f.log.events) {
			e := cloneRecorded(f.log.events[f.next])
			f.log.mu.Unlock()
			f.next++
			return e, nil
		}
		wake := f.log.appended
		f.log.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return eventlog.RecordedEvent{}, ctx.Err()
		}
	}
}

func (f *feed) Close() {}

// Close stops the running subscriptions and makes every later call fail
// with ErrClosed. What the log held is dropped.
func (l *Log) Close() error {
	l.subs.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		l.events, l.streams, l.byID = nil, nil, nil
		close(l.appended)
	}
	return nil
}
