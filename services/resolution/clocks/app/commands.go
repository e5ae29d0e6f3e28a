package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

// Start starts the clocks of a received complaint; acknowledgedAt, when not
// zero, is when it was acknowledged, known with its receipt: the clocks the
// acknowledgement meets are met in the same append.
func (a *Clocks) Start(ctx context.Context, rec *complaintsv1.ComplaintReceived, acknowledgedAt time.Time, causation string) error {
	return a.handle(ctx, rec.ComplaintId, causation, Actor, domain.StartClocks{
		ComplaintID: rec.ComplaintId, Regime: rec.Regime, Reference: rec.Reference, Product: rec.Product,
		CustomerID: rec.CustomerId, ReceivedAt: rec.ReceivedAt.AsTime(), AcknowledgedAt: acknowledgedAt,
	})
}

// Pause pauses the internal clocks: the company asked the customer something.
func (a *Clocks) Pause(ctx context.Context, complaintID, requestID string, at time.Time, causation string) error {
	return a.handle(ctx, complaintID, causation, Actor, domain.PauseClocks{RequestID: requestID, At: at})
}

// Resume resumes the clocks paused for the request the customer answered.
func (a *Clocks) Resume(ctx context.Context, complaintID, requestID string, at time.Time, causation string) error {
	return a.handle(ctx, complaintID, causation, Actor, domain.ResumeClocks{RequestID: requestID, At: at})
}

// Meet stops as met the clocks waiting for by (regime.MetBy...).
func (a *Clocks) Meet(ctx context.Context, complaintID, by string, at time.Time, causation string) error {
	return a.handle(ctx, complaintID, causation, Actor, domain.MeetClocks{By: by, At: at})
}

// Restart restarts the internal resolution clocks of a reopened case.
func (a *Clocks) Restart(ctx context.Context, complaintID, reason string, at time.Time, causation string) error {
	return a.handle(ctx, complaintID, causation, Actor, domain.RestartClocks{Reason: reason, At: at})
}

// Stop stops every clock still running or paused: the complaint was closed
// (closure is ComplaintClosed's reason). With no clock running, the timer is
// cancelled.
func (a *Clocks) Stop(ctx context.Context, complaintID, closure string, at time.Time, causation string) error {
	return a.handle(ctx, complaintID, causation, Actor, domain.StopClocks{Closure: closure, At: at})
}

// firing is the command a clock's timer carries: which clock, which of its
// moments (the warning or the due time), and the due time it was set for.
type firing struct {
	Clock   string    `json:"clock"`
	Due     time.Time `json:"due"`
	Warning bool      `json:"warning,omitempty"`
	At      time.Time `json:"at"`
}

// Handles says whether a timer kind is a clock's.
func Handles(kind string) bool { return kind == KindWarning || kind == KindDue }

// Fire acts on a clock's timer: a warning or a breach, unless the firing is
// stale. The firing's key makes a redelivered firing append nothing.
func (a *Clocks) Fire(ctx context.Context, f timer.Fired) error {
	var cmd firing
	if err := json.Unmarshal(f.Command, &cmd); err != nil {
		return fmt.Errorf("clocks: timer %s: %w", f.ID, err)
	}
	return a.handle(ctx, f.ComplaintID, f.FireID, f.Actor(), domain.FireTimer{
		Clock: cmd.Clock, Due: cmd.Due, Warning: f.Kind == KindWarning || cmd.Warning, At: a.now(),
	})
}

func (a *Clocks) handle(ctx context.Context, complaintID, key string, actor eventlog.Actor, cmd domain.ClockCommand) error {
	res, err := a.repo.Handle(ctx, complaintID, es.Command[domain.ClockCommand]{
		Body: cmd, ComplaintID: complaintID, CausationID: key, Actor: actor, IdempotencyKey: key,
	})
	if err != nil {
		return err
	}
	// A lifecycle event that changed nothing, at a revision this process
	// has set the timer for, leaves the timer as it is (an acknowledgement
	// already met with the receipt, a redelivery after success). A firing
	// always sets it again: it consumed the schedule it came from.
	if _, firing := cmd.(domain.FireTimer); !firing && len(res.Events) == 0 && a.alignedAt(complaintID, res.Revision) {
		return nil
	}
	if err := a.align(ctx, res.State); err != nil {
		return err
	}
	a.setAligned(complaintID, res.Revision, res.State)
	return nil
}

func (a *Clocks) alignedAt(complaintID string, rev eventlog.Revision) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.aligned[complaintID]
	return ok && r == rev
}

// setAligned records that the timer matches the clocks at rev; a complaint
// none of whose clocks runs has no timer and is forgotten.
func (a *Clocks) setAligned(complaintID string, rev eventlog.Revision, s domain.Clocks) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, running := next(s); !running {
		delete(a.aligned, complaintID)
		return
	}
	a.aligned[complaintID] = rev
}

// TimerID is the id of a complaint's one clock timer. A complaint's clocks
// share one timer, set to the next moment any running clock waits for (a
// warning or a due time): every change of the clocks reschedules it, which
// supersedes the earlier schedule, and its firing sets the next one. One
// timer per complaint keeps the durable writes of the timers few: a
// complaint's clocks start, are met and resume together.
func TimerID(complaintID string) (string, error) { return timer.ID(complaintID, "clocks") }

// next is the next moment a running clock of s waits for: its warning until
// the warning is given, then its due time. Earliest first; on a tie, the
// warning first, then the clock's name.
func next(s domain.Clocks) (firing, bool) {
	var best firing
	found := false
	consider := func(f firing) {
		if !found || f.At.Before(best.At) || f.At.Equal(best.At) && (f.Warning && !best.Warning || f.Warning == best.Warning && f.Clock < best.Clock) {
			best, found = f, true
		}
	}
	for _, c := range s.Clocks {
		if c.Status != domain.Running {
			continue
		}
		if !c.Warned && c.WarnAt.Before(c.Due) {
			consider(firing{Clock: c.Name, Due: c.Due, Warning: true, At: c.WarnAt})
		}
		consider(firing{Clock: c.Name, Due: c.Due, At: c.Due})
	}
	return best, found
}

// align sets the complaint's clock timer to the next moment its running
// clocks wait for, or cancels it when none runs. It runs after every
// command, also one that appended nothing (a retry, a stale firing), so a
// timer an earlier attempt failed to set is set now.
func (a *Clocks) align(ctx context.Context, s domain.Clocks) error {
	if a.timers == nil || s.ComplaintID == "" {
		return nil
	}
	id, err := TimerID(s.ComplaintID)
	if err != nil {
		return err
	}
	f, ok := next(s)
	if !ok {
		return a.timers.Cancel(ctx, ServiceName, id)
	}
	kind := KindDue
	if f.Warning {
		kind = KindWarning
	}
	payload, _ := json.Marshal(f)
	return a.timers.Schedule(ctx, timer.Timer{
		Service: ServiceName, ID: id, Due: f.At, Kind: kind, Command: payload, ComplaintID: s.ComplaintID, Actor: Actor,
	})
}

// What the lifecycle's events mean for the clocks.
const (
	MetByAcknowledged = regime.MetByAcknowledged
	MetByResolved     = regime.MetByResolved
	MetByHumanContact = regime.MetByHumanContact
)
