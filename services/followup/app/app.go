// Package app holds follow-up's use cases: ask the customer after
// resolution, record the answer, close on a "yes". Commands are in
// commands.go, queries in queries.go; the ports they need are declared here.
package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ServiceName is how follow-up signs its events.
const ServiceName = "followup"

// Actor is follow-up acting on its own, on events it consumes.
var Actor = eventlog.NewActor(eventlog.ActorSystem, ServiceName)

// Followups loads and changes follow-up aggregates (es.Repository).
type Followups interface {
	Handle(ctx context.Context, id string, cmd es.Command[domain.Command]) (es.Result[domain.Followup], error)
	Load(ctx context.Context, id string) (domain.Followup, eventlog.Revision, error)
}

// Followup is the follow-up application.
type Followup struct {
	followups Followups
	now       func() time.Time
}

// New builds the application over a follow-up repository built with
// domain.Decider.
func New(followups Followups) *Followup {
	return &Followup{followups: followups, now: func() time.Time { return time.Now().UTC() }}
}
