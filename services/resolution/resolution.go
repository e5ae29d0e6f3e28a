// Package resolution is the resolution service: it opens a case for every
// received complaint, triages and routes it, lets agents work it (claim,
// transfer, escalate, review, ask the customer, record contacts, resolve)
// and reopens it when the customer says it is not fixed.
package resolution

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/notify"
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
	// (CONFIG_DIR): routing.yaml, taxonomy.yaml, triage.yaml, contacts.yaml,
	// templates.yaml.
	ConfigDir string `env:"CONFIG_DIR"`
	// QueueSnapshotEvery is how often the queue projection's snapshot is
	// saved in the projections bucket; zero is DefaultQueueSnapshotEvery.
	QueueSnapshotEvery time.Duration `env:"-"`
}

// DefaultQueueSnapshotEvery is how often the queue projection is saved
// unless Config says otherwise.
const DefaultQueueSnapshotEvery = 2 * time.Second

// ConfigFromEnv reads resolution's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("resolution configuration: %w", err)
	}
	return c, nil
}

// LoadPolicy loads the policies resolution decides with from dir (empty:
// the embedded defaults), validated; the messages it sends must render.
func LoadPolicy(dir string) (domain.Policy, error) {
	routing, err := policy.Load[domain.Routing](dir, "routing")
	if err != nil {
		return domain.Policy{}, err
	}
	taxonomy, err := policy.Load[domain.Taxonomy](dir, "taxonomy")
	if err != nil {
		return domain.Policy{}, err
	}
	triage, err := policy.Load[domain.Triage](dir, "triage")
	if err != nil {
		return domain.Policy{}, err
	}
	contacts, err := policy.Load[domain.Contacts](dir, "contacts")
	if err != nil {
		return domain.Policy{}, err
	}
	templates, err := policy.Load[notify.Templates](dir, "templates")
	if err != nil {
		return domain.Policy{}, err
	}
	if err := templates.Value.Require(map[string]any{
		notify.CaseOwner:          map[string]any{"Reference": "CMP-1", "AgentName": "Sam", "Team": "billing", "Contact": "0800"},
		notify.InformationRequest: map[string]any{"Reference": "CMP-1", "Question": "?", "RequestID": "r"},
		notify.FinalResponse: map[string]any{"Reference": "CMP-1", "Product": "p", "Outcome": "o", "Summary": "s",
			"Team": "t", "Contact": "c"},
		notify.Reopened: map[string]any{"Reference": "CMP-1", "Team": "t", "Contact": "c"},
	}); err != nil {
		return domain.Policy{}, fmt.Errorf("templates.yaml: %w", err)
	}
	return domain.Policy{Routing: routing.Value, Taxonomy: taxonomy.Value, Triage: triage.Value, Contacts: contacts.Value,
		Templates: &templates.Value}, nil
}

// New returns the factory the host runs resolution with. Policies are
// loaded when the service is built: a policy file in error stops the start.
func New(cfg Config) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		p, err := LoadPolicy(cfg.ConfigDir)
		if err != nil {
			return nil, err
		}
		a := app.New(app.Deps{Log: d.Log, Policy: p, Metadata: telemetry.InjectMetadata, Meter: d.Meter})
		every := cfg.QueueSnapshotEvery
		if every <= 0 {
			every = DefaultQueueSnapshotEvery
		}
		return addClocks(cfg.ConfigDir, d, &service{deps: d, app: a, queueSnapshotEvery: every})
	}
}

type service struct {
	deps               host.Deps
	app                *app.Resolution
	queueSnapshotEvery time.Duration
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

// Start starts the case work's consumers and request API, with no clocks:
// withClocks starts resolution with them.
func (s *service) Start(ctx context.Context) error { return s.start(ctx) }

// start starts resolution's one durable on the lifecycle, running the case
// work's reactions and more (the clocks'), and the rest of the case work.
func (s *service) start(ctx context.Context, more ...bus.Reaction) error {
	if err := s.startQueues(ctx); err != nil {
		return err
	}
	// The clocks react first: a received complaint's clocks start before
	// its case opens, so that an instance dying between the two leaves a
	// case that no one can resolve yet, never a resolved case whose clocks
	// start after it (and then run with nothing left to meet them) when the
	// receipt is delivered again.
	types, react := bus.React(append(more, s.reactions()...)...)
	if err := s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable: Durable, Replaces: Replaced, Categories: Categories, EventTypes: types,
		Workers: Workers,
	}, react); err != nil {
		return err
	}
	return s.startCaseWork(ctx)
}

// reactions are how the case work reacts to the lifecycle: a case opened for
// every received complaint, reopened on a "not resolved" survey answer,
// escalated on a breached clock.
func (s *service) reactions() []bus.Reaction {
	return []bus.Reaction{
		{Name: "opens cases", EventTypes: []string{adapters.ComplaintReceivedType}, Handle: adapters.OnComplaintReceived(s.app)},
		{Name: "reopens cases", EventTypes: []string{adapters.SurveyAnsweredType}, Handle: adapters.OnSurveyAnswered(s.app)},
		{Name: "escalates breaches", EventTypes: []string{adapters.ClockBreachedType}, Handle: adapters.OnClockBreached(s.app)},
	}
}

// ---------------------------------------------------------------------------
// Clocks: every complaint's regime clocks and service levels (package clocks),
// and resolution's one timer consumer, which hands each firing to the part of
// resolution whose timer kind it is.
// ---------------------------------------------------------------------------

// withClocks is resolution with its clocks.
type withClocks struct {
	*service
	clocks *clocks.Clocks
}

func addClocks(dir string, d host.Deps, s *service) (host.Service, error) {
	c, err := clocks.New(dir, d)
	if err != nil {
		return nil, err
	}
	return &withClocks{service: s, clocks: c}, nil
}

func (s *withClocks) Routes(mux *http.ServeMux) {
	s.service.Routes(mux)
	s.clocks.Routes(mux)
}

func (s *withClocks) Start(ctx context.Context) error {
	if err := s.service.start(ctx, s.clocks.Reaction()); err != nil {
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
