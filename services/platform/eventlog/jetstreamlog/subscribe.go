package jetstreamlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Subscribe implements eventlog.Log with an ordered consumer, which JetStream
// recreates from the last delivered sequence if it ever loses it: the
// subscription never needs to resume it, so every failure of the feed ends
// it.
func (l *Log) Subscribe(ctx context.Context, after eventlog.Position, filter eventlog.Filter, handle func(context.Context, eventlog.RecordedEvent) error) (eventlog.Subscription, error) {
	sub, err := l.subs.Run(ctx, l.openFeed, after, filter, handle, eventlog.SubscriptionOptions{})
	if errors.Is(err, eventlog.ErrSubscriptionsClosed) {
		return nil, ErrClosed
	}
	return sub, err
}

// openFeed starts an ordered consumer on the events after position after,
// narrowed to the filter's categories on the server.
func (l *Log) openFeed(ctx context.Context, after eventlog.Position, filter eventlog.Filter) (eventlog.Feed, error) {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	// After the last event of a message, from the next message; after an
	// event inside one, from that message, whose events up to after are
	// passed over.
	if seq, last := natswire.SequenceOf(after); seq > 0 && last {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = seq + 1
	} else if seq > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = seq
	}
	for _, c := range filter.Categories {
		cfg.FilterSubjects = append(cfg.FilterSubjects, natswire.CategorySubject(c))
	}
	cons, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: subscribe: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("jetstreamlog: subscribe: %w", err)
	}
	// The iterator's Next waits without a context: stop the iterator when
	// the subscription ends, which makes Next return.
	context.AfterFunc(ctx, it.Stop)
	return &feed{it: it, after: after}, nil
}

// feed reads an ordered consumer's messages, and hands out their events one
// by one.
type feed struct {
	it jetstream.MessagesContext
	// after is the position the feed resumes after: events up to it are
	// passed over.
	after   eventlog.Position
	pending []eventlog.RecordedEvent
}

func (f *feed) Next(ctx context.Context) (eventlog.RecordedEvent, error) {
	for len(f.pending) == 0 {
		m, err := f.it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return eventlog.RecordedEvent{}, ctx.Err()
			}
			return eventlog.RecordedEvent{}, fmt.Errorf("jetstreamlog: subscription: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return eventlog.RecordedEvent{}, fmt.Errorf("jetstreamlog: subscription: %w", err)
		}
		events, err := decode(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
		if err != nil {
			return eventlog.RecordedEvent{}, err
		}
		for _, e := range events {
			if e.Position > f.after {
				f.pending = append(f.pending, e)
			}
		}
	}
	e := f.pending[0]
	f.pending = f.pending[1:]
	return e, nil
}

func (f *feed) Close() { f.it.Stop() }
