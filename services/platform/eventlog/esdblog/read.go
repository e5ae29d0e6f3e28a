package esdblog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// lastRevision is the Revision of a stream's last event; false when the
// stream has no event.
func (l *Log) lastRevision(ctx context.Context, stream string) (eventlog.Revision, bool, error) {
	rs, err := l.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return 0, false, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	switch {
	case errors.Is(err, io.EOF), isCode(err, esdb.ErrorCodeResourceNotFound):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return toRevision(ev.OriginalEvent().EventNumber), true, nil
}

// readOne reads the event of a stream at an EventStoreDB revision; nil when
// there is none.
func (l *Log) readOne(ctx context.Context, stream string, at esdb.StreamPosition) (*esdb.RecordedEvent, error) {
	rs, err := l.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: at}, 1)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	switch {
	case errors.Is(err, io.EOF), isCode(err, esdb.ErrorCodeResourceNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return ev.OriginalEvent(), nil
}

// ReadStream implements eventlog.Log.
func (l *Log) ReadStream(ctx context.Context, stream string, after eventlog.Revision) ([]eventlog.RecordedEvent, error) {
	if _, _, err := eventlog.SplitStream(stream); err != nil {
		return nil, err
	}
	evs, err := l.readStream(ctx, stream, after, false)
	if err != nil {
		return nil, err
	}
	out := make([]eventlog.RecordedEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.ev)
	}
	return out, nil
}

// timelineEvent is an event with what ReadTimeline orders it by.
type timelineEvent struct {
	ev       eventlog.RecordedEvent
	created  time.Time
	knownPos bool
}

// readStream reads a stream forward from after; ErrStreamNotFound when the
// stream has no event. With resolve, links are followed and the linked
// events returned (links to deleted events are left out).
func (l *Log) readStream(ctx context.Context, stream string, after eventlog.Revision, resolve bool) ([]timelineEvent, error) {
	rs, err := l.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{
		Direction:      esdb.Forwards,
		From:           readFrom(after),
		ResolveLinkTos: resolve,
	}, math.MaxInt64)
	if err != nil {
		return nil, l.failRead(ctx, stream, err)
	}
	defer rs.Close()
	var out []timelineEvent
	for {
		re, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if isCode(err, esdb.ErrorCodeResourceNotFound) || isCode(err, esdb.ErrorCodeStreamDeleted) {
			return nil, fmt.Errorf("%w: %s", eventlog.ErrStreamNotFound, stream)
		}
		if err != nil {
			return nil, l.failRead(ctx, stream, err)
		}
		r := re.Event
		if r == nil {
			continue
		}
		ev, err := fromRecorded(r)
		if err != nil {
			return nil, err
		}
		_, known := positionOf(r.Position)
		out = append(out, timelineEvent{ev: ev, created: r.CreatedDate, knownPos: known})
	}
}

// failRead is the error of a failed read of stream.
func (l *Log) failRead(ctx context.Context, stream string, err error) error {
	r := rightRead
	if strings.HasPrefix(stream, "$bc-") {
		r = rightReadBC
	}
	return l.fail(ctx, "read "+stream, r, err)
}

// ReadTimeline implements eventlog.Log (see the package comment for how).
func (l *Log) ReadTimeline(ctx context.Context, complaintID string) ([]eventlog.RecordedEvent, error) {
	if !eventlog.ValidID(complaintID) {
		return nil, fmt.Errorf("%w: complaint id %q", eventlog.ErrInvalidStreamName, complaintID)
	}
	seen := map[string]int{}
	var all []timelineEvent
	add := func(evs []timelineEvent) {
		for _, e := range evs {
			if !isLogEvent(e.ev.Stream, e.ev.Type) {
				continue
			}
			if i, ok := seen[e.ev.ID]; ok {
				if !all[i].knownPos && e.knownPos {
					all[i] = e
				}
				continue
			}
			seen[e.ev.ID] = len(all)
			all = append(all, e)
		}
	}
	for _, c := range l.categories {
		evs, err := l.readStream(ctx, eventlog.StreamName(c, complaintID), eventlog.FromStart, false)
		if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil, err
		}
		add(evs)
	}
	bc, err := l.readStream(ctx, "$bc-"+complaintID, eventlog.FromStart, true)
	if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil, err
	}
	add(bc)
	if l.scanAll {
		evs, err := l.scanTimeline(ctx, complaintID)
		if err != nil {
			return nil, err
		}
		add(evs)
	}
	sortTimeline(all)
	out := make([]eventlog.RecordedEvent, 0, len(all))
	for _, e := range all {
		out = append(out, e.ev)
	}
	return out, nil
}

// sortTimeline orders events by position when every position is known,
// otherwise by the time the server recorded them; events of one stream
// always keep their order.
func sortTimeline(evs []timelineEvent) {
	byPos := true
	for _, e := range evs {
		if !e.knownPos {
			byPos = false
			break
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.ev.Stream == b.ev.Stream {
			return a.ev.Revision < b.ev.Revision
		}
		if byPos {
			return a.ev.Position < b.ev.Position
		}
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		return a.ev.Stream < b.ev.Stream
	})
}

// scanTimeline reads $all, filtered on the server to the streams named
// "<category>-<complaint id>", up to the last event written when it starts.
func (l *Log) scanTimeline(ctx context.Context, complaintID string) ([]timelineEvent, error) {
	end, err := l.lastPosition(ctx)
	if err != nil || end == nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := l.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From: esdb.Start{},
		Filter: &esdb.SubscriptionFilter{
			Type:  esdb.StreamFilterType,
			Regex: "^[A-Za-z0-9_]+-" + regexp.QuoteMeta(complaintID) + "$",
		},
	})
	if err != nil {
		return nil, l.fail(ctx, "scan $all", rightReadAll, err)
	}
	defer sub.Close()
	var out []timelineEvent
	for {
		m := sub.Recv()
		switch {
		case m.EventAppeared != nil:
			r := m.EventAppeared.Event
			if r == nil {
				continue
			}
			if r.Position.Commit > end.Commit {
				return out, nil
			}
			ev, err := fromRecorded(r)
			if err != nil {
				return nil, err
			}
			out = append(out, timelineEvent{ev: ev, created: r.CreatedDate, knownPos: true})
			if r.Position.Commit == end.Commit {
				return out, nil
			}
		case m.CheckPointReached != nil:
			if m.CheckPointReached.Commit >= end.Commit {
				return out, nil
			}
		case m.CaughtUp != nil:
			return out, nil
		case m.SubscriptionDropped != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, l.fail(ctx, "scan $all", rightReadAll, m.SubscriptionDropped.Error)
		}
	}
}
