// Package followup is the follow-up service: after resolution it asks the
// customer whether the problem is really fixed and how the handling felt, and
// closes the complaint when the customer says it is resolved.
package followup

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where follow-up listens when run on its own.
const DefaultAddr = "127.0.0.1:8084"

// NewApp builds the application over log.
func NewApp(log eventlog.Log, metadata func(context.Context, *eventlog.Metadata)) *app.Followup {
	return app.New(&es.Repository[domain.Followup, domain.Command]{
		Log: log, Category: domain.Category, Service: app.ServiceName, Decider: domain.Decider, Metadata: metadata,
	})
}

// New returns the factory the host runs follow-up with.
func New() host.Factory {
	return func(d host.Deps) (host.Service, error) {
		return &service{deps: d, app: NewApp(d.Log, telemetry.InjectMetadata)}, nil
	}
}

type service struct {
	deps host.Deps
	app  *app.Followup
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

func (s *service) Start(ctx context.Context) error {
	return s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable:    adapters.RequestsSurveys,
		Categories: []string{"case"},
		EventTypes: []string{adapters.CaseResolvedType},
	}, adapters.OnCaseResolved(s.app))
}
