// Package intake is the intake service: it receives complaints from every
// channel, acknowledges them with a dated promise, and shows each complaint's
// current view and timeline.
package intake

import (
	"context"
	"net/http"
	"os"

	"github.com/complaintflow/complaintflow/services/intake/adapters"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where intake listens when run on its own.
const DefaultAddr = "127.0.0.1:8081"

// Config is intake's own configuration.
type Config struct {
	// Regime names the clocks that apply (REGIME, default "default").
	Regime string
}

// ConfigFromEnv reads intake's configuration.
func ConfigFromEnv() Config {
	c := Config{Regime: os.Getenv("REGIME")}
	if c.Regime == "" {
		c.Regime = "default"
	}
	return c
}

// New returns the factory the host runs intake with.
func New(cfg Config) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		regime, err := domain.RegimeNamed(cfg.Regime)
		if err != nil {
			return nil, err
		}
		a := app.New(d.Log, d.Vault, regime, telemetry.InjectMetadata)
		return &service{deps: d, http: adapters.HTTP{App: a}, nats: adapters.NATS{App: a}}, nil
	}
}

type service struct {
	deps host.Deps
	http adapters.HTTP
	nats adapters.NATS
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { s.http.Routes(mux) }

// Start serves intake's request/reply API on NATS until ctx ends.
func (s *service) Start(ctx context.Context) error {
	svc, err := s.nats.Serve(s.deps.NATS)
	if err != nil {
		return err
	}
	s.deps.Go(func() { <-ctx.Done(); _ = svc.Stop() })
	return nil
}
