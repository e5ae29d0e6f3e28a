// Package compensation is the compensation service: it decides redress from a
// policy kept as data and issues it exactly once, as an event payment and
// voucher systems act on.
package compensation

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where compensation listens when run on its own.
const DefaultAddr = "127.0.0.1:8083"

// New returns the factory the host runs compensation with.
func New(policy domain.Policy) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		return &service{deps: d, app: app.New(d.Log, policy, telemetry.InjectMetadata)}, nil
	}
}

type service struct {
	deps host.Deps
	app  *app.Compensation
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

func (s *service) Start(ctx context.Context) error {
	return s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable:    "compensation-decides-redress",
		Categories: []string{"case"},
		EventTypes: []string{adapters.CaseResolvedType},
	}, adapters.OnCaseResolved(s.app))
}
