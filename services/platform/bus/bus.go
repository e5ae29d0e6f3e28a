// Package bus is how a service learns of other services' events: a JetStream
// durable consumer on the complaint-events stream, whatever the log adapter
// (with JetStream the log stream is the bus; with EventStoreDB the relay fills
// it). Delivery is at least once, so every handler must be idempotent.
//
// Events of one complaint are handled in log order. Each complaint belongs to
// one worker; when its handler fails, that worker retries the event in place
// with backoff (telling the server the event is still in progress) while the
// other workers go on, so a later event of the same complaint never overtakes
// a failed one. An event that cannot be handled (undecodable, forged, refused
// by the domain, a permanent error, or still failing after the last attempt)
// goes to the dead-letter stream and the consumer goes on past it; an
// operator can re-drive it to the same consumer's handler later.
package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Handler handles one event. An error that is not permanent (see
// IsPermanent) asks for another attempt after a backoff; a permanent one, or
// the last attempt's error, sends the event to the dead letters.
type Handler func(ctx context.Context, e eventlog.RecordedEvent) error

// Subscription describes a durable consumer.
type Subscription struct {
	// Durable is the consumer's name: it keeps its place across restarts and is
	// shared by every replica of the service. It also names the consumer's
	// dead letters and re-drive subject, so it is one subject token.
	Durable string
	// Categories limits delivery to streams of these categories.
	Categories []string
	// EventTypes limits handling to these event types; others are acknowledged
	// without calling the handler.
	EventTypes []string
	// Replaces names the durables this one takes the place of (a service that
	// merged several consumers into one). When this durable does not exist
	// yet, it starts after the lowest acknowledgement floor among those of
	// them that exist, so that no event one of them had still to handle is
	// missed; events some of them had handled are handled again, which the
	// idempotent handlers take in their stride. The replaced durables are
	// left alone: the operator deletes them.
	Replaces []string
	// Workers handle events of different complaints in parallel; events of one
	// complaint are handled in order by one worker. Default 16.
	Workers int
	// Retry bounds the attempts at one event; zero fields take DefaultRetry's.
	Retry Retry
	// Authenticate checks that an event comes from the service allowed to
	// write it, before the handler sees it; an error dead-letters the event as
	// forged. Nil means CheckWriter (the catalogue's writers table).
	Authenticate func(category string, e eventlog.RecordedEvent) error
	// AckWait is how long the server waits for an event's acknowledgement
	// before delivering it again; a worker still busy with an event (or
	// retrying one) tells the server so every AckWait/3. Default 30s.
	AckWait time.Duration
	// PinnedTTL is how long the server keeps the durable pinned to an
	// instance that has stopped asking for events before it hands the
	// durable to another instance of the service (ADR 0042): the time a
	// complaint's events wait when the instance working them dies (a stopped
	// one hands it over at once). Default 5s; the pinned instance asks again
	// every third of it.
	PinnedTTL time.Duration
	// CheckEvery is how often the consumer checks that its durable still
	// exists on the server (it also checks whenever the server reports it
	// deleted). Default 5s.
	CheckEvery time.Duration
	// Trace, when set, wraps each handling in a span built from the event's
	// trace context.
	Trace  func(ctx context.Context, e eventlog.RecordedEvent) (context.Context, func(error))
	Logger *slog.Logger
	// Meter makes the consumer's instruments (see metrics); nil means the
	// global provider.
	Meter metric.MeterProvider
}

// Retry bounds the handling of one event.
type Retry struct {
	// MaxAttempts is how many times the handler is called for one delivery
	// before the event is dead-lettered. Default 10.
	MaxAttempts int
	// InitialInterval is the wait after the first failure; each wait doubles
	// up to MaxInterval. Defaults 200ms and 30s.
	InitialInterval, MaxInterval time.Duration
	// MaxDeliveries bounds deliveries of one event across restarts (a process
	// that dies while handling it): a delivery beyond it is dead-lettered
	// without calling the handler. Default 10.
	MaxDeliveries int
}

// DefaultRetry is the retry policy of a Subscription that sets none: about
// 80 seconds of attempts before an event that keeps failing is dead-lettered.
var DefaultRetry = Retry{MaxAttempts: 10, InitialInterval: 200 * time.Millisecond, MaxInterval: 30 * time.Second, MaxDeliveries: 10}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if r.InitialInterval <= 0 {
		r.InitialInterval = DefaultRetry.InitialInterval
	}
	if r.MaxInterval <= 0 {
		r.MaxInterval = DefaultRetry.MaxInterval
	}
	if r.MaxDeliveries <= 0 {
		r.MaxDeliveries = DefaultRetry.MaxDeliveries
	}
	return r
}

