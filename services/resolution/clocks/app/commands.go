package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

// Start starts the clocks of a received complaint.
func (a *Clocks) Start(ctx context.Context, rec *complaintsv1.ComplaintReceived, causation string) error {
	return a.handle(ctx, rec.ComplaintId, causation, Actor, domain.StartClocks{
		ComplaintID: rec.ComplaintId, Regime: rec.Regime, Reference: rec.Reference, Product: rec.Product,
		CustomerID: rec.CustomerId, ReceivedAt: rec.ReceivedAt.AsTime(),
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

// firing is the command a clock's timer carries.
type firing struct {
	Clock string    `json:"clock"`
	Due   time.Time `json:"due"`
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
		Clock: cmd.Clock, Due: cmd.Due, Warning: f.Kind == KindWarning, At: a.now(),
	})
}

func (a *Clocks) handle(ctx context.Context, complaintID, key string, actor eventlog.Actor, cmd domain.ClockCommand) error {
	res, err := a.repo.Handle(ctx, complaintID, es.Command[domain.ClockCommand]{
		Body: cmd, ComplaintID: complaintID, CausationID: key, Actor: actor, IdempotencyKey: key,
	})
	if err != nil {
		return err
	}
	return a.align(ctx, res.State, touched(res))
}

// touched names the clocks the command's events changed; nil when it
// appended nothing (a retry, a stale firing), and then every clock is
// brought in line: the timers of an earlier attempt may not have been set.
func touched(res es.Result[domain.Clocks]) map[string]bool {
	if len(res.Events) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, e := range res.Events {
		if c, ok := e.(interface{ GetClock() string }); ok {
			out[c.GetClock()] = true
		}
	}
	return out
}

// TimerID is the id of a clock's warning or due timer.
func TimerID(complaintID, clock string, warning bool) (string, error) {
	if warning {
		return timer.ID(complaintID, "clock-"+clock+"-warn")
	}
	return timer.ID(complaintID, "clock-"+clock+"-due")
}

// align sets the timers of running clocks (the warning until it is given,
// and the due time) and cancels those of clocks that stopped.
func (a *Clocks) align(ctx context.Context, s domain.Clocks, only map[string]bool) error {
	if a.timers == nil {
		return nil
	}
	var errs []error
	for _, c := range s.Clocks {
		if only != nil && !only[c.Name] {
			continue
		}
		for _, warning := range []bool{true, false} {
			id, err := TimerID(s.ComplaintID, c.Name, warning)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			want := c.Status == domain.Running && (!warning || !c.Warned && c.WarnAt.Before(c.Due))
			if !want {
				errs = append(errs, a.timers.Cancel(ctx, ServiceName, id))
				continue
			}
			due, kind := c.Due, KindDue
			if warning {
				due, kind = c.WarnAt, KindWarning
			}
			payload, _ := json.Marshal(firing{Clock: c.Name, Due: c.Due})
			errs = append(errs, a.timers.Schedule(ctx, timer.Timer{
				Service: ServiceName, ID: id, Due: due, Kind: kind, Command: payload, ComplaintID: s.ComplaintID, Actor: Actor,
			}))
		}
	}
	return errors.Join(errs...)
}

// What the lifecycle's events mean for the clocks.
const (
	MetByAcknowledged = regime.MetByAcknowledged
	MetByResolved     = regime.MetByResolved
	MetByHumanContact = regime.MetByHumanContact
)
