// Package relay republishes every event of the event log to the JetStream
// stream natswire.StreamName, so that the services' durable consumers (see
// package bus) see the events of a log that is not JetStream itself: the
// EventStoreDB log in production.
//
// The relay tails the whole log from a checkpoint, builds each event's NATS
// message with natswire.Message, adds the event's place in the log
// (natswire.HeaderLogPosition and HeaderLogRevision) and publishes it with
// Nats-Msg-Id = event id, so JetStream drops an event published twice within
// natswire.DuplicateWindow.
//
// Order and durability: events are published in log order. Those waiting to
// go out are sent as one atomic batch (all or nothing, in order, one disk
// flush on the server), at most MaxInFlight at a time, and the next batch
// leaves only once the previous one is acknowledged. A batch the server
// refuses wrote nothing and is published again event by event (this is what
// happens when it holds events already published, after a restart from an
// older checkpoint); a batch whose fate is unknown (timeout, lost connection)
// is published again as is. Nothing is ever skipped: a failing publish is
// retried with backoff until the relay is stopped. The checkpoint is saved
// only after the acknowledgement, at most every 200 ms and when the relay
// stops, so after a crash the relay republishes at most what followed the
// last save, and JetStream drops those duplicates. The checkpoint records
// which log it belongs to: the relay refuses to start from a checkpoint of
// another log (checkpoint.MismatchError).
//
// Writers (ADR 0037): with Options.Writers the relay publishes only the
// events whose writer the log vouches for: on EventStoreDB, those of a
// stream whose one ACL, written before the event, keeps the stream to its
// category's writer. Any other event is not published: it is logged at
// error level and counted (metric complaints.relay.unvouched), and the relay
// goes on after it, so that one forged stream does not stop the bus. When
// the log cannot tell (the metadata cannot be read), the relay asks again
// with backoff and publishes nothing after it meanwhile.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Options of a relay.
type Options struct {
	// Name is the relay's checkpoint key (default "relay").
	Name   string
	Logger *slog.Logger
	// MaxInFlight caps the events of one batch awaiting acknowledgement
	// (default 256, at most 1000, JetStream's limit for an atomic batch).
	MaxInFlight int
	// Writers vouches for each event's writer before it is published
	// (esdblog.Log with its Writers). Nil publishes every event.
	Writers Writers
	// Meter makes the relay's instruments; nil means the global provider.
	Meter metric.MeterProvider
}

// Writers tells whether the log vouches for an event's writer.
type Writers interface {
	// Vouch returns "" when the log vouches that e was written by the one
	// writer of its stream's category, otherwise why not; an error when it
	// cannot tell now.
	Vouch(ctx context.Context, e eventlog.RecordedEvent) (string, error)
}

// Relay copies the event log to JetStream.
type Relay struct {
	src       eventlog.Log
	js        jetstream.JetStream
	cps       checkpoint.Store
	o         Options
	log       *slog.Logger
	unvouched metric.Int64Counter
}

const (
	saveEvery      = 200 * time.Millisecond
	publishTimeout = 10 * time.Second
	minBackoff     = 50 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// New builds a relay from src to the JetStream behind js, keeping its place
// in cps.
func New(src eventlog.Log, js jetstream.JetStream, cps checkpoint.Store, o Options) *Relay {
	if o.Name == "" {
		o.Name = "relay"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 256
	}
	if o.MaxInFlight > 1000 {
		o.MaxInFlight = 1000
	}
	if o.Meter == nil {
		o.Meter = otel.GetMeterProvider()
	}
	meter := o.Meter.Meter("github.com/complaintflow/complaintflow/services/platform/relay")
	unvouched, _ := meter.Int64Counter("complaints.relay.unvouched", metric.WithUnit("{event}"),
		metric.WithDescription("Events not relayed because the log does not vouch for their writer"))
	return &Relay{src: src, js: js, cps: cps, o: o, log: o.Logger.With("component", "relay", "relay", o.Name), unvouched: unvouched}
}

// Run relays events until ctx is cancelled, then saves its checkpoint and
// returns nil. It returns an error only when it cannot start: the stream
// is missing or not as provisioned, or the checkpoint cannot be read or belongs to another
// log, and ctx is still live.
func (r *Relay) Run(ctx context.Context) error {
	if _, err := natswire.OpenStream(ctx, r.js); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("relay %s: %w", r.o.Name, err)
	}
	origin, err := eventlog.OriginOf(ctx, r.src)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("relay %s: %w", r.o.Name, err)
	}
	start, err := r.cps.Load(ctx, r.o.Name, origin)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("relay %s: %w", r.o.Name, err)
	}
	r.log.Info("relay starting", "after", uint64(start), "log", origin.String())
	st := &state{acked: start, saved: start, lastSave: time.Now(), origin: origin}
	defer r.finalSave(st)

	_, _ = backoff.Retry(ctx, func() (struct{}, error) {
		err := r.session(ctx, st)
		if ctx.Err() != nil {
			return struct{}{}, backoff.Permanent(ctx.Err())
		}
		if err == nil {
			err = errors.New("subscription stopped")
		}
		return struct{}{}, err
	}, retryForever(func(err error, next time.Duration) {
		if errors.Is(err, eventlog.ErrAccessDenied) {
			// Nothing reaches the bus until an operator grants the right.
			r.log.Error("the log refuses the relay, resubscribing", "after", uint64(st.acked), "retry_in", next, "err", err)
			return
		}
		r.log.Warn("subscription to the log ended, resubscribing", "after", uint64(st.acked), "retry_in", next, "err", err)
	})...)
	return nil
}

