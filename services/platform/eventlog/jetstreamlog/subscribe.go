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
// recreates from the last delivered sequence if it ever loses it.
func (l *Log) Subscribe(ctx context.Context, after eventlog.Position, filter eventlog.Filter, handle func(context.Context, eventlog.RecordedEvent) error) (eventlog.Subscription, error) {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if after > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = uint64(after) + 1
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
	ctx, cancel := context.WithCancel(ctx)
	s := &subscription{cancel: cancel, done: make(chan struct{}), it: it}
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	go func() {
		defer close(s.done)
		defer cancel()
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					s.err = fmt.Errorf("jetstreamlog: subscription: %w", err)
				}
				return
			}
			meta, err := m.Metadata()
			if err != nil {
				s.err = err
				return
			}
			e, err := decode(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
			if err != nil {
				s.err = err
				return
			}
			if !filter.Matches(e.Stream, e.Type) {
				continue
			}
			if err := handle(ctx, e); err != nil {
				if ctx.Err() == nil {
					s.err = err
				}
				return
			}
		}
	}()
	return s, nil
}

type subscription struct {
	cancel context.CancelFunc
	done   chan struct{}
	it     jetstream.MessagesContext
	err    error
}

func (s *subscription) Stop()                 { s.cancel(); <-s.done }
func (s *subscription) Done() <-chan struct{} { return s.done }
func (s *subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}
