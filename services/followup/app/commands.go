package app

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Schedule starts the follow-up round of a resolution whose redress is
// settled. causationID is the RedressSettled event's id. The settlement
// carries the complaint's context; one recorded before it did has it read
// from the complaint's and the case's streams.
func (a *Followup) Schedule(ctx context.Context, settled *complaintsv1.RedressSettled, causationID string) error {
	complaintID := settled.GetComplaintId()
	c, ok := domain.ContextOf(settled)
	if !ok {
		var err error
		if c, err = a.complaints.Context(ctx, complaintID); err != nil {
			return err
		}
	}
	return a.handle(ctx, complaintID, es.Command[domain.Command]{
		Body:        domain.Schedule{ComplaintID: complaintID, Resolution: settled.GetResolution(), Context: c, At: a.now()},
		ComplaintID: complaintID, CausationID: causationID, IdempotencyKey: causationID, Actor: Actor,
	})
}

// Fire acts on a firing of the round's timer: the survey, a chaser or the
// closure for no response. A stale firing changes nothing.
func (a *Followup) Fire(ctx context.Context, f timer.Fired) error {
	return a.handle(ctx, f.ComplaintID, es.Command[domain.Command]{
		Body:        domain.Fire{Due: f.Due, At: a.now()},
		ComplaintID: f.ComplaintID, CausationID: f.FireID, IdempotencyKey: f.FireID, Actor: f.Actor(),
	})
}

// CancelRound stops the pending round of a reopened case. causationID is
// the CaseReopened event's id.
func (a *Followup) CancelRound(ctx context.Context, complaintID, causationID string) error {
	return a.handle(ctx, complaintID, es.Command[domain.Command]{
		Body:        domain.CancelRound{Reason: domain.ReasonCaseReopened, At: a.now()},
		ComplaintID: complaintID, CausationID: causationID, IdempotencyKey: causationID, Actor: Actor,
	})
}

// RecordAnswer records the customer's answer, given by actor (the customer,
// or an agent who took it on the phone). idempotencyKey, when not empty,
// makes a retried request append nothing new.
func (a *Followup) RecordAnswer(ctx context.Context, complaintID string, actor eventlog.Actor, idempotencyKey string, ans domain.RecordAnswer) (domain.Followup, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Followup{}, decider.Refusef(domain.ErrNoSurvey, "complaint %q", complaintID)
	}
	if idempotencyKey != "" {
		idempotencyKey = "answer/" + idempotencyKey
	}
	ans.At = a.now()
	res, err := a.followups.Handle(ctx, complaintID, es.Command[domain.Command]{
		Body: ans, ComplaintID: complaintID, CausationID: complaintID, Actor: actor, IdempotencyKey: idempotencyKey,
	})
	if err != nil {
		return res.State, err
	}
	return res.State, a.arm(ctx, complaintID, res.State)
}

// handle runs a command and then sets the timer for the deadline the
// follow-up now waits for, or cancels it when it waits for none. Setting it
// after every command, including one that appended nothing, is what makes a
// crash between appending and scheduling harmless: the redelivered event or
// firing runs it again.
func (a *Followup) handle(ctx context.Context, complaintID string, cmd es.Command[domain.Command]) error {
	res, err := a.followups.Handle(ctx, complaintID, cmd)
	if err != nil {
		return err
	}
	return a.arm(ctx, complaintID, res.State)
}

func (a *Followup) arm(ctx context.Context, complaintID string, f domain.Followup) error {
	due, pending := f.Pending()
	if !pending && f.Status == domain.NotScheduled {
		return nil
	}
	id, err := TimerID(complaintID)
	if err != nil {
		return err
	}
	if !pending {
		return a.timers.Cancel(ctx, ServiceName, id)
	}
	return a.timers.Schedule(ctx, timer.Timer{
		Service: ServiceName, ID: id, Due: due, Kind: TimerKind, ComplaintID: complaintID, Actor: Actor,
	})
}
