package timer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// Timer is "at Due, deliver Command to Service".
type Timer struct {
	// Service is the service the timer is delivered to: intake, resolution, …
	Service string
	// ID names the timer within the service; a later Schedule of the same id
	// supersedes the earlier one. Build it with ID.
	ID string
	// Due is when the timer fires. A time not after the clock's now fires at
	// once.
	Due time.Time
	// Kind says what Command is, so the service can decode it.
	Kind string
	// Command is the payload delivered with the firing.
	Command []byte
	// ComplaintID is the complaint the timer belongs to.
	ComplaintID string
	// Actor is who set the timer; the firing reports it as ScheduledBy.
	Actor eventlog.Actor
}

// JetStream is what the timers need of JetStream: publish schedules, read
// what stands on a schedule's subject, and create the services' consumers.
type JetStream interface {
	jetstream.Publisher
	jetstream.StreamConsumerManager
	Stream(ctx context.Context, stream string) (jetstream.Stream, error)
}

// Options of the timers.
type Options struct {
	// Clock is the time Schedule compares due times with; the wall clock when
	// nil.
	Clock Clock
	// Logger logs handler failures; slog.Default when nil.
	Logger *slog.Logger
}

// Timers schedules, cancels and delivers timers.
type Timers struct {
	js     JetStream
	clock  Clock
	logger *slog.Logger

	mu     sync.Mutex
	stream jetstream.Stream // the timers stream, once looked up
	// blindUntil is when to try reading a schedule's subject again after a
	// read timed out (a server whose permissions predate the read refuses
	// it, and the request only times out): until then writes do not look.
	blindUntil time.Time
}

// New returns the timers over js. It does not touch the stream: the process
// that sets up JetStream calls EnsureStream once, so a service's NATS user
// needs no right to create or change streams.
func New(js JetStream, o Options) *Timers {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Timers{js: js, clock: o.Clock, logger: o.Logger}
}

// Schedule sets t, replacing any pending schedule of the same timer. It
// returns once the stream has stored it, so a timer scheduled survives a crash
// of this process or of the server.
//
// A timer due now or in the past is not scheduled but published at once on
// its fire subject, under its firing key so that a retried Schedule within
// DuplicateWindow delivers it once; a pending schedule of the same timer is
// cancelled first.
func (ts *Timers) Schedule(ctx context.Context, t Timer) error {
	if err := checkToken("service", t.Service); err != nil {
		return err
	}
	if err := checkToken("timer id", t.ID); err != nil {
		return err
	}
	if t.Due.IsZero() {
		return fmt.Errorf("%w: timer %s of %s has no due time", ErrInvalid, t.ID, t.Service)
	}
	now := ts.clock.Now()
	fire := FireSubject(t.Service, t.ID)
	if t.Due.After(now) {
		if m, ok := ts.standing(ctx, t.Service, t.ID); ok && same(m, t, fire) {
			return nil // this very schedule is pending already: no write
		}
	}
	if !t.Due.After(now) {
		if err := ts.Cancel(ctx, t.Service, t.ID); err != nil {
			return err
		}
		m := message(ctx, fire, t, now)
		m.Header.Set(nats.MsgIdHdr, fireID(t.Service, t.ID, t.Due))
		m.Header.Set(jetstream.MsgTTLHeader, ttl(FiredRetention))
		if _, err := ts.js.PublishMsg(ctx, m); err != nil {
			return fmt.Errorf("timer: fire %s of %s: %w", t.ID, t.Service, err)
		}
		return nil
	}
	m := message(ctx, ScheduleSubject(t.Service, t.ID), t, now)
	m.Header.Set(jetstream.ScheduleHeader, "@at "+formatDue(t.Due))
	m.Header.Set(jetstream.ScheduleTargetHeader, fire)
	m.Header.Set(jetstream.ScheduleTTLHeader, ttl(FiredRetention))
	// The server rolls up the subject of every schedule anyway; say so.
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	if _, err := ts.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("timer: schedule %s of %s: %w", t.ID, t.Service, err)
	}
	return nil
}

