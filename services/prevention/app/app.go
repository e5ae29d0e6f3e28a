// Package app holds prevention's use cases: reports read from projections
// over the whole log (queries.go) and the operation of those projections
// (projections.go). The read models they need are declared here and fed by
// the adapters.
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// ServiceName is prevention's name.
const ServiceName = "prevention"

// FactsView is the fact table of every complaint, kept live from the log.
type FactsView interface {
	// ReadFacts gives fn the live table, under a read lock (fn must not
	// keep it), with the log position it reflects.
	ReadFacts(fn func(t *domain.Facts, at eventlog.Position))
	// FactsAsOf builds the table as it stood at asOf, from the events
	// recorded until then.
	FactsAsOf(ctx context.Context, asOf time.Time) (*domain.Facts, eventlog.Position, error)
}

// Projections operates the service's projections: status and rebuild.
type Projections interface {
	List() []api.ProjectionStatus
	Status(name string) (api.ProjectionStatus, bool)
	// Rebuild starts rebuilding a projection from the whole log; it
	// returns at once. An unknown name returns false.
	Rebuild(name string) (api.ProjectionStatus, bool, error)
}

// Prevention is the prevention application.
type Prevention struct {
	facts       FactsView
	projections Projections
	now         func() time.Time
	// in3 counts the regulatory report's third business day in each
	// regime's calendar; nil counts Monday to Friday in UTC.
	in3 domain.AnsweredIn3BusinessDays
}

// CountingBusinessDaysWith makes the regulatory report count the third
// business day after receipt with in3 (the regimes' calendars).
func (a *Prevention) CountingBusinessDaysWith(in3 domain.AnsweredIn3BusinessDays) *Prevention {
	a.in3 = in3
	return a
}

// New builds the application over its read models.
func New(facts FactsView, projections Projections) *Prevention {
	return &Prevention{facts: facts, projections: projections, now: func() time.Time { return time.Now().UTC() }}
}
