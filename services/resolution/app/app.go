// Package app holds resolution's use cases: open a case for each received
// complaint, transfer it between teams, resolve it.
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// ServiceName is how resolution signs its events.
const ServiceName = "resolution"

// Resolution is the resolution application.
type Resolution struct {
	Policy domain.Policy
	repo   *es.Repository[domain.Case, any]
	now    func() time.Time
}

// New builds the application.
func New(log eventlog.Log, policy domain.Policy, metadata func(context.Context, *eventlog.Metadata)) *Resolution {
	return &Resolution{
		Policy: policy,
		now:    func() time.Time { return time.Now().UTC() },
		repo: &es.Repository[domain.Case, any]{
			Log: log, Category: domain.Category, Service: ServiceName, Decider: domain.NewDecider(policy), Metadata: metadata,
		},
	}
}

// OpenCase opens (and routes) the case of a received complaint. causationID
// is the ComplaintReceived event's id; a redelivered event opens nothing new.
func (a *Resolution) OpenCase(ctx context.Context, complaintID, product, channel, causationID string) error {
	_, err := a.repo.Handle(ctx, complaintID, es.Command[any]{
		Body:        domain.OpenCase{ComplaintID: complaintID, Product: product, Channel: channel, At: a.now()},
		ComplaintID: complaintID, CausationID: causationID, IdempotencyKey: causationID,
	})
	return err
}

// Assign transfers the case to a team.
func (a *Resolution) Assign(ctx context.Context, complaintID, team, agent string) (domain.Case, error) {
	return a.handle(ctx, complaintID, domain.AssignCase{Team: team, Agent: agent, At: a.now()})
}

// Resolve records the outcome and root cause.
func (a *Resolution) Resolve(ctx context.Context, complaintID string, cmd domain.ResolveCase) (domain.Case, error) {
	cmd.At = a.now()
	return a.handle(ctx, complaintID, cmd)
}

// Case loads a case; es.ErrNotFound until it has been opened.
func (a *Resolution) Case(ctx context.Context, complaintID string) (domain.Case, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Case{}, es.ErrNotFound
	}
	c, _, err := a.repo.Load(ctx, complaintID)
	return c, err
}

func (a *Resolution) handle(ctx context.Context, complaintID string, cmd any) (domain.Case, error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Case{}, domain.ErrCaseNotOpen
	}
	res, err := a.repo.Handle(ctx, complaintID, es.Command[any]{Body: cmd, ComplaintID: complaintID, CausationID: complaintID})
	return res.State, err
}
