// Package resolution is the resolution service: it opens a case for every
// received complaint, routes it to a team, and records the outcome and the
// process root cause.
package resolution

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// DefaultAddr is where resolution listens when run on its own.
const DefaultAddr = "127.0.0.1:8082"

// New returns the factory the host runs resolution with.
func New(policy domain.Policy) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		a := app.New(d.Log, policy, telemetry.InjectMetadata)
		return &service{deps: d, app: a}, nil
	}
}

type service struct {
	deps host.Deps
	app  *app.Resolution
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

func (s *service) Start(ctx context.Context) error {
	return s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable:    "resolution-opens-cases",
		Categories: []string{"complaint"},
		EventTypes: []string{adapters.ComplaintReceivedType},
	}, adapters.OnComplaintReceived(s.app))
}
