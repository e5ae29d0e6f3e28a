package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/complaintflow/complaintflow/services/platform/bus/writers"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Reasons an event is dead-lettered, as the metric and the dead letter name
// them.
const (
	ReasonUndecodable = "undecodable" // no event id or type, or a payload its type cannot read
	ReasonForged      = "forged"      // not from the service allowed to write it (see writers)
	ReasonRefused     = "refused"     // the domain refused it (*decider.Refusal)
	ReasonPermanent   = "permanent"   // the handler said it will never succeed (backoff.Permanent)
	ReasonPanic       = "panic"       // the handler panicked: a broken invariant
	ReasonExhausted   = "exhausted"   // still failing after the last attempt or delivery
)

// IsPermanent says whether a handler's error means the event will never be
// handled, whatever the retries: a domain refusal or an error marked with
// backoff.Permanent.
func IsPermanent(err error) bool { return permanentReason(err) != "" }

func permanentReason(err error) string {
	var perm *backoff.PermanentError
	switch {
	case err == nil:
		return ""
	case isRefusal(err):
		return ReasonRefused
	case errors.As(err, &perm):
		return ReasonPermanent
	case errors.As(err, new(*panicError)):
		return ReasonPanic
	}
	return ""
}

// CheckWriter is the default authentication of events: the category, type and
// Event-Service header must agree with the writers table.
func CheckWriter(category string, e eventlog.RecordedEvent) error {
	return writers.Check(category, e.Type, e.Metadata.Service)
}

// outcome is what became of one event.
type outcome struct {
	name     string // handled, ignored, dead-lettered, stopped
	reason   string // why dead-lettered
	err      error
	attempts int
}

// process handles the events of one delivered message (one, or an
// envelope's several, in order) and acknowledges it once each is handled or
// dead-lettered, or leaves it for the next run when the consumer stops:
// the events of it already handled are then delivered again, which the
// handlers, idempotent, take in their stride.
func (c *Consumer) process(ctx context.Context, w *worker, msg jetstream.Msg) {
	started := time.Now()
	md, err := msg.Metadata()
	if err != nil {
		c.sub.Logger.Error("bus: message without metadata", "consumer", c.sub.Durable, "err", err)
		return
	}
	seq := md.Sequence.Stream
	defer c.acks.finished(seq)
	if ctx.Err() != nil {
		return // stopping: the message is delivered again to whoever runs next
	}
	events, err := Decode(msg)
	if err != nil {
		out := outcome{name: outcomeDeadLettered, reason: ReasonUndecodable, err: err}
		dl := deadLetterOf(c.sub.Durable, msg.Subject(), msg.Headers(), msg.Data(), seq, out)
		if !c.deadLetter(ctx, dl, natswire.LastOfMessage(seq)) {
			return
		}
		c.ack(msg, seq)
		c.metrics.handled(ctx, c.sub.Durable, msg.Headers().Get(natswire.HeaderEventType), out.name, started)
		return
	}
	actx := WithAppend(ctx, events)
	for _, e := range events {
		var out outcome
		if md.NumDelivered > uint64(c.sub.Retry.MaxDeliveries) {
			out = outcome{name: outcomeDeadLettered, reason: ReasonExhausted,
				err: fmt.Errorf("delivered %d times without being handled", md.NumDelivered)}
		} else {
			out = c.handle(actx, msg.Subject(), e, func() {
				_ = msg.InProgress()
				w.touchQueued()
			})
		}
		switch out.name {
		case outcomeStopped:
			c.metrics.handled(context.WithoutCancel(ctx), c.sub.Durable, e.Type, out.name, started)
			return
		case outcomeDeadLettered:
			dl := deadLetterOf(c.sub.Durable, msg.Subject(), msg.Headers(), msg.Data(), seq, out)
			if len(events) > 1 {
				dl = envelopedDeadLetter(c.sub.Durable, msg.Subject(), e, seq, out)
			}
			if !c.deadLetter(ctx, dl, e.Position) {
				return
			}
		}
		c.metrics.handled(ctx, c.sub.Durable, e.Type, out.name, started)
	}
	c.ack(msg, seq)
}

type appendKey struct{}

// AppendOf gives a handler the events of the append that the event it
// handles came in with, in log order, that one included (nil outside a
// handler). A reaction may decide on several of them at once, as the clocks
// do when a complaint's receipt and acknowledgement were appended together;
// each event is still handed to it in turn, and it must be idempotent for
// each.
func AppendOf(ctx context.Context) []eventlog.RecordedEvent {
	events, _ := ctx.Value(appendKey{}).([]eventlog.RecordedEvent)
	return events
}

// WithAppend is ctx for a handler run on events of one append outside a
// consumer (a component test): AppendOf answers events.
func WithAppend(ctx context.Context, events []eventlog.RecordedEvent) context.Context {
	return context.WithValue(ctx, appendKey{}, events)
}

// deadLetter writes dl, the dead letter of the event at position pos, and
// says whether it is stored.
func (c *Consumer) deadLetter(ctx context.Context, dl DeadLetter, pos eventlog.Position) bool {
	if err := c.publishDeadLetter(ctx, dl, deadLetterMsgID(c.sub.Durable, uint64(pos))); err != nil {
		// Not acknowledged: the event comes back after AckWait and is
		// judged again.
		c.sub.Logger.Error("bus: cannot write dead letter", "consumer", c.sub.Durable, "stream_seq", dl.StreamSequence, "err", err)
		return false
	}
	return true
}

