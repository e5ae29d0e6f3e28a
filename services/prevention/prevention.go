// Package prevention is the prevention service: projections over the whole
// log that show process owners which causes produce complaints, what they
// cost customers and regulators' figures.
package prevention

import (
	"context"
	"fmt"
	"net/http"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// DefaultAddr is where prevention listens when run on its own.
const DefaultAddr = "127.0.0.1:8085"

// ServiceName is prevention's name.
const ServiceName = app.ServiceName

// Config is prevention's own configuration.
type Config struct {
	// ConfigDir holds policy files overriding the embedded defaults
	// (CONFIG_DIR); prevention reads prevention.yaml and regimes.yaml from
	// it.
	ConfigDir string `env:"CONFIG_DIR"`
}

// ConfigFromEnv reads prevention's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("prevention configuration: %w", err)
	}
	return c, nil
}

// New returns the factory the host runs prevention with.
func New(cfg Config) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		pol, err := policy.Load[domain.SystemicPolicy](cfg.ConfigDir, domain.SystemicPolicyName)
		if err != nil {
			return nil, err
		}
		regimes, err := regime.Load(cfg.ConfigDir)
		if err != nil {
			return nil, err
		}
		facts, err := adapters.NewFacts(context.Background(), d.Log, d.JetStream)
		if err != nil {
			return nil, err
		}
		actions, err := newActionsWiring(d, pol)
		if err != nil {
			return nil, err
		}
		projections := adapters.NewRegistry(facts)
		return &service{
			facts: facts, projections: projections, goFn: d.Go,
			app:     app.New(facts, projections).CountingBusinessDaysWith(AnsweredIn3BusinessDays(regimes)),
			actions: actions, prevention: actions.app,
		}, nil
	}
}

// AnsweredIn3BusinessDays counts the regulatory report's third business day
// after receipt in the calendar of each complaint's regime (its bank
// holidays and time zone), as the regime's clocks do.
func AnsweredIn3BusinessDays(p regime.Policy) domain.AnsweredIn3BusinessDays {
	return func(f *domain.Fact) bool {
		cal := regime.UTC
		if g, ok := p.Named(f.Regime); ok {
			if c, ok := p.Calendars.Named(g.Calendar); ok {
				cal = c
			}
		}
		return !f.ResolvedAt.After(cal.AddBusinessDays(f.ReceivedAt, 3))
	}
}

type service struct {
	facts       *adapters.Facts
	projections *adapters.Registry
	app         *app.Prevention
	prevention  adapters.PreventionView
	goFn        func(func())
	actions     *actionsWiring
}

func (s *service) Name() string { return ServiceName }
func (s *service) Routes(mux *http.ServeMux) {
	adapters.HTTP{App: s.app, Prevention: s.prevention}.Routes(mux)
	s.actions.routes(mux)
}

func (s *service) Start(ctx context.Context) error {
	s.projections.Start(ctx)
	s.goFn(func() { _ = s.facts.Run(ctx) })
	return s.actions.start(ctx, s.goFn)
}

// ---------------------------------------------------------------------------
// Systemic issues and preventive actions (ADR 0032, ADR 0033, ADR 0047): the
// spike detector over resolutions, the early warning over intake volume, the
// views of issues and actions, their HTTP
// routes and the timers that flag overdue actions and evaluate completed
// ones (durable consumer "prevention-timers"). The policy is prevention.yaml
// from the configuration directory, or the embedded default.
// ---------------------------------------------------------------------------

type actionsWiring struct {
	app      *app.Actions
	detector *adapters.Detector
	watch    *adapters.IntakeWatch
	views    *adapters.ActionViews
	timers   *timer.Timers
}

func newActionsWiring(d host.Deps, pol policy.Loaded[domain.SystemicPolicy]) (*actionsWiring, error) {
	ctx := context.Background()
	detector, err := adapters.NewDetector(ctx, d.Log, d.JetStream, pol.Value.Detection)
	if err != nil {
		return nil, err
	}
	views, err := adapters.NewActionViews(ctx, d.Log, d.JetStream)
	if err != nil {
		return nil, err
	}
	actions := app.NewActions(app.ActionsDeps{
		Log: d.Log, Metadata: telemetry.InjectMetadata, Policy: pol,
		Counts: detector, Views: views, Timers: d.Timers, Logger: d.Logger,
	})
	detector.RecordWith(actions.Detect)
	// The early warning from intake volume (ADR 0047): bursts of received
	// complaints about a product, recorded as systemic issues as they come.
	watch, err := adapters.NewIntakeWatch(ctx, d.Log, d.JetStream, pol.Value.EarlyWarning)
	if err != nil {
		return nil, err
	}
	watch.RecordWith(actions.Detect)
	return &actionsWiring{app: actions, detector: detector, watch: watch, views: views, timers: d.Timers}, nil
}

func (w *actionsWiring) routes(mux *http.ServeMux) { adapters.ActionsHTTP{Actions: w.app}.Routes(mux) }

func (w *actionsWiring) start(ctx context.Context, goFn func(func())) error {
	goFn(func() { _ = w.detector.Run(ctx) })
	goFn(func() { _ = w.watch.Run(ctx) })
	goFn(func() { _ = w.views.Run(ctx) })
	c, err := w.timers.Consume(ctx, ServiceName, w.app.OnTimer)
	if err != nil {
		return err
	}
	goFn(func() { <-ctx.Done(); c.Stop() })
	return nil
}
