package timer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// Fired is a timer delivered to its service.
type Fired struct {
	Service string
	ID      string
	// Due is the due time the timer was scheduled for. A firing whose due time
	// is not the deadline the service's state holds is stale (the timer was
	// rescheduled or cancelled after it fired) and must be ignored.
	Due time.Time
	// FireID is "<service>.<id>@<due>": the same for every delivery of one
	// firing. Use it as the idempotency key of the command the firing causes.
	FireID      string
	Kind        string
	Command     []byte
	ComplaintID string
	// ScheduledBy is who set the timer.
	ScheduledBy eventlog.Actor
	// Delivery counts the deliveries of this firing, from 1.
	Delivery uint64
}

// Actor is the actor to record on the events a firing causes: the scheduler,
// acting for the timer.
func (f Fired) Actor() eventlog.Actor {
	return eventlog.NewActor(eventlog.ActorScheduler, f.Service+"."+f.ID)
}

// Handler handles one firing. It must be idempotent (see the package
// documentation). Returning an error asks for redelivery later.
type Handler func(ctx context.Context, f Fired) error

// Consumer is a running consumer of a service's fired timers.
type Consumer struct {
	cc   jetstream.ConsumeContext
	once sync.Once
}

// Consume delivers the service's fired timers to h, one at a time, until ctx
// is done or Stop is called. It uses the durable consumer <service>-timers,
// shared by every replica of the service, which keeps its place across
// restarts.
func (ts *Timers) Consume(ctx context.Context, service string, h Handler) (*Consumer, error) {
	if err := checkToken("service", service); err != nil {
		return nil, err
	}
	cons, err := ts.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:       Durable(service),
		Description:   "fired timers of " + service,
		FilterSubject: FireSubject(service, "*"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 256,
	})
	if err != nil {
		return nil, fmt.Errorf("timer: consumer %s: %w", Durable(service), err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cc, err := cons.Consume(func(msg jetstream.Msg) { ts.handle(runCtx, service, h, msg) })
	if err != nil {
		cancel()
		return nil, fmt.Errorf("timer: consume %s: %w", Durable(service), err)
	}
	c := &Consumer{cc: cc}
	go func() {
		defer cancel()
		select {
		case <-ctx.Done():
			c.Stop()
		case <-cc.Closed():
		}
	}()
	return c, nil
}

// Stop ends consumption and waits for the firing in hand.
func (c *Consumer) Stop() {
	c.once.Do(func() {
		c.cc.Drain()
		<-c.cc.Closed()
	})
}

func (ts *Timers) handle(ctx context.Context, service string, h Handler, msg jetstream.Msg) {
	f, err := Decode(msg)
	if err == nil && f.Service != service {
		err = fmt.Errorf("timer: firing of %s's timer %s delivered to %s", f.Service, f.ID, service)
	}
	if err != nil {
		ts.logger.Error("timer: undecodable firing terminated", "consumer", Durable(service), "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	hctx := telemetry.ContextFromMetadata(ctx, eventlog.Metadata{
		TraceParent: msg.Headers().Get(natswire.HeaderTraceParent),
		TraceState:  msg.Headers().Get(natswire.HeaderTraceState),
	})
	hctx, span := telemetry.Tracer().Start(hctx, "timer "+f.ID,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("complaint.id", f.ComplaintID),
			attribute.String("timer.service", f.Service),
			attribute.String("timer.id", f.ID),
			attribute.String("timer.kind", f.Kind),
			attribute.String("timer.due", formatDue(f.Due)),
			attribute.Int64("timer.delivery", int64(f.Delivery)),
		))
	err = h(hctx, f)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: the firing is redelivered to whoever runs next
		}
		delay := min(100*time.Millisecond<<min(f.Delivery-1, 8), 30*time.Second)
		ts.logger.Warn("timer: handler failed, will retry", "consumer", Durable(service), "timer_id", f.ID,
			"complaint_id", f.ComplaintID, "delivery", f.Delivery, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
		return
	}
	_ = msg.Ack()
}

// Decode reads a fired timer from its message.
func Decode(msg jetstream.Msg) (Fired, error) {
	h := msg.Headers()
	f := Fired{
		Service:     h.Get(HeaderService),
		ID:          h.Get(HeaderID),
		FireID:      h.Get(HeaderFireID),
		Kind:        h.Get(HeaderKind),
		Command:     msg.Data(),
		ComplaintID: h.Get(natswire.HeaderComplaintID),
		ScheduledBy: eventlog.Actor(h.Get(natswire.HeaderActor)),
		Delivery:    1,
	}
	if f.Service == "" || f.ID == "" || f.FireID == "" {
		return Fired{}, errors.New("timer: firing lacks service, id or firing key")
	}
	// Where a firing comes from: a service may publish only its own fire and
	// schedule subjects (natsauth), and the server names the schedule a fired
	// message came from in Nats-Scheduler. A firing is believed only if its
	// subject, its headers and that schedule all name the same timer, so a
	// schedule set by one service cannot fire another's timer by naming it
	// as its target.
	if msg.Subject() != FireSubject(f.Service, f.ID) {
		return Fired{}, fmt.Errorf("timer: firing on %s names timer %s of %s", msg.Subject(), f.ID, f.Service)
	}
	if sched := h.Get(jetstream.SchedulerHeader); sched != "" && sched != ScheduleSubject(f.Service, f.ID) {
		return Fired{}, fmt.Errorf("timer: firing of %s's timer %s came from schedule %s", f.Service, f.ID, sched)
	}
	due, err := time.Parse(time.RFC3339Nano, h.Get(HeaderDue))
	if err != nil {
		return Fired{}, fmt.Errorf("timer: firing %s: due time: %w", f.ID, err)
	}
	f.Due = due
	if md, err := msg.Metadata(); err == nil {
		f.Delivery = md.NumDelivered
	}
	return f, nil
}
