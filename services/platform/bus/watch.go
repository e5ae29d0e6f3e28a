package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// watch keeps the durable alive: when the server says it was deleted (an
// operator's mistake), or a periodic check finds it gone, it is created again
// from the last position this consumer acknowledged, and consumption goes on.
// If that fails the consumer reports itself unhealthy until it succeeds.
type watch struct {
	c      *Consumer
	kick   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context // ends when the watch stops
	cancel context.CancelFunc

	mu        sync.Mutex
	cc        jetstream.ConsumeContext
	unhealthy error
}

func (w *watch) start(cons jetstream.Consumer) error {
	w.c.acks.startAfter(cons.CachedInfo().AckFloor.Stream)
	w.ctx, w.cancel = context.WithCancel(w.c.runCtx)
	if err := w.consume(cons); err != nil {
		return err
	}
	w.wg.Add(1)
	go w.loop()
	return nil
}

func (w *watch) consume(cons jetstream.Consumer) error {
	// The pinned instance's pulls must reach the server more often than
	// PinnedTTL, even when no event comes, or the pin would move.
	expiry := max(w.c.sub.PinnedTTL/3, time.Second)
	cc, err := cons.Consume(w.c.dispatch, jetstream.PullPriorityGroup(PriorityGroup), jetstream.PullExpiry(expiry), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
			errors.Is(err, jetstream.ErrNoHeartbeat) {
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}))
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.cc = cc
	w.mu.Unlock()
	return nil
}

func (w *watch) loop() {
	defer w.wg.Done()
	t := time.NewTicker(w.c.sub.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		case <-w.kick:
		}
		w.check()
	}
}

// settle is how long the watch waits, once it finds the durable gone, before
// creating it again: the server tells pulls the durable was deleted before it
// has removed the durable's stored state, and a durable created again in that
// window would inherit the old state.
const settle = 250 * time.Millisecond

// check looks the durable up and creates it again if it is gone.
func (w *watch) check() {
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	if !w.gone(ctx) {
		return
	}
	w.mu.Lock()
	if w.cc != nil {
		w.cc.Stop()
		w.cc = nil
	}
	w.mu.Unlock()
	start := w.c.acks.resumeFrom()
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		select {
		case <-time.After(settle):
		case <-ctx.Done():
			return struct{}{}, backoff.Permanent(ctx.Err())
		}
		cons, err := w.c.js.Consumer(ctx, natswire.StreamName, w.c.sub.Durable)
		if err == nil {
			return struct{}{}, w.consume(cons) // another replica created it again
		}
		if !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return struct{}{}, err
		}
		cons, err = w.c.js.CreateConsumer(ctx, natswire.StreamName, w.c.consumerConfig(start))
		if err != nil {
			return struct{}{}, err
		}
		if i := cons.CachedInfo(); i.Delivered.Consumer != 0 || i.NumAckPending != 0 {
			// Created while the old one's state was still being removed.
			_ = w.c.js.DeleteConsumer(ctx, natswire.StreamName, w.c.sub.Durable)
			return struct{}{}, errors.New("the durable created again inherited the deleted one's state")
		}
		return struct{}{}, w.consume(cons)
	}, backoff.WithMaxTries(5), backoff.WithBackOff(backoff.NewConstantBackOff(settle)))

	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.unhealthy = fmt.Errorf("bus: durable consumer %s was deleted and cannot be created again: %w", w.c.sub.Durable, err)
		w.c.sub.Logger.Error("bus: durable consumer deleted; recreating it failed", "consumer", w.c.sub.Durable, "err", err)
		// Try again at the next check.
		return
	}
	w.unhealthy = nil
	w.c.metrics.recreated.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("consumer", w.c.sub.Durable)))
	w.c.sub.Logger.Warn("bus: durable consumer was deleted while running; created again from its last acknowledged position",
		"consumer", w.c.sub.Durable, "start_stream_seq", start)
}

// gone says whether the durable (or its whole stream) is missing on the
// server, not merely unreachable, which the host's own health shows.
func (w *watch) gone(ctx context.Context) bool {
	_, err := w.c.js.Consumer(ctx, natswire.StreamName, w.c.sub.Durable)
	return errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound)
}

func (w *watch) stop() {
	close(w.done)
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
	w.mu.Lock()
	cc := w.cc
	w.mu.Unlock()
	if cc != nil {
		cc.Drain()
		<-cc.Closed()
	}
}

func (w *watch) health() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.unhealthy
}

// Healthy is nil while the consumer runs on its durable; an error when the
// durable was deleted and could not be created again.
func (c *Consumer) Healthy() error {
	if c.watch == nil {
		return nil
	}
	return c.watch.health()
}

// ackFloor knows where a recreated durable must start: the lowest stream
// sequence still in hand, else the one after the highest acknowledged.
// Starting a little early is harmless: handlers are idempotent.
type ackFloor struct {
	mu       sync.Mutex
	inFlight map[uint64]int
	highest  uint64 // highest stream sequence acknowledged
}

func newAckFloor() *ackFloor { return &ackFloor{inFlight: map[uint64]int{}} }

func (a *ackFloor) startAfter(seq uint64) {
	a.mu.Lock()
	a.highest = max(a.highest, seq)
	a.mu.Unlock()
}

func (a *ackFloor) started(seq uint64) {
	a.mu.Lock()
	a.inFlight[seq]++
	a.mu.Unlock()
}

func (a *ackFloor) finished(seq uint64) {
	a.mu.Lock()
	if a.inFlight[seq]--; a.inFlight[seq] <= 0 {
		delete(a.inFlight, seq)
	}
	a.mu.Unlock()
}

func (a *ackFloor) acked(seq uint64) {
	a.mu.Lock()
	a.highest = max(a.highest, seq)
	a.mu.Unlock()
}

func (a *ackFloor) resumeFrom() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	from := a.highest + 1
	for seq := range a.inFlight {
		from = min(from, seq)
	}
	return from
}
