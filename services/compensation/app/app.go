// Package app holds compensation's use cases: decide redress for a resolved
// complaint, have it approved, reserve it from its budget, request its
// issuance and record the payment systems' confirmations, and show it.
// Commands are in commands.go, queries in queries.go; the ports the use cases
// need are declared here and implemented by the platform.
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// ServiceName is how compensation signs its events.
const ServiceName = "compensation"

// Actor is compensation acting on its own, on events it consumes.
var Actor = eventlog.NewActor(eventlog.ActorSystem, ServiceName)

// Redresses loads and changes redress aggregates (es.Repository).
type Redresses interface {
	Handle(ctx context.Context, id string, cmd es.Command[domain.Command]) (es.Result[domain.Redress], error)
	Load(ctx context.Context, id string) (domain.Redress, eventlog.Revision, error)
}

// Budgets loads and changes budget aggregates (es.Repository).
type Budgets interface {
	Handle(ctx context.Context, id string, cmd es.Command[domain.BudgetCommand]) (es.Result[domain.Budget], error)
	Load(ctx context.Context, id string) (domain.Budget, eventlog.Revision, error)
}

// Streams reads streams: compensation's own redress stream (to recognise a
// repeated approval) and, for a resolution recorded before CaseResolved
// carried the amount in dispute, the complaint's receipt.
type Streams interface {
	ReadStream(ctx context.Context, stream string, from eventlog.Revision) ([]eventlog.RecordedEvent, error)
}

// Timers schedules compensation's timers (approval escalation, issuance
// retries); nil runs without them (component tests fire them by hand).
type Timers interface {
	Schedule(ctx context.Context, t timer.Timer) error
}

// LedgerView is the redress ledger projection.
type LedgerView interface {
	Ledger(func(domain.Ledger))
	// LedgerAsOf is the ledger as it stood at asOf, folded again from the
	// log up to then.
	LedgerAsOf(ctx context.Context, asOf time.Time, f func(domain.Ledger)) error
}

// AwaitingView is the projection of the redress waiting for an approver
// (domain.Awaiting).
type AwaitingView interface {
	Awaiting(func(domain.Awaiting))
}

// Policy is the loaded redress policy: its rules and where it came from.
type Policy struct {
	domain.Policy
	// Source says where it was read from: "embedded default" or a path.
	Source string
}

// Compensation is the compensation application.
type Compensation struct {
	Policy    Policy
	redresses Redresses
	budgets   Budgets
	streams   Streams
	timers    Timers
	ledger    LedgerView
	awaiting  AwaitingView
	decider   decider.Decider[domain.Redress, domain.Command]
	now       func() time.Time
}

// Ports are what the application runs over.
type Ports struct {
	Redresses Redresses
	Budgets   Budgets
	Streams   Streams
	Timers    Timers
}

// New builds the application over repositories built with
// domain.NewDecider(policy.Policy) and domain.NewBudgetDecider().
func New(p Ports, policy Policy) *Compensation {
	return &Compensation{Policy: policy, redresses: p.Redresses, budgets: p.Budgets, streams: p.Streams, timers: p.Timers,
		decider: domain.NewDecider(policy.Policy), now: func() time.Time { return time.Now().UTC() }}
}

// WithClock replaces the clock, for tests.
func (a *Compensation) WithClock(now func() time.Time) *Compensation {
	a.now = now
	return a
}

// WithTimers sets the timers once the host has them.
func (a *Compensation) WithTimers(t Timers) *Compensation {
	a.timers = t
	return a
}

// WithAwaiting sets the projection of the redress waiting for an approver.
func (a *Compensation) WithAwaiting(v AwaitingView) *Compensation {
	a.awaiting = v
	return a
}

// WithLedger sets the ledger projection.
func (a *Compensation) WithLedger(l LedgerView) *Compensation {
	a.ledger = l
	return a
}