// standing reads what stands on a timer's schedule subject: its pending
// schedule, the tombstone of its cancellation, or nil when nothing does (never
// set, fired, or the tombstone expired). ok is false when it could not be
// read; the caller then writes as if it had not looked, as it did before it
// looked at all.
//
// Every write to the timers stream is a synced write (and a roll-up removes
// the message it replaces with a second one), so a read that spares one pays:
// a complaint's clocks keep the same next firing through most of its changes,
// and a follow-up is cancelled when it is answered whether or not a round is
// pending. The read goes to the stream's leader (the stream does not allow
// direct gets, which a replica that lags could answer), so it sees every
// write acknowledged before it, this process's or another's. A write racing
// it is a race that two writes had already; either order stood.
func (ts *Timers) standing(ctx context.Context, service, id string) (*jetstream.RawStreamMsg, bool) {
	st, err := ts.timersStream(ctx)
	if err != nil {
		return nil, false
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	m, err := st.GetLastMsgForSubject(lctx, ScheduleSubject(service, id))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return nil, true
	case err != nil && ctx.Err() == nil && lctx.Err() != nil:
		ts.mu.Lock()
		ts.blindUntil = time.Now().Add(blindFor)
		ts.mu.Unlock()
		ts.logger.Warn("timers: the timers stream's messages cannot be read; timers are written without looking for a while (are the NATS permissions those of this version? natsusers -format conf)",
			"retry_in", blindFor, "err", err)
		return nil, false
	case err != nil:
		return nil, false
	}
	return m, true
}

// lookupTimeout bounds the read of what stands on a schedule's subject; past
// it the schedule is written without looking, and so are the others for
// blindFor.
const (
	lookupTimeout = time.Second
	blindFor      = time.Minute
)

func (ts *Timers) timersStream(ctx context.Context) (jetstream.Stream, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if time.Now().Before(ts.blindUntil) {
		return nil, errBlind
	}
	if ts.stream != nil {
		return ts.stream, nil
	}
	st, err := ts.js.Stream(ctx, StreamName)
	if err != nil {
		return nil, err
	}
	ts.stream = st
	return st, nil
}

var errBlind = errors.New("timer: not reading the timers stream for a while")

// same tells whether m is the schedule Schedule would write for t, firing
// on fire: the same due time, kind, command and complaint.
func same(m *jetstream.RawStreamMsg, t Timer, fire string) bool {
	if m == nil {
		return false
	}
	h := m.Header
	return h.Get(jetstream.ScheduleHeader) == "@at "+formatDue(t.Due) &&
		h.Get(jetstream.ScheduleTargetHeader) == fire &&
		h.Get(HeaderKind) == t.Kind &&
		h.Get(natswire.HeaderComplaintID) == t.ComplaintID &&
		bytes.Equal(m.Data, t.Command)
}

// Cancel removes the pending schedule of a service's timer: a tombstone rolls
// up its subject, and the server forgets the schedule. Cancelling a timer that
// is not pending does nothing. A timer that fired before Cancel reached the
// stream is still delivered; its handler sees a firing its state no longer
// expects.
func (ts *Timers) Cancel(ctx context.Context, service, id string) error {
	if err := checkToken("service", service); err != nil {
		return err
	}
	if err := checkToken("timer id", id); err != nil {
		return err
	}
	if m, ok := ts.standing(ctx, service, id); ok && (m == nil || m.Header.Get(jetstream.ScheduleHeader) == "") {
		return nil // nothing pending (never set, fired, or cancelled already): no write
	}
	m := nats.NewMsg(ScheduleSubject(service, id))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Header.Set(jetstream.MsgTTLHeader, ttl(cancelledRetention))
	if _, err := ts.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("timer: cancel %s of %s: %w", id, service, err)
	}
	return nil
}

// message is a timer's schedule or firing, with the headers Fired reads back.
func message(ctx context.Context, subject string, t Timer, now time.Time) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = t.Command
	h := m.Header
	h.Set(HeaderService, t.Service)
	h.Set(HeaderID, t.ID)
	h.Set(HeaderDue, formatDue(t.Due))
	h.Set(HeaderFireID, fireID(t.Service, t.ID, t.Due))
	h.Set(HeaderScheduledAt, formatDue(now))
	setIf(h, HeaderKind, t.Kind)
	setIf(h, natswire.HeaderComplaintID, t.ComplaintID)
	setIf(h, natswire.HeaderActor, string(t.Actor))
	var md eventlog.Metadata
	telemetry.InjectMetadata(ctx, &md)
	setIf(h, natswire.HeaderTraceParent, md.TraceParent)
	setIf(h, natswire.HeaderTraceState, md.TraceState)
	return m
}

func setIf(h nats.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}
