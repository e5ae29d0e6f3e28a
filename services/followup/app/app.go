// Package app holds follow-up's use cases: schedule the round when a
// resolution's redress is settled, act on the round's timers (survey,
// chasers, closure for no response), record the customer's answer, cancel
// the round when the case is reopened. Commands are in commands.go, queries
// in queries.go; the ports they need are declared here.
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// ServiceName is how follow-up signs its events.
const ServiceName = "followup"

// Actor is follow-up acting on its own, on events it consumes.
var Actor = eventlog.NewActor(eventlog.ActorSystem, ServiceName)

// TimerKind is the kind of follow-up's one timer per complaint: the round's
// next deadline.
const TimerKind = "followup-round"

// Followups loads and changes follow-up aggregates (es.Repository).
type Followups interface {
	Handle(ctx context.Context, id string, cmd es.Command[domain.Command]) (es.Result[domain.Followup], error)
	Load(ctx context.Context, id string) (domain.Followup, eventlog.Revision, error)
}

// Timers sets and cancels the round's timer (timer.Timers).
type Timers interface {
	Schedule(ctx context.Context, t timer.Timer) error
	Cancel(ctx context.Context, service, id string) error
}

// Complaints tells what follow-up needs to know of a complaint from other
// services' events: its customer, product, team and root cause.
type Complaints interface {
	Context(ctx context.Context, complaintID string) (domain.Context, error)
}

// SilentCustomers is the report of complaints closed for no response.
type SilentCustomers interface {
	Report(q domain.SilentQuery) domain.SilentReport
	// ReportAsOf is the report as it stood at asOf, folded again from the
	// log up to then.
	ReportAsOf(ctx context.Context, q domain.SilentQuery, asOf time.Time) (domain.SilentReport, error)
}

// Followup is the follow-up application.
type Followup struct {
	followups  Followups
	timers     Timers
	complaints Complaints
	silent     SilentCustomers
	now        func() time.Time
}

// Ports are what the application runs over.
type Ports struct {
	Followups  Followups
	Timers     Timers
	Complaints Complaints
	Silent     SilentCustomers
	// Now is the clock; the wall clock in UTC when nil.
	Now func() time.Time
}

// New builds the application over its ports.
func New(p Ports) *Followup {
	if p.Now == nil {
		p.Now = func() time.Time { return time.Now().UTC() }
	}
	return &Followup{followups: p.Followups, timers: p.Timers, complaints: p.Complaints, silent: p.Silent, now: p.Now}
}

// TimerID is the id of a complaint's follow-up timer: one per complaint, so
// each new deadline supersedes the last.
func TimerID(complaintID string) (string, error) { return timer.ID(complaintID, "followup") }
