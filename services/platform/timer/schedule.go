package timer

import (
	"context"
	"fmt"
	"log/slog"
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

// JetStream is what the timers need of JetStream: publish schedules and
// create the services' consumers.
type JetStream interface {
	jetstream.Publisher
	jetstream.StreamConsumerManager
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
