// Package app holds compensation's use cases: decide (and within the
// approval limit issue) redress for a resolved complaint, and show it.
// Commands are in commands.go, queries in queries.go; the ports the use cases
// need are declared here and implemented by the platform.
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
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
	now       func() time.Time
}

// New builds the application over a redress repository built with
// domain.NewDecider(policy.Policy).
func New(redresses Redresses, policy Policy) *Compensation {
	return &Compensation{Policy: policy, redresses: redresses, now: func() time.Time { return time.Now().UTC() }}
}

// WithClock replaces the clock, for tests.
func (a *Compensation) WithClock(now func() time.Time) *Compensation {
	a.now = now
	return a
}
