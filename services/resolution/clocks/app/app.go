// Package app holds the clock use cases: start, pause, resume, meet, restart
// and stop a complaint's clocks as the events of its lifecycle arrive, act on
// their timers (commands.go), and show them (queries.go). After every
// command it brings the clocks' timers in line with their state.
package app

import (
	"context"
	"sync"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

// ServiceName is the service the clocks belong to: they sign their events,
// and set their timers, as resolution.
const ServiceName = "resolution"

// Actor is the clocks' own actor, for the clocks started and stopped by the
// events of other streams.
var Actor = eventlog.NewActor(eventlog.ActorSystem, ServiceName)

// Timer kinds of the clocks (timer.Timer.Kind).
const (
	KindWarning = "clock-warning"
	KindDue     = "clock-due"
)

// Timers is what the clocks need of the timer port.
type Timers interface {
	Schedule(ctx context.Context, t timer.Timer) error
	Cancel(ctx context.Context, service, id string) error
}

// Clocks is the clock application.
type Clocks struct {
	log    eventlog.Log
	repo   *es.Repository[domain.Clocks, domain.ClockCommand]
	timers Timers
	now    func() time.Time

	// aligned holds, per complaint, the revision of its clocks that this
	// process last set the timer for: a lifecycle event that changes
	// nothing at that revision leaves the timer as it is.
	mu      sync.Mutex
	aligned map[string]eventlog.Revision
}

// Deps are what the application works with.
type Deps struct {
	Log    eventlog.Log
	Policy domain.Policy
	Timers Timers
	// Metadata adds to every event's metadata (trace context).
	Metadata func(context.Context, *eventlog.Metadata)
	// Now is the clock; nil for the system clock.
	Now func() time.Time
}

// New builds the application.
func New(d Deps) *Clocks {
	now := d.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Clocks{
		log: d.Log, timers: d.Timers, now: now, aligned: map[string]eventlog.Revision{},
		repo: &es.Repository[domain.Clocks, domain.ClockCommand]{
			Log: d.Log, Category: domain.Category, Service: ServiceName, Decider: domain.NewDecider(d.Policy), Metadata: d.Metadata,
			Cache: es.NewCache[domain.Clocks](es.DefaultCacheSize),
		},
	}
}
