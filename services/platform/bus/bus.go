// Package bus is how a service learns of other services' events: a JetStream
// durable consumer on the complaint-events stream, whatever the log adapter
// (with JetStream the log stream is the bus; with EventStoreDB the relay fills
// it). Delivery is at least once, so every handler must be idempotent.
package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Handler handles one event. Returning an error asks for redelivery later.
type Handler func(ctx context.Context, e eventlog.RecordedEvent) error

// Subscription describes a durable consumer.
type Subscription struct {
	// Durable is the consumer's name: it keeps its place across restarts and is
	// shared by every replica of the service.
	Durable string
	// Categories limits delivery to streams of these categories.
	Categories []string
	// EventTypes limits handling to these event types; others are acknowledged
	// without calling the handler.
	EventTypes []string
	// Workers handle events of different complaints in parallel; events of one
	// complaint are handled in order by one worker. Default 16.
	Workers int
	// Trace, when set, wraps each handling in a span built from the event's
	// trace context.
	Trace  func(ctx context.Context, e eventlog.RecordedEvent) (context.Context, func(error))
	Logger *slog.Logger

	duration metric.Float64Histogram
}

// Consumer is a running durable consumer.
type Consumer struct {
	cc      jetstream.ConsumeContext
	cancel  context.CancelFunc
	workers []chan jetstream.Msg
	wg      sync.WaitGroup
	once    sync.Once
}

// Consume starts handling events for sub until ctx is done or Stop is called.
func Consume(ctx context.Context, js jetstream.JetStream, sub Subscription, h Handler) (*Consumer, error) {
	if sub.Durable == "" {
		return nil, errors.New("bus: durable name required")
	}
	if sub.Workers <= 0 {
		sub.Workers = 16
	}
	if sub.Logger == nil {
		sub.Logger = slog.Default()
	}
	var err error
	if sub.duration, err = handleDuration(); err != nil {
		return nil, fmt.Errorf("bus: metrics: %w", err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       sub.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 4096,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	for _, c := range sub.Categories {
		cfg.FilterSubjects = append(cfg.FilterSubjects, natswire.CategorySubject(c))
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, natswire.StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("bus: consumer %s: %w", sub.Durable, err)
	}
	wantType := map[string]bool{}
	for _, t := range sub.EventTypes {
		wantType[t] = true
	}
	runCtx, cancel := context.WithCancel(ctx)
	c := &Consumer{cancel: cancel}
	for range sub.Workers {
		ch := make(chan jetstream.Msg, 64)
		c.workers = append(c.workers, ch)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for msg := range ch {
				handle(runCtx, sub, wantType, h, msg)
			}
		}()
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		key := msg.Headers().Get(natswire.HeaderComplaintID)
		if key == "" {
			key = msg.Subject()
		}
		f := fnv.New32a()
		f.Write([]byte(key))
		c.workers[f.Sum32()%uint32(len(c.workers))] <- msg
	})
	if err != nil {
		c.stopWorkers()
		return nil, fmt.Errorf("bus: consume %s: %w", sub.Durable, err)
	}
	c.cc = cc
	go func() {
		<-runCtx.Done()
		c.Stop()
	}()
	return c, nil
}

// Stop ends consumption and waits for in-flight handlers.
func (c *Consumer) Stop() {
	c.once.Do(func() {
		c.cc.Drain()
		<-c.cc.Closed()
		c.stopWorkers()
	})
}

func (c *Consumer) stopWorkers() {
	c.cancel()
	for _, ch := range c.workers {
		close(ch)
	}
	c.wg.Wait()
}

// handleDuration measures event handling, by consumer, event type and
// outcome (handled, retry, terminated, stopped), on the meter provider in
// place when the consumer starts.
func handleDuration() (metric.Float64Histogram, error) {
	return otel.GetMeterProvider().Meter("github.com/complaintflow/complaintflow/services/platform/bus").
		Float64Histogram("complaints.bus.handle.duration",
			metric.WithUnit("s"), metric.WithDescription("Time to handle one event delivered to a durable consumer"))
}

func record(ctx context.Context, sub Subscription, eventType, outcome string, started time.Time) {
	sub.duration.Record(ctx, time.Since(started).Seconds(), metric.WithAttributes(
		attribute.String("consumer", sub.Durable), attribute.String("event.type", eventType), attribute.String("outcome", outcome)))
}

func handle(ctx context.Context, sub Subscription, wantType map[string]bool, h Handler, msg jetstream.Msg) {
	started := time.Now()
	e, err := Decode(msg)
	if err != nil {
		sub.Logger.Error("bus: undecodable message terminated", "consumer", sub.Durable, "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		record(ctx, sub, msg.Headers().Get(natswire.HeaderEventType), "terminated", started)
		return
	}
	if len(wantType) > 0 && !wantType[e.Type] {
		_ = msg.Ack()
		return
	}
	hctx := ctx
	var end func(error)
	if sub.Trace != nil {
		hctx, end = sub.Trace(ctx, e)
	}
	err = h(hctx, e)
	if end != nil {
		end(err)
	}
	if err != nil {
		if ctx.Err() != nil {
			record(context.WithoutCancel(ctx), sub, e.Type, "stopped", started)
			return // stopping: the message is redelivered to whoever runs next
		}
		delay := redeliveryDelay(msg)
		sub.Logger.Warn("bus: handler failed, will retry", "consumer", sub.Durable, "event_type", e.Type,
			"event_id", e.ID, "complaint_id", e.Metadata.ComplaintID, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
		record(ctx, sub, e.Type, "retry", started)
		return
	}
	_ = msg.Ack()
	record(ctx, sub, e.Type, "handled", started)
}

func redeliveryDelay(msg jetstream.Msg) time.Duration {
	n := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		n = md.NumDelivered
	}
	d := 100 * time.Millisecond << min(n-1, 8)
	return min(d, 30*time.Second)
}

// Decode reads a bus message as a recorded event. The position is the one the
// relay stamped from the production log when present, else the stream sequence.
func Decode(msg jetstream.Msg) (eventlog.RecordedEvent, error) {
	e, err := natswire.Decode(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		return e, err
	}
	md, err := msg.Metadata()
	if err != nil {
		return e, err
	}
	e.Position = eventlog.Position(md.Sequence.Stream)
	e.Revision = eventlog.Revision(md.Sequence.Stream)
	h := msg.Headers()
	if p, err := strconv.ParseUint(h.Get(natswire.HeaderLogPosition), 10, 64); err == nil {
		e.Position = eventlog.Position(p)
	}
	if r, err := strconv.ParseUint(h.Get(natswire.HeaderLogRevision), 10, 64); err == nil {
		e.Revision = eventlog.Revision(r)
	}
	return e, nil
}
