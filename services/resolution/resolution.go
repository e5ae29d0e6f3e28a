// Package resolution is the resolution service: it opens a case for every
// received complaint, routes it to a team, and records the outcome and the
// process root cause.
package resolution

import (
	"context"
	"fmt"
	"net/http"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/clocks"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// DefaultAddr is where resolution listens when run on its own.
const DefaultAddr = "127.0.0.1:8082"

// Config is resolution's own configuration, read from the environment.
type Config struct {
	// ConfigDir holds policy files overriding the embedded defaults
	// (CONFIG_DIR): routing.yaml, taxonomy.yaml.
	ConfigDir string `env:"CONFIG_DIR"`
}

// ConfigFromEnv reads resolution's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("resolution configuration: %w", err)
	}
	return c, nil
}

// LoadPolicy loads the policies resolution decides with from dir (empty:
// the embedded defaults), validated.
func LoadPolicy(dir string) (domain.Policy, error) {
	routing, err := policy.Load[domain.Routing](dir, "routing")
	if err != nil {
		return domain.Policy{}, err
	}
	taxonomy, err := policy.Load[domain.Taxonomy](dir, "taxonomy")
	if err != nil {
		return domain.Policy{}, err
	}
	return domain.Policy{Routing: routing.Value, Taxonomy: taxonomy.Value}, nil
}

// New returns the factory the host runs resolution with. Policies are
// loaded when the service is built: a policy file in error stops the start.
func New(cfg Config) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		p, err := LoadPolicy(cfg.ConfigDir)
		if err != nil {
			return nil, err
		}
		a := app.New(app.Deps{Log: d.Log, Policy: p, Metadata: telemetry.InjectMetadata})
		return addClocks(cfg.ConfigDir, d, &service{deps: d, app: a})
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

// ---------------------------------------------------------------------------
// Clocks: every complaint's regime clocks and service levels (package clocks),
// and resolution's one timer consumer, which hands each firing to the part of
// resolution whose timer kind it is.
// ---------------------------------------------------------------------------

// withClocks is resolution with its clocks.
type withClocks struct {
	host.Service
	deps   host.Deps
	clocks *clocks.Clocks
}

func addClocks(dir string, d host.Deps, s host.Service) (host.Service, error) {
	c, err := clocks.New(dir, d)
	if err != nil {
		return nil, err
	}
	return &withClocks{Service: s, deps: d, clocks: c}, nil
}

func (s *withClocks) Routes(mux *http.ServeMux) {
	s.Service.Routes(mux)
	s.clocks.Routes(mux)
}

func (s *withClocks) Start(ctx context.Context) error {
	if err := s.Service.Start(ctx); err != nil {
		return err
	}
	if err := s.clocks.Start(ctx); err != nil {
		return err
	}
	if s.deps.Timers == nil {
		return nil
	}
	c, err := s.deps.Timers.Consume(ctx, app.ServiceName, s.onTimer)
	if err != nil {
		return err
	}
	s.deps.Go(func() { <-ctx.Done(); c.Stop() })
	return nil
}

// onTimer dispatches a firing by its kind; a kind nobody handles is logged
// and dropped, since no redelivery would change that.
func (s *withClocks) onTimer(ctx context.Context, f timer.Fired) error {
	if handled, err := s.clocks.Timer(ctx, f); handled {
		return err
	}
	if s.deps.Logger != nil {
		s.deps.Logger.Warn("timer of an unknown kind dropped", "kind", f.Kind, "timer", f.ID)
	}
	return nil
}