func (c *Consumer) ack(msg jetstream.Msg, seq uint64) {
	if err := msg.Ack(); err != nil {
		c.sub.Logger.Warn("bus: acknowledgement not sent", "consumer", c.sub.Durable, "stream_seq", seq, "err", err)
	} else {
		c.acks.acked(seq)
	}
}

const (
	outcomeHandled      = "handled"
	outcomeIgnored      = "ignored"
	outcomeDeadLettered = "dead-lettered"
	outcomeStopped      = "stopped"
)

// handle runs the handler on an event: type filter, payload check (a payload
// that is not its registered protobuf type can never be handled),
// authentication, then attempts with backoff until success, a permanent error, the last
// attempt, or the consumer stopping. keepAlive is called while attempts go
// on, at least every AckWait/3.
func (c *Consumer) handle(ctx context.Context, subject string, e eventlog.RecordedEvent, keepAlive func()) outcome {
	if len(c.wantType) > 0 && !c.wantType[e.Type] {
		return outcome{name: outcomeIgnored}
	}
	if err := checkPayload(e); err != nil {
		return outcome{name: outcomeDeadLettered, reason: ReasonUndecodable, err: err}
	}
	category, _, err := eventlog.SplitStream(e.Stream)
	if err == nil {
		err = sameStream(subject, e.Stream)
	}
	if err == nil {
		err = c.sub.Authenticate(category, e)
	}
	if err != nil {
		return outcome{name: outcomeDeadLettered, reason: ReasonForged, err: err}
	}

	// While the event takes long (a slow handler, or attempts going on), keep
	// it and the events queued behind it from being delivered again.
	defer keepAliveAfter(c.sub.AckWait/3, keepAlive)()
	attempts := 0
	reason := ""
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		err := c.call(ctx, e)
		if err == nil || ctx.Err() != nil {
			return struct{}{}, err
		}
		if reason = permanentReason(err); reason != "" {
			return struct{}{}, backoff.Permanent(err)
		}
		if attempts < c.sub.Retry.MaxAttempts {
			c.sub.Logger.Warn("bus: handler failed, will retry", "consumer", c.sub.Durable, "event_type", e.Type,
				"event_id", e.ID, "complaint_id", e.Metadata.ComplaintID, "attempt", attempts, "err", err)
		}
		return struct{}{}, err
	},
		backoff.WithBackOff(&backoff.ExponentialBackOff{
			InitialInterval: c.sub.Retry.InitialInterval, MaxInterval: c.sub.Retry.MaxInterval,
			Multiplier: 2, RandomizationFactor: 0.2,
		}),
		backoff.WithMaxTries(uint(c.sub.Retry.MaxAttempts)),
		backoff.WithMaxElapsedTime(0))
	switch {
	case err == nil:
		return outcome{name: outcomeHandled, attempts: attempts}
	case ctx.Err() != nil:
		return outcome{name: outcomeStopped, attempts: attempts, err: errStopping}
	case reason != "":
		return outcome{name: outcomeDeadLettered, reason: reason, err: err, attempts: attempts}
	default:
		return outcome{name: outcomeDeadLettered, reason: ReasonExhausted, err: err, attempts: attempts}
	}
}

// call runs the handler once, traced, turning a panic into a permanent error.
func (c *Consumer) call(ctx context.Context, e eventlog.RecordedEvent) (err error) {
	hctx := ctx
	var end func(error)
	if c.sub.Trace != nil {
		hctx, end = c.sub.Trace(ctx, e)
	}
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
			c.sub.Logger.Error("bus: handler panicked", "consumer", c.sub.Durable, "event_type", e.Type,
				"event_id", e.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		if end != nil {
			end(err)
		}
	}()
	return c.h(hctx, e)
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("handler panicked: %v", p.value) }

// keepAliveAfter calls f every d, starting d from now, until the returned
// stop is called. Handling that ends sooner costs one timer.
func keepAliveAfter(d time.Duration, f func()) (stop func()) {
	var mu sync.Mutex
	stopped := false
	var ticker *time.Ticker
	done := make(chan struct{})
	timer := time.AfterFunc(d, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		f()
		ticker = time.NewTicker(d)
		go func() {
			for {
				select {
				case <-ticker.C:
					f()
				case <-done:
					return
				}
			}
		}()
	})
	return func() {
		timer.Stop()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if ticker != nil {
			ticker.Stop()
			close(done)
		}
	}
}

// checkPayload verifies that a payload decodes as its type, when the type is
// a registered protobuf message (the catalogue's are).
func checkPayload(e eventlog.RecordedEvent) error {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(e.Type))
	if err != nil {
		return nil // not a protobuf type this program knows: its handler decides
	}
	if err := proto.Unmarshal(e.Data, mt.New().Interface()); err != nil {
		return fmt.Errorf("payload of %s: %w", e.Type, err)
	}
	return nil
}

// sameStream checks that the stream an event's headers name is the one of
// the subject it was published on (which NATS permissions guard).
func sameStream(subject, stream string) error {
	subjectStream, err := natswire.StreamFromSubject(subject)
	if err != nil {
		return err
	}
	if subjectStream != stream {
		category, _, _ := eventlog.SplitStream(subjectStream)
		return &writers.ForgedError{Category: category, Reason: "its headers name stream " + stream + ", not its subject's"}
	}
	return nil
}

func isRefusal(err error) bool {
	_, ok := decider.AsRefusal(err)
	return ok
}

// TrustEveryWriter accepts every event whatever its writer: for consumers of
// events outside the catalogue (tests), never for the services' own.
func TrustEveryWriter(string, eventlog.RecordedEvent) error { return nil }