// retryForever are the options of a retry that goes on until it succeeds
// or ctx ends, waiting from minBackoff up to maxBackoff between tries.
func retryForever(notify backoff.Notify) []backoff.RetryOption {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = minBackoff, maxBackoff
	return []backoff.RetryOption{backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(notify)}
}

// state is how far the relay has come.
type state struct {
	acked    eventlog.Position // last event acknowledged by JetStream
	saved    eventlog.Position // last position saved in the checkpoint store
	lastSave time.Time
	origin   eventlog.Origin // the log the positions belong to
}

// session subscribes after the last acknowledged event and publishes until
// the subscription ends or ctx is cancelled.
func (r *Relay) session(ctx context.Context, st *state) error {
	events := make(chan eventlog.RecordedEvent, r.o.MaxInFlight)
	sub, err := r.src.Subscribe(ctx, st.acked, eventlog.Filter{}, func(hctx context.Context, e eventlog.RecordedEvent) error {
		select {
		case events <- e:
			return nil
		case <-hctx.Done():
			return hctx.Err()
		}
	})
	if err != nil {
		return err
	}
	defer sub.Stop()
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	batch := make([]eventlog.RecordedEvent, 0, r.o.MaxInFlight)
	for {
		select {
		case e := <-events:
			batch = append(batch[:0], e)
		fill:
			for len(batch) < r.o.MaxInFlight {
				select {
				case e := <-events:
					batch = append(batch, e)
				default:
					break fill
				}
			}
			if !r.publish(ctx, st, batch) {
				return ctx.Err()
			}
			if time.Since(st.lastSave) >= saveEvery {
				r.save(ctx, st)
			}
		case <-tick.C:
			r.save(ctx, st)
		case <-sub.Done():
			// Publish what was delivered before the end, then report it.
			for {
				select {
				case e := <-events:
					if !r.publish(ctx, st, []eventlog.RecordedEvent{e}) {
						return ctx.Err()
					}
					continue
				default:
				}
				break
			}
			if err := sub.Err(); err != nil {
				return err
			}
			return errors.New("subscription stopped")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// publish sends events (in log order) until JetStream has acknowledged each
// of them; false when ctx was cancelled first.
func (r *Relay) publish(ctx context.Context, st *state, events []eventlog.RecordedEvent) bool {
	msgs := make([]*nats.Msg, 0, len(events))
	var last eventlog.Position
	for _, e := range events {
		if e.Position <= st.acked {
			continue // already relayed in this run
		}
		if r.o.Writers != nil {
			why, ok := r.vouch(ctx, e)
			if !ok {
				return false
			}
			if why != "" {
				r.refuse(ctx, e, why)
				last = e.Position
				continue
			}
		}
		m, err := message(e)
		if err != nil {
			// Not an event of the complaint log (its stream has no valid
			// name): it has no subject to go to.
			r.log.Error("event cannot be relayed", "stream", e.Stream, "id", e.ID, "position", uint64(e.Position), "err", err)
			last = e.Position
			continue
		}
		msgs = append(msgs, m)
		last = e.Position
	}
	if len(msgs) > 0 && !r.publishMsgs(ctx, msgs) {
		return false
	}
	if last > st.acked {
		st.acked = last
	}
	return true
}

// vouch asks Writers about e until it answers; false when ctx ended first.
func (r *Relay) vouch(ctx context.Context, e eventlog.RecordedEvent) (string, bool) {
	why, err := backoff.Retry(ctx, func() (string, error) {
		return r.o.Writers.Vouch(ctx, e)
	}, retryForever(func(err error, next time.Duration) {
		r.log.Error("cannot tell whether the log vouches for an event's writer, asking again",
			"stream", e.Stream, "id", e.ID, "position", uint64(e.Position), "retry_in", next, "err", err)
	})...)
	return why, err == nil
}

// refuse leaves out an event whose writer the log does not vouch for.
func (r *Relay) refuse(ctx context.Context, e eventlog.RecordedEvent, why string) {
	category, _, _ := eventlog.SplitStream(e.Stream)
	r.unvouched.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("category", category)))
	r.log.Error("event not relayed: the log does not vouch for its writer",
		"stream", e.Stream, "id", e.ID, "type", e.Type, "position", uint64(e.Position),
		"service_claimed", e.Metadata.Service, "reason", why)
}

// message is the NATS message of an event, with its place in the log.
func message(e eventlog.RecordedEvent) (*nats.Msg, error) {
	m, err := natswire.Message(e.Stream, e.EventData)
	if err != nil {
		return nil, err
	}
	m.Header.Set(natswire.HeaderLogPosition, strconv.FormatUint(uint64(e.Position), 10))
	m.Header.Set(natswire.HeaderLogRevision, strconv.FormatUint(uint64(e.Revision), 10))
	return m, nil
}

// publishMsgs publishes msgs in order: as one atomic batch when there are
// several, one by one when the batch is refused. It retries until every
// message is acknowledged; false when ctx was cancelled first.
func (r *Relay) publishMsgs(ctx context.Context, msgs []*nats.Msg) bool {
	if len(msgs) > 1 {
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			err := r.publishBatch(ctx, msgs)
			var apiErr *jetstream.APIError
			if errors.As(err, &apiErr) {
				// Refused as a whole, nothing written: go one by one
				// (events already in the stream come back as duplicates).
				r.log.Debug("batch refused, publishing event by event", "events", len(msgs), "err", err)
				return struct{}{}, backoff.Permanent(err)
			}
			return struct{}{}, err
		}, retryForever(func(err error, next time.Duration) {
			r.log.Warn("publishing a batch failed, retrying", "events", len(msgs), "retry_in", next, "err", err)
		})...)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
	}
	for _, m := range msgs {
		natswire.ClearBatch(m)
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			return struct{}{}, r.publishOne(ctx, m)
		}, retryForever(func(err error, next time.Duration) {
			r.log.Warn("publishing an event failed, retrying", "subject", m.Subject, "id", m.Header.Get(natswire.HeaderMsgID), "retry_in", next, "err", err)
		})...)
		if err != nil {
			return false // only when ctx ended
		}
	}
	return true
}

