package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// OpenCase opens, triages and routes the case of a received complaint.
// causationID is the ComplaintReceived event's id; a redelivered event
// opens nothing new.
func (a *Resolution) OpenCase(ctx context.Context, rec *complaintsv1.ComplaintReceived, causationID string) error {
	_, err := a.repo.Handle(ctx, rec.ComplaintId, es.Command[domain.CaseCommand]{
		Body: domain.OpenCase{
			ComplaintID: rec.ComplaintId, CustomerID: rec.CustomerId, Reference: rec.Reference, Regime: rec.Regime,
			Product: rec.Product, Channel: rec.Channel, DisputedCurrency: rec.Currency, At: a.now(),
			Complaint: domain.Complaint{
				Description: rec.Description, Product: rec.Product, ProductCategory: rec.ProductCategory,
				DisputedAmountMinor: rec.DisputedAmountMinor, Vulnerable: rec.CustomerVulnerable, Regime: rec.Regime,
			},
		},
		ComplaintID: rec.ComplaintId, CausationID: causationID, IdempotencyKey: causationID, Actor: Actor,
	})
	return err
}

// Request is who asks for a command and how a retry is recognised.
type Request struct {
	Actor eventlog.Actor
	// IdempotencyKey makes a retry of the same command change nothing; empty
	// for none.
	IdempotencyKey string
}

// Assign gives the case to a team and agent (a transfer when the team
// changes), on the requester's word.
func (a *Resolution) Assign(ctx context.Context, r Request, complaintID string, cmd domain.AssignCase) (domain.Case, error) {
	cmd.At, cmd.By = a.now(), string(r.Actor)
	return a.handle(ctx, r, "assign", complaintID, cmd)
}

// Claim gives the case to the agent who takes it from the queue.
func (a *Resolution) Claim(ctx context.Context, r Request, complaintID string, cmd domain.ClaimCase) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, r, "claim", complaintID, cmd)
}

// Escalate takes the case a tier up.
func (a *Resolution) Escalate(ctx context.Context, r Request, complaintID string, cmd domain.EscalateCase) (domain.Case, error) {
	cmd.At, cmd.By = a.now(), string(r.Actor)
	return a.handle(ctx, r, "escalate", complaintID, cmd)
}

// Review records the review triage required.
func (a *Resolution) Review(ctx context.Context, r Request, complaintID string, cmd domain.ReviewCase) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, r, "review", complaintID, cmd)
}

// RequestInformation asks the customer a question. The request's id is
// derived from the idempotency key when there is one, so a retry asks
// nothing new.
func (a *Resolution) RequestInformation(ctx context.Context, r Request, complaintID string, cmd domain.RequestInformation) (domain.Case, string, error) {
	cmd.At, cmd.By = a.now(), string(r.Actor)
	if r.IdempotencyKey != "" {
		cmd.RequestID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("information-request:"+complaintID+":"+r.IdempotencyKey)).String()
	} else {
		cmd.RequestID = uuid.Must(uuid.NewV7()).String()
	}
	c, err := a.handle(ctx, r, "request-information", complaintID, cmd)
	return c, cmd.RequestID, err
}

// ProvideInformation records the customer's answer; the case resumes.
func (a *Resolution) ProvideInformation(ctx context.Context, r Request, complaintID string, cmd domain.ProvideInformation) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, r, "provide-information", complaintID, cmd)
}

// RecordContact records that a person contacted the customer.
func (a *Resolution) RecordContact(ctx context.Context, r Request, complaintID string, cmd domain.RecordContact) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, r, "contact", complaintID, cmd)
}

// Resolve records the outcome and root cause.
func (a *Resolution) Resolve(ctx context.Context, r Request, complaintID string, cmd domain.ResolveCase) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, r, "resolve", complaintID, cmd)
}

// Reopen opens a resolved case again, unless follow-up has closed the
// complaint.
func (a *Resolution) Reopen(ctx context.Context, r Request, complaintID string, cmd domain.ReopenCase) (domain.Case, error) {
	cmd.At, cmd.By = a.now(), string(r.Actor)
	if !eventlog.ValidID(complaintID) {
		return domain.Case{}, domain.ErrCaseNotOpen
	}
	closed, err := a.closed(ctx, complaintID)
	if err != nil {
		return domain.Case{}, err
	}
	cmd.Closed = closed
	return a.handle(ctx, r, "reopen", complaintID, cmd)
}

// ReopenOnSurvey reopens the case whose customer answered the follow-up of
// a resolution "not resolved". eventID (the answer's) makes a redelivery
// change nothing.
func (a *Resolution) ReopenOnSurvey(ctx context.Context, complaintID string, resolution int, reason, eventID string) error {
	if reason == "" {
		reason = "the customer answered the follow-up survey: not resolved"
	}
	res, err := a.repo.Handle(ctx, complaintID, es.Command[domain.CaseCommand]{
		Body:        domain.ReopenCase{Reason: reason, By: domain.SurveyReopener, Resolution: resolution, At: a.now()},
		ComplaintID: complaintID, CausationID: eventID, IdempotencyKey: eventID, Actor: FollowupActor,
	})
	countEffort(ctx, a.effort, res.State.Team, res.Events)
	return err
}

// EscalateOnBreach escalates the case whose clock breached (the case
// decides that a window closing escalates nothing). eventID (the breach's)
// makes a redelivery change nothing.
func (a *Resolution) EscalateOnBreach(ctx context.Context, b *complaintsv1.ClockBreached, eventID string) error {
	complaintID := b.ComplaintId
	res, err := a.repo.Handle(ctx, complaintID, es.Command[domain.CaseCommand]{
		Body:        domain.EscalateCase{Clock: b.Clock, Window: b.Window, By: string(Actor), At: a.now()},
		ComplaintID: complaintID, CausationID: eventID, IdempotencyKey: eventID, Actor: Actor,
	})
	countEffort(ctx, a.effort, res.State.Team, res.Events)
	if errors.Is(err, domain.ErrCaseNotOpen) {
		return nil // a clock of a complaint without a case: nothing to escalate
	}
	return err
}

// closed reports whether follow-up has closed the complaint.
func (a *Resolution) closed(ctx context.Context, complaintID string) (bool, error) {
	events, err := a.log.ReadStream(ctx, eventlog.StreamName("followup", complaintID), 0)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range events {
		if e.Type == closedType {
			return true, nil
		}
	}
	return false, nil
}

var closedType = es.TypeOf(&complaintsv1.ComplaintClosed{})

func (a *Resolution) handle(ctx context.Context, r Request, kind, complaintID string, cmd domain.CaseCommand) (domain.Case, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Case{}, domain.ErrCaseNotOpen
	}
	key := ""
	if r.IdempotencyKey != "" {
		key = kind + ":" + r.IdempotencyKey
	}
	res, err := a.repo.Handle(ctx, complaintID, es.Command[domain.CaseCommand]{
		Body: cmd, ComplaintID: complaintID, CausationID: complaintID, Actor: r.Actor, IdempotencyKey: key,
	})
	countEffort(ctx, a.effort, res.State.Team, res.Events)
	return res.State, err
}