// Consumer is a running durable consumer.
type Consumer struct {
	sub      Subscription
	h        Handler
	js       jetstream.JetStream
	wantType map[string]bool
	metrics  metrics
	runCtx   context.Context
	cancel   context.CancelFunc
	workers  []*worker
	wg       sync.WaitGroup
	once     sync.Once
	redrive  *nats.Subscription
	watch    *watch
	acks     *ackFloor
}

// Consume starts handling events for sub until ctx is done or Stop is called.
func Consume(ctx context.Context, js jetstream.JetStream, sub Subscription, h Handler) (*Consumer, error) {
	if sub.Durable == "" || strings.ContainsAny(sub.Durable, ".*> \t\r\n") {
		return nil, fmt.Errorf("bus: durable name %q must be one subject token", sub.Durable)
	}
	if sub.Workers <= 0 {
		sub.Workers = 16
	}
	if sub.Logger == nil {
		sub.Logger = slog.Default()
	}
	if sub.Authenticate == nil {
		sub.Authenticate = CheckWriter
	}
	if sub.AckWait <= 0 {
		sub.AckWait = 30 * time.Second
	}
	if sub.CheckEvery <= 0 {
		sub.CheckEvery = 5 * time.Second
	}
	if sub.PinnedTTL <= 0 {
		sub.PinnedTTL = 5 * time.Second
	}
	sub.Retry = sub.Retry.withDefaults()
	m, err := newMetrics(sub.Meter)
	if err != nil {
		return nil, fmt.Errorf("bus: metrics: %w", err)
	}
	if _, err := OpenDeadLetterStream(ctx, js); err != nil {
		return nil, err
	}
	c := &Consumer{sub: sub, h: h, js: js, metrics: m, wantType: map[string]bool{}, acks: newAckFloor()}
	for _, t := range sub.EventTypes {
		c.wantType[t] = true
	}
	cons, err := c.createConsumer(ctx, 0)
	if err != nil {
		return nil, err
	}
	c.runCtx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for range sub.Workers {
		w := newWorker()
		c.workers = append(c.workers, w)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for {
				msg, ok := w.pop()
				if !ok {
					return
				}
				c.process(c.runCtx, w, msg)
			}
		}()
	}
	c.watch = &watch{c: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if err := c.watch.start(cons); err != nil {
		c.stopWorkers()
		return nil, fmt.Errorf("bus: consume %s: %w", sub.Durable, err)
	}
	if c.redrive, err = c.listenForRedrives(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("bus: re-drive subject of %s: %w", sub.Durable, err)
	}
	go func() {
		select {
		case <-ctx.Done():
			c.Stop()
		case <-c.runCtx.Done():
		}
	}()
	return c, nil
}

// PriorityGroup is the one priority group of every durable: the instances
// of a service pull in it, and the server pins the durable to one of them.
const PriorityGroup = "instances"

// consumerConfig is the durable's configuration. start > 0 recreates it from
// that stream sequence.
func (c *Consumer) consumerConfig(start uint64) jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       c.sub.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.sub.AckWait,
		MaxAckPending: 4096,
		// Unbounded on the server: the bus bounds attempts itself (Retry), and
		// dead-letters an event rather than leave it undelivered and unacked.
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// Every instance of a service pulls from the durable; the server
		// delivers to one of them only, so that one process keeps each
		// complaint's events in order (ADR 0042). Another takes over once
		// the pinned one has not pulled for PinnedTTL.
		PriorityPolicy: jetstream.PriorityPolicyPinned,
		PriorityGroups: []string{PriorityGroup},
		PinnedTTL:      c.sub.PinnedTTL,
	}
	if start > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = start
	}
	for _, cat := range c.sub.Categories {
		cfg.FilterSubjects = append(cfg.FilterSubjects, natswire.CategorySubject(cat))
	}
	return cfg
}

// createConsumer creates the durable, or updates it keeping where it starts
// (a durable recreated from a position keeps that position).
func (c *Consumer) createConsumer(ctx context.Context, start uint64) (jetstream.Consumer, error) {
	cfg := c.consumerConfig(start)
	if start == 0 {
		existing, err := c.js.Consumer(ctx, natswire.StreamName, c.sub.Durable)
		switch {
		case err == nil:
			cur := existing.CachedInfo().Config
			cfg.DeliverPolicy, cfg.OptStartSeq = cur.DeliverPolicy, cur.OptStartSeq
		case errors.Is(err, jetstream.ErrConsumerNotFound):
			if from, ok, err := c.afterReplaced(ctx); err != nil {
				return nil, err
			} else if ok {
				cfg = c.consumerConfig(from)
			}
		}
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, natswire.StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("bus: consumer %s: %w", c.sub.Durable, err)
	}
	return cons, nil
}