func (r *Relay) publishOne(ctx context.Context, m *nats.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	_, err := r.js.PublishMsg(ctx, m)
	return err
}

// publishBatch publishes msgs as one atomic batch: all but the last without
// waiting, the last with the commit header; its acknowledgement covers the
// whole batch.
func (r *Relay) publishBatch(ctx context.Context, msgs []*nats.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	commit, err := natswire.StageBatch(r.js.Conn(), msgs)
	if err != nil {
		return err
	}
	_, err = r.js.PublishMsg(ctx, commit)
	return err
}

// save records the acknowledged position if it moved.
func (r *Relay) save(ctx context.Context, st *state) {
	if st.acked <= st.saved {
		st.lastSave = time.Now()
		return
	}
	if st.origin.ID == "" {
		// The log may have had no event to name it by when the relay
		// started: learn its identity now that it has some.
		if o, err := eventlog.OriginOf(ctx, r.src); err == nil {
			st.origin = o
		}
	}
	if err := r.cps.Save(ctx, r.o.Name, st.origin, st.acked); err != nil {
		var mismatch *checkpoint.MismatchError
		if errors.As(err, &mismatch) {
			r.log.Error("checkpoint not saved", "err", err)
		} else if errors.Is(err, checkpoint.ErrBackwards) {
			// Another relay with the same name is ahead: keep going, the
			// checkpoint is only ever moved forward.
			r.log.Warn("checkpoint is ahead of this relay", "err", err)
			st.saved = st.acked
		} else if ctx.Err() == nil {
			r.log.Warn("saving the checkpoint failed", "position", uint64(st.acked), "err", err)
		}
		st.lastSave = time.Now()
		return
	}
	st.saved = st.acked
	st.lastSave = time.Now()
}

// finalSave saves the checkpoint when the relay stops, with a context of its
// own since the relay's is cancelled.
func (r *Relay) finalSave(st *state) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.save(ctx, st)
	r.log.Info("relay stopped", "position", uint64(st.saved))
}
