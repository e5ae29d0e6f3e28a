// Package app holds resolution's use cases: open a case for each received
// complaint, transfer it between teams, resolve it (commands.go); show a
// case and the taxonomy (queries.go).
package app

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// ServiceName is how resolution signs its events.
const ServiceName = "resolution"

// Actor is resolution's own actor, for the cases it opens on its own when a
// complaint is received.
var Actor = eventlog.NewActor(eventlog.ActorSystem, ServiceName)

// FollowupActor is the actor of reopens on a "not resolved" survey answer.
var FollowupActor = eventlog.NewActor(eventlog.ActorSystem, "followup")

// Resolution is the resolution application.
type Resolution struct {
	policy domain.Policy
	log    eventlog.Log
	queues *Queues
	repo   *es.Repository[domain.Case, domain.CaseCommand]
	now    func() time.Time
	effort metric.Int64Counter
}

// Deps are what the application works with.
type Deps struct {
	Log    eventlog.Log
	Policy domain.Policy
	// Metadata adds to every event's metadata (trace context).
	Metadata func(context.Context, *eventlog.Metadata)
	// Now is the clock; nil for the system clock.
	Now func() time.Time
	// Meter counts the customer's effort (EffortMetric); nil means the
	// global provider.
	Meter metric.MeterProvider
}

// New builds the application.
func New(d Deps) *Resolution {
	now := d.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Resolution{
		effort: newEffortCounter(d.Meter),
		policy: d.Policy,
		log:    d.Log,
		queues: NewQueues(),
		now:    now,
		repo: &es.Repository[domain.Case, domain.CaseCommand]{
			Log: d.Log, Category: domain.Category, Service: ServiceName, Decider: domain.NewDecider(d.Policy), Metadata: d.Metadata,
			Cache: es.NewCache[domain.Case](es.DefaultCacheSize),
		},
	}
}
