package jetstreamlog

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
	f := &feed{it: it, after: after, ahead: make(chan decoded, decodeAhead), free: make(chan []eventlog.RecordedEvent, 4), quit: make(chan struct{}), done: make(chan struct{})}
	if len(filter.EventTypes) > 0 {
		// The subscription hands over only these: the others need not be
		// built.
		f.dec.Keep = func(eventType string) bool { return slices.Contains(filter.EventTypes, eventType) }
	}
	go f.read()
	return f, nil
}

// decodeAhead is how many messages' events a feed decodes ahead of the
// subscription's handler.
const decodeAhead = 64

// slab is how many events a feed decodes into one allocation, which it
// uses again once the handler has had them all.
const slab = 512

// feed reads an ordered consumer's messages and hands out their events one
// by one. A goroutine reads and decodes the messages ahead of the handler,
// so that on more than one core the reading of the log and the folding of
// its events run side by side.
type feed struct {
	it jetstream.MessagesContext
	// after is the position the feed resumes after: events up to it are
	// passed over.
	after eventlog.Position
	dec   natswire.Decoder
	// ahead carries the events of each message read, in log order, and
	// lastly the failure that ended the reading.
	ahead chan decoded
	// free are the slabs whose events the handler has had, for the reader
	// to decode into again.
	free chan []eventlog.RecordedEvent
	// quit tells the reader the feed is closed; done is closed when it
	// has returned.
	quit, done chan struct{}
	pending    []eventlog.RecordedEvent
}

// decoded is the events of one message, or the failure that ends a feed.
type decoded struct {
	events []eventlog.RecordedEvent
	// err is a failure of the consumer when next is set, of the message
	// otherwise.
	err  error
	next bool
	// used, if set, is a slab the reader has gone past: once the events
	// sent before it are handed out, it may be used again.
	used []eventlog.RecordedEvent
}

// read decodes the consumer's messages into f.ahead until one fails or the
// feed is closed.
func (f *feed) read() {
	defer close(f.done)
	var buf []eventlog.RecordedEvent
	for {
		m, err := f.it.Next()
		if err != nil {
			f.send(decoded{err: err, next: true})
			return
		}
		meta, err := m.Metadata()
		if err != nil {
			f.send(decoded{err: err, next: true})
			return
		}
		if n := natswire.EventCount(m.Headers()); cap(buf)-len(buf) < n {
			if cap(buf) == slab && !f.send(decoded{used: buf}) {
				return
			}
			select {
			case buf = <-f.free:
				buf = buf[:0]
			default:
				buf = make([]eventlog.RecordedEvent, 0, slab)
			}
			if n > slab {
				buf = make([]eventlog.RecordedEvent, 0, n)
			}
		}
		from := len(buf)
		buf, err = f.dec.Append(buf, meta.Sequence.Stream, m.Subject(), m.Headers(), m.Data())
		if err != nil {
			f.send(decoded{err: err})
			return
		}
		events := buf[from:len(buf):len(buf)]
		for len(events) > 0 && events[0].Position <= f.after {
			events = events[1:]
		}
		if len(events) > 0 && !f.send(decoded{events: events}) {
			return
		}
	}
}

func (f *feed) send(d decoded) bool {
	select {
	case f.ahead <- d:
		return true
	case <-f.quit:
		return false
	}
}

func (f *feed) Next(ctx context.Context) (eventlog.RecordedEvent, error) {
	for len(f.pending) == 0 {
		var d decoded
		select {
		case d = <-f.ahead:
		case <-ctx.Done():
			return eventlog.RecordedEvent{}, ctx.Err()
		}
		switch {
		case d.err != nil && ctx.Err() != nil:
			return eventlog.RecordedEvent{}, ctx.Err()
		case d.err != nil && d.next:
			return eventlog.RecordedEvent{}, fmt.Errorf("jetstreamlog: subscription: %w", d.err)
		case d.err != nil:
			return eventlog.RecordedEvent{}, d.err
		case d.used != nil:
			select {
			case f.free <- d.used:
			default:
			}
		}
		f.pending = d.events
	}
	e := f.pending[0]
	f.pending = f.pending[1:]
	return e, nil
}

func (f *feed) Close() {
	close(f.quit)
	f.it.Stop()
	<-f.done
}
