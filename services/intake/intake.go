// Package intake is the intake service: it receives complaints from every
// channel, acknowledges them with a dated promise, and shows each complaint's
// current view and timeline.
package intake

import (
	"context"
	"fmt"
	"net/http"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/intake/adapters"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where intake listens when run on its own.
const DefaultAddr = "127.0.0.1:8081"

// Config is intake's own configuration, read from the environment.
type Config struct {
	// Regime names the clocks that apply (REGIME); empty for the default
	// regime of regimes.yaml.
	Regime string `env:"REGIME"`
	// ConfigDir holds policy files overriding the embedded defaults
	// (CONFIG_DIR): regimes.yaml, templates.yaml.
	ConfigDir string `env:"CONFIG_DIR"`
}

// ConfigFromEnv reads intake's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("intake configuration: %w", err)
	}
	return c, nil
}

// Option adds to what intake is built with.
type Option func(*app.Deps)

// WithTokenIssuer makes every submission's answer carry a customer
// capability token issued by t.
func WithTokenIssuer(t app.TokenIssuer) Option { return func(d *app.Deps) { d.Tokens = t } }

// LoadPolicy loads the policies intake decides with from dir (empty: the
// embedded defaults), validated.
func LoadPolicy(dir string) (domain.Policy, error) {
	regimes, err := regime.Load(dir)
	if err != nil {
		return domain.Policy{}, err
	}
	templates, err := policy.Load[domain.Templates](dir, "templates")
	if err != nil {
		return domain.Policy{}, err
	}
	return domain.Policy{Regimes: domain.RegimesOf(regimes), Templates: templates.Value}, nil
}

// New returns the factory the host runs intake with. Policies are loaded
// when the service is built: a policy file in error stops the start.
func New(cfg Config, opts ...Option) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		p, err := LoadPolicy(cfg.ConfigDir)
		if err != nil {
			return nil, err
		}
		deps := app.Deps{Log: d.Log, Vault: d.Vault, Policy: p, Regime: cfg.Regime, Metadata: telemetry.InjectMetadata}
		if d.CustomerTokens != nil {
			deps.Tokens = d.CustomerTokens
		}
		for _, o := range opts {
			o(&deps)
		}
		a, err := app.New(deps)
		if err != nil {
			return nil, err
		}
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
