package esdblog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// lastPosition is the position of the last event of $all; nil when empty.
func (l *Log) lastPosition(ctx context.Context) (*esdb.Position, error) {
	rs, err := l.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return nil, l.fail(ctx, "read $all", rightReadAll, err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, l.fail(ctx, "read $all", rightReadAll, err)
	}
	p := ev.OriginalEvent().Position
	return &p, nil
}

// Subscribe implements eventlog.Log. It runs as eventlog.RunSubscription
// over one catch-up subscription to $all at a time: a dropped one is
// resumed after the last event delivered, unless resuming cannot help
// (access denied, unauthenticated, closed, unsupported).
func (l *Log) Subscribe(ctx context.Context, after eventlog.Position, filter eventlog.Filter, handle func(context.Context, eventlog.RecordedEvent) error) (eventlog.Subscription, error) {
	sub, err := l.subs.Run(ctx, l.openFeed, after, filter, handle, eventlog.SubscriptionOptions{
		Transient: func(err error) bool { return !permanent(err) },
		OnResume: func(after eventlog.Position, err error) {
			l.logger.Warn("subscription to $all dropped, resuming", "after", uint64(after), "err", err)
		},
		ResumeDelay: resubscribeDelay,
		MaxBackoff:  5 * time.Second,
	})
	if errors.Is(err, eventlog.ErrSubscriptionsClosed) {
		return nil, errors.New("esdblog: log closed")
	}
	return sub, err
}

// resubscribeDelay is the least wait before resubscribing after a drop, so
// that a server dropping every subscription at once is not hammered.
const resubscribeDelay = 100 * time.Millisecond

func (l *Log) openFeed(ctx context.Context, after eventlog.Position, filter eventlog.Filter) (eventlog.Feed, error) {
	sub, err := l.subscribeAll(ctx, after, filter)
	if err != nil {
		return nil, err
	}
	return &allFeed{log: l, sub: sub}, nil
}

func (l *Log) subscribeAll(ctx context.Context, after eventlog.Position, filter eventlog.Filter) (feed, error) {
	sub, err := l.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   subscribeFrom(after),
		Filter: subscriptionFilter(filter),
	})
	if err != nil {
		return nil, l.fail(ctx, fmt.Sprintf("subscribe to $all after %d", after), rightReadAll, err)
	}
	return sub, nil
}

// allFeed is the eventlog.Feed of one catch-up subscription to $all: the
// events of the complaint log, system events left out.
type allFeed struct {
	log *Log
	sub feed
}

// Next implements eventlog.Feed.
func (f *allFeed) Next(ctx context.Context) (eventlog.RecordedEvent, error) {
	for {
		m := f.sub.Recv()
		if m.SubscriptionDropped != nil {
			if err := ctx.Err(); err != nil {
				return eventlog.RecordedEvent{}, err
			}
			err := m.SubscriptionDropped.Error
			if isCode(err, esdb.ErrorCodeAccessDenied) {
				return eventlog.RecordedEvent{}, f.log.refused(ctx, "subscription to $all", rightReadAll, err)
			}
			return eventlog.RecordedEvent{}, fmt.Errorf("esdblog: subscription to $all dropped: %w", err)
		}
		if m.EventAppeared == nil || m.EventAppeared.Event == nil {
			continue
		}
		r := m.EventAppeared.Event
		if !isLogEvent(r.StreamID, r.EventType) {
			continue
		}
		pos, ok := positionOf(r.Position)
		if !ok {
			continue
		}
		ev, err := fromRecorded(r)
		if err != nil {
			f.log.logger.Warn("event metadata unreadable, delivered without it", "stream", r.StreamID, "id", r.EventID.String(), "err", err)
			ev = eventlog.RecordedEvent{
				EventData: eventlog.EventData{ID: r.EventID.String(), Type: r.EventType, Data: r.Data},
				Stream:    r.StreamID,
				Revision:  toRevision(r.EventNumber),
			}
		}
		ev.Position = pos
		return ev, nil
	}
}

// Close implements eventlog.Feed.
func (f *allFeed) Close() { _ = f.sub.Close() }
