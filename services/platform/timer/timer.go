// Package timer is the platform's timer port: "at time T, deliver command X
// to service S". Timers are JetStream message schedules on the
// COMPLAINT_TIMERS stream, whichever event log the system runs on, so a
// timer survives a restart of the process and of the server.
//
// A timer is one schedule message on complaints.timers.schedule.<service>.<id>.
// The server keeps at most one per subject (every schedule rolls up its
// subject), so a later Schedule of the same timer supersedes the earlier one,
// and Cancel replaces it with a tombstone. When it is due the server
// publishes the message on complaints.timers.fire.<service>.<id> and removes
// the schedule; the service's durable consumer <service>-timers hands it to
// the service (Consume).
//
// Delivery is at least once: a handler may see the same firing twice (an
// acknowledgement lost, a crash while handling), a firing of a timer that was
// since rescheduled, or a firing that raced its Cancel. Fired carries the
// timer id, its due time and a firing key (timer id + due time), so handlers
// must be idempotent: a decider ignores a firing that its state has already
// seen or that no longer matches the deadline it keeps. On such a stale firing
// a handler whose state still holds a deadline it has not acted on schedules
// that deadline again: a reschedule that lands while the old schedule is being
// fired is purged with it by the server (ADR 0012).
package timer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the stream holding schedules and fired timers.
const StreamName = "COMPLAINT_TIMERS"

// Subjects of the stream.
const (
	SubjectPrefix   = "complaints.timers"
	AllSubjects     = SubjectPrefix + ".>"
	schedulePrefix  = SubjectPrefix + ".schedule"
	firePrefix      = SubjectPrefix + ".fire"
	scheduleSubject = schedulePrefix + ".%s.%s"
	fireSubject     = firePrefix + ".%s.%s"
)

// ScheduleSubject is where the pending schedule of a service's timer lives.
func ScheduleSubject(service, id string) string { return fmt.Sprintf(scheduleSubject, service, id) }

// FireSubject is where a service's timer is delivered when due.
func FireSubject(service, id string) string { return fmt.Sprintf(fireSubject, service, id) }

// Durable is the name of the consumer of a service's fired timers.
func Durable(service string) string { return service + "-timers" }

// Headers of schedule and fire messages, besides natswire's complaint id,
// actor and trace context.
const (
	HeaderService     = "Timer-Service"
	HeaderID          = "Timer-Id"
	HeaderDue         = "Timer-Due"          // RFC 3339 with nanoseconds, UTC
	HeaderKind        = "Timer-Kind"         // what the command is, for the service to decode it
	HeaderFireID      = "Timer-Fire-Id"      // timer id + due time: the firing's de-duplication key
	HeaderScheduledAt = "Timer-Scheduled-At" // when Schedule was called, by the caller's clock
)

// FiredRetention is how long a fired timer stays in the stream after it fired,
// for inspection; its consumer acknowledges it long before.
const FiredRetention = 7 * 24 * time.Hour

// cancelledRetention is how long the tombstone of a cancelled timer stays.
const cancelledRetention = time.Hour

// DuplicateWindow is how long the stream remembers the firing key of a timer
// published at once because it was already due (see Schedule).
const DuplicateWindow = 10 * time.Minute

// StreamConfig is the timers stream as the operator provisions it. File
// storage; message schedules, subject roll-ups (a schedule replaces the
// previous one of its subject) and per-message TTLs allowed. No direct gets:
// Schedule and Cancel read what stands on a schedule's subject before they
// write, and only the stream's leader answers that without lag.
func StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamName,
		Description:       "pending timers of every service, and the timers that fired",
		Subjects:          []string{AllSubjects},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld, // message schedules do not allow DiscardNew
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            0, // a timer may be due in months; fired ones expire by their TTL
		Duplicates:        DuplicateWindow,
		AllowMsgSchedules: true,
		AllowRollup:       true,
		AllowMsgTTL:       true,
		DenyDelete:        true,
	}
}

// EnsureStream creates the timers stream, or brings its settings up to date:
// the operator's provisioning step (see package provision). A service only
// binds to the stream (its user may not create or change it).
func EnsureStream(ctx context.Context, js jetstream.StreamManager) (jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, StreamConfig())
	if err != nil {
		return nil, fmt.Errorf("timer: stream %s: %w", StreamName, err)
	}
	return st, nil
}

// Clock tells the time. Callers compute due times from it; Schedule uses it
// to deliver a timer that is already due at once.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }

// ID builds the id of a complaint's timer: "<complaint id>_<name>", e.g.
// "c-42_first-response". Both parts must be subject-safe tokens: letters,
// digits, '-' and '_'.
func ID(complaintID, name string) (string, error) {
	if err := checkToken("complaint id", complaintID); err != nil {
		return "", err
	}
	if err := checkToken("timer name", name); err != nil {
		return "", err
	}
	return complaintID + "_" + name, nil
}

// ErrInvalid reports a timer that cannot be scheduled: a service or id that is
// not a subject token, no due time.
var ErrInvalid = errors.New("timer: invalid")

func checkToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	}
	if i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}); i >= 0 {
		return fmt.Errorf("%w: %s %q: %q is not allowed (letters, digits, '-' and '_' only)", ErrInvalid, what, s, s[i:i+1])
	}
	return nil
}

// fireID is the de-duplication key of one firing: the same timer due at the
// same time is the same firing.
func fireID(service, id string, due time.Time) string {
	return service + "." + id + "@" + formatDue(due)
}

func formatDue(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func ttl(d time.Duration) string { return d.String() }
