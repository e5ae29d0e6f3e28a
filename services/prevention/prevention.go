// Package prevention is the prevention service: projections over the whole
// log that show process owners which causes produce complaints.
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
		rootCauses, err := adapters.NewRootCauses(context.Background(), d.Log, d.JetStream)
		if err != nil {
			return nil, err
		}
		return &service{rootCauses: rootCauses, app: app.New(rootCauses), goFn: d.Go}, nil
	}
}

type service struct {
	rootCauses *adapters.RootCauses
	app        *app.Prevention
	goFn       func(func())
}

func (s *service) Name() string              { return ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

func (s *service) Start(ctx context.Context) error {
	s.goFn(func() { _ = s.rootCauses.Run(ctx) })
	return nil
}
