// Package followup is the follow-up service: after resolution it asks the
// customer whether the problem is really fixed and how the handling felt, and
// closes the complaint when the customer says it is resolved.
package followup

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where follow-up listens when run on its own.
const DefaultAddr = "127.0.0.1:8084"

// New returns the factory the host runs follow-up with.
func New() host.Factory {
	return func(d host.Deps) (host.Service, error) {
		return &service{deps: d, app: app.New(d.Log, telemetry.InjectMetadata)}, nil
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
		Durable:    "followup-requests-surveys",
		Categories: []string{"case"},
		EventTypes: []string{adapters.CaseResolvedType},
	}, adapters.OnCaseResolved(s.app))
}
