// Package prevention is the prevention service: projections over the whole
// log that show process owners which causes produce complaints, what they
// cost customers and regulators' figures.
package prevention

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
)

// DefaultAddr is where prevention listens when run on its own.
const DefaultAddr = "127.0.0.1:8085"

// ServiceName is prevention's name.
const ServiceName = app.ServiceName

// New returns the factory the host runs prevention with.
func New() host.Factory {
	return func(d host.Deps) (host.Service, error) {
		facts, err := adapters.NewFacts(context.Background(), d.Log, d.JetStream)
		if err != nil {
			return nil, err
		}
		projections := adapters.NewRegistry(facts)
		return &service{
			facts: facts, projections: projections, app: app.New(facts, projections), goFn: d.Go,
			// The systemic issues and preventive actions the HTML report
			// shows: none until their application is wired here.
			prevention: adapters.NoPrevention{},
		}, nil
	}
}

type service struct {
	facts       *adapters.Facts
	projections *adapters.Registry
	app         *app.Prevention
	prevention  adapters.PreventionView
	goFn        func(func())
}

func (s *service) Name() string { return ServiceName }
func (s *service) Routes(mux *http.ServeMux) {
	adapters.HTTP{App: s.app, Prevention: s.prevention}.Routes(mux)
}

func (s *service) Start(ctx context.Context) error {
	s.projections.Start(ctx)
	s.goFn(func() { _ = s.facts.Run(ctx) })
	return nil
}
