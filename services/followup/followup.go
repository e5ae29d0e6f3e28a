// Package followup is the follow-up service: once a resolution's redress is
// settled it asks the customer whether the problem is really fixed and how
// the handling felt, reminds a silent customer, and closes the complaint on
// a "yes" or after the configured silence.
package followup

import (
	"context"
	"fmt"
	"net/http"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where follow-up listens when run on its own.
const DefaultAddr = "127.0.0.1:8084"

// Config is follow-up's own configuration.
type Config struct {
	// ConfigDir holds policy files overriding the embedded defaults
	// (CONFIG_DIR); follow-up reads followup.yaml and templates.yaml from it.
	ConfigDir string `env:"CONFIG_DIR"`
}

// ConfigFromEnv reads follow-up's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("followup configuration: %w", err)
	}
	return c, nil
}

// LoadRules reads and validates the follow-up policy and the message
// templates: from dir when it has them, the embedded defaults otherwise.
// The error names the file and every field at fault.
func LoadRules(dir string) (domain.Rules, error) {
	p, err := policy.Load[domain.Policy](dir, domain.PolicyName)
	if err != nil {
		return domain.Rules{}, err
	}
	t, err := policy.Load[notify.Templates](dir, "templates")
	if err != nil {
		return domain.Rules{}, err
	}
	tpl := t.Value
	if err := tpl.Require(map[string]any{
		notify.Survey: struct{ Reference string }{"CMP-1"},
		notify.SurveyChaser: struct {
			Reference string
			Chaser    int32
		}{"CMP-1", 1},
	}); err != nil {
		return domain.Rules{}, err
	}
	return domain.Rules{Policy: p.Value, Templates: &tpl}, nil
}

// Repository is the follow-up repository over log under rules r.
func Repository(log eventlog.Log, r domain.Rules, metadata func(context.Context, *eventlog.Metadata)) *es.Repository[domain.Followup, domain.Command] {
	return &es.Repository[domain.Followup, domain.Command]{
		Log: log, Category: domain.Category, Service: app.ServiceName, Decider: domain.NewDecider(r), Metadata: metadata,
		Cache: es.NewCache[domain.Followup](es.DefaultCacheSize),
	}
}

// New returns the factory the host runs follow-up with, configured from
// the environment (CONFIG_DIR).
func New() host.Factory {
	return func(d host.Deps) (host.Service, error) {
		cfg, err := ConfigFromEnv()
		if err != nil {
			return nil, err
		}
		return NewWithConfig(cfg)(d)
	}
}

// NewWithConfig returns the factory the host runs follow-up with. The
// policy is loaded and checked when the service is built, so a broken
// policy file stops the start with the file and field at fault.
func NewWithConfig(cfg Config) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		rules, err := LoadRules(cfg.ConfigDir)
		if err != nil {
			return nil, err
		}
		if d.Logger != nil {
			d.Logger.Info("followup policy loaded", "version", rules.Policy.Version, "survey_delay", rules.Policy.SurveyDelay.String(),
				"chasers", fmt.Sprint(rules.Policy.Chasers), "close_after", rules.Policy.CloseAfter.String())
		}
		silent, err := adapters.NewSilent(context.Background(), d.Log, d.JetStream)
		if err != nil {
			return nil, err
		}
		a := app.New(app.Ports{
			Followups:  Repository(d.Log, rules, telemetry.InjectMetadata),
			Timers:     d.Timers,
			Complaints: adapters.Complaints{Log: d.Log},
			Silent:     silent,
		})
		return &service{deps: d, app: a, silent: silent}, nil
	}
}

type service struct {
	deps   host.Deps
	app    *app.Followup
	silent *adapters.Silent
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

func (s *service) Start(ctx context.Context) error {
	if err := s.deps.Consume(ctx, app.ServiceName, adapters.RoundsSubscription, adapters.OnRoundEvent(s.app)); err != nil {
		return err
	}
	if _, err := s.deps.Timers.Consume(ctx, app.ServiceName, adapters.OnTimer(s.app)); err != nil {
		return err
	}
	s.deps.Go(func() { _ = s.silent.Run(ctx) })
	svc, err := adapters.NATS{App: s.app, Verifier: s.deps.Verifier, Meter: s.deps.Meter}.Serve(s.deps.Requests)
	if err != nil {
		return err
	}
	s.deps.Go(func() {
		<-ctx.Done()
		_ = svc.Stop()
	})
	return nil
}
