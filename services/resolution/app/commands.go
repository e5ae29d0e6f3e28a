package app

import (
	"context"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// OpenCase opens (and routes) the case of a received complaint. causationID
// is the ComplaintReceived event's id; a redelivered event opens nothing new.
func (a *Resolution) OpenCase(ctx context.Context, complaintID, product, channel, causationID string) error {
	_, err := a.repo.Handle(ctx, complaintID, es.Command[domain.CaseCommand]{
		Body:        domain.OpenCase{ComplaintID: complaintID, Product: product, Channel: channel, At: a.now()},
		ComplaintID: complaintID, CausationID: causationID, IdempotencyKey: causationID, Actor: Actor,
	})
	return err
}

// Assign transfers the case to a team, on actor's word.
func (a *Resolution) Assign(ctx context.Context, actor eventlog.Actor, complaintID, team, agent string) (domain.Case, error) {
	return a.handle(ctx, actor, complaintID, domain.AssignCase{Team: team, Agent: agent, At: a.now()})
}

// Resolve records the outcome and root cause, on actor's word.
func (a *Resolution) Resolve(ctx context.Context, actor eventlog.Actor, complaintID string, cmd domain.ResolveCase) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, actor, complaintID, cmd)
}

func (a *Resolution) handle(ctx context.Context, actor eventlog.Actor, complaintID string, cmd domain.CaseCommand) (domain.Case, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Case{}, domain.ErrCaseNotOpen
	}
	res, err := a.repo.Handle(ctx, complaintID, es.Command[domain.CaseCommand]{
		Body: cmd, ComplaintID: complaintID, CausationID: complaintID, Actor: actor,
	})
	return res.State, err
}