// afterReplaced is where a new durable that replaces others starts: after
// the lowest acknowledgement floor among the replaced durables that exist
// (ok false when none does).
func (c *Consumer) afterReplaced(ctx context.Context) (from uint64, ok bool, err error) {
	for _, name := range c.sub.Replaces {
		old, err := c.js.Consumer(ctx, natswire.StreamName, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("bus: durable %s replaced by %s: %w", name, c.sub.Durable, err)
		}
		next := old.CachedInfo().AckFloor.Stream + 1
		if !ok || next < from {
			from, ok = next, true
		}
	}
	if ok {
		c.sub.Logger.Info("bus: durable starts where the durables it replaces stand", "consumer", c.sub.Durable,
			"replaces", c.sub.Replaces, "stream_seq", from)
	}
	return from, ok, nil
}

// dispatch hands a message to the worker that owns its complaint.
func (c *Consumer) dispatch(msg jetstream.Msg) {
	if md, err := msg.Metadata(); err == nil {
		c.acks.started(md.Sequence.Stream)
	}
	key := msg.Headers().Get(natswire.HeaderComplaintID)
	if key == "" {
		key = msg.Subject()
	}
	f := fnv.New32a()
	f.Write([]byte(key))
	c.workers[f.Sum32()%uint32(len(c.workers))].push(msg)
}

// Stop ends consumption and waits for in-flight handlers.
func (c *Consumer) Stop() {
	c.once.Do(func() {
		if c.redrive != nil {
			_ = c.redrive.Drain()
		}
		if c.watch != nil {
			c.watch.stop()
		}
		c.stopWorkers()
		c.unpin()
	})
}

// unpin hands the durable to another instance of the service at once, not
// after PinnedTTL: this one pulls no more. If another instance holds the pin,
// the server pins again among those pulling, which is that one alone.
func (c *Consumer) unpin() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.js.Stream(ctx, natswire.StreamName)
	if err == nil {
		err = st.UnpinConsumer(ctx, c.sub.Durable, PriorityGroup)
	}
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		c.sub.Logger.Debug("bus: durable not unpinned at stop; another instance takes it after PinnedTTL", "consumer", c.sub.Durable, "err", err)
	}
}

func (c *Consumer) stopWorkers() {
	if c.cancel != nil {
		c.cancel()
	}
	for _, w := range c.workers {
		w.close()
	}
	c.wg.Wait()
}

// Decode reads the events of a bus message, in order: one from a plain
// event message, each of an envelope (natswire.AppendMessage). Position and
// revision are the event's place in the message at its stream sequence
// (natswire.PositionOf, RevisionOf), unless the relay stamped the production log's
// (Log-Position, Log-Revision: EventStoreDB's events are plain messages).
func Decode(msg jetstream.Msg) ([]eventlog.RecordedEvent, error) {
	events, err := natswire.DecodeAll(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		return nil, err
	}
	md, err := msg.Metadata()
	if err != nil {
		return nil, err
	}
	h := msg.Headers()
	for i := range events {
		e := &events[i]
		e.Position = natswire.PositionOf(md.Sequence.Stream, i, len(events))
		e.Revision = natswire.RevisionOf(md.Sequence.Stream, i, len(events))
		if p, err := strconv.ParseUint(h.Get(natswire.HeaderLogPosition), 10, 64); err == nil {
			e.Position = eventlog.Position(p)
		}
		if r, err := strconv.ParseUint(h.Get(natswire.HeaderLogRevision), 10, 64); err == nil {
			e.Revision = eventlog.Revision(r)
		}
	}
	return events, nil
}

// worker is one lane of handling: a queue with no bound of its own (the
// durable's MaxAckPending bounds every queue together), so that a worker
// retrying one complaint's event never stops the others from receiving.
type worker struct {
	mu     sync.Mutex
	queue  []jetstream.Msg
	closed bool
	wake   chan struct{}
}

func newWorker() *worker { return &worker{wake: make(chan struct{}, 1)} }

func (w *worker) push(msg jetstream.Msg) {
	w.mu.Lock()
	w.queue = append(w.queue, msg)
	w.mu.Unlock()
	w.signal()
}

func (w *worker) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pop waits for the next message; false once closed and empty.
func (w *worker) pop() (jetstream.Msg, bool) {
	for {
		w.mu.Lock()
		if len(w.queue) > 0 {
			msg := w.queue[0]
			w.queue[0] = nil
			w.queue = w.queue[1:]
			w.mu.Unlock()
			return msg, true
		}
		closed := w.closed
		w.mu.Unlock()
		if closed {
			return nil, false
		}
		<-w.wake
	}
}

// touchQueued tells the server that every event waiting behind the one being
// retried is still in progress, so none is delivered again meanwhile.
func (w *worker) touchQueued() {
	w.mu.Lock()
	queued := append([]jetstream.Msg(nil), w.queue...)
	w.mu.Unlock()
	for _, m := range queued {
		_ = m.InProgress()
	}
}

// errStopping is why an event is left for the next run: the consumer stops.
var errStopping = errors.New("bus: consumer stopping")
