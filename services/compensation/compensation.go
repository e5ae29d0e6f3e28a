// Package compensation is the compensation service: it decides redress from a
// policy kept as data and issues it exactly once, as an event payment and
// voucher systems act on.
package compensation

import (
	"context"
	"fmt"
	"net/http"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultAddr is where compensation listens when run on its own.
const DefaultAddr = "127.0.0.1:8083"

// Config is compensation's own configuration.
type Config struct {
	// ConfigDir holds policy files overriding the embedded defaults
	// (CONFIG_DIR); compensation reads redress.yaml from it.
	ConfigDir string `env:"CONFIG_DIR"`
}

// ConfigFromEnv reads compensation's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("compensation configuration: %w", err)
	}
	return c, nil
}

// LoadPolicy reads and validates the redress policy: dir/redress.yaml when
// there is one, the embedded default otherwise, with the message templates
// (templates.yaml) its redress-issued message is rendered from. Its error
// names the file and every field at fault.
func LoadPolicy(dir string) (app.Policy, error) {
	l, err := policy.Load[domain.Policy](dir, domain.PolicyName)
	if err != nil {
		return app.Policy{}, err
	}
	t, err := policy.Load[notify.Templates](dir, "templates")
	if err != nil {
		return app.Policy{}, err
	}
	if err := t.Value.Require(map[string]any{domain.IssuedTemplate: domain.IssuedFields{Reference: "CMP-0", Description: "a refund of 1.00 GBP"}}); err != nil {
		return app.Policy{}, fmt.Errorf("%s: %w", t.Source, err)
	}
	p := l.Value
	p.Templates = &t.Value
	return app.Policy{Policy: p, Source: l.Source}, nil
}

// NewApp builds the application over log with policy p: redress and budget
// repositories, and the complaint streams read when deciding.
func NewApp(log eventlog.Log, p app.Policy, metadata func(context.Context, *eventlog.Metadata)) *app.Compensation {
	return app.New(app.Ports{
		// Not cached: folding an issuance changes the *Issuance an earlier
		// state shares, which a cache would hand out and fold on.
		Redresses: &es.Repository[domain.Redress, domain.Command]{
			Log: log, Category: domain.Category, Service: app.ServiceName, Decider: domain.NewDecider(p.Policy), Metadata: metadata,
		},
		Budgets: &es.Repository[domain.Budget, domain.BudgetCommand]{
			Log: log, Category: domain.BudgetCategory, Service: app.ServiceName, Decider: domain.NewBudgetDecider(), Metadata: metadata,
			// Budgets are shared by every complaint decided in a month: let
			// concurrent decisions retry on each other's reservations, and
			// keep each budget in memory so that a reservation reads only
			// the reservations since the last one, not the month's.
			MaxAttempts: 50,
			Cache:       es.NewCache[domain.Budget](es.DefaultCacheSize),
		},
		Streams: log,
	}, p)
}

// New returns the factory the host runs compensation with. The redress
// policy is loaded and checked when the service is built, so a broken
// policy file stops the start with the file and field at fault.
func New(cfg Config) host.Factory {
	return func(d host.Deps) (host.Service, error) {
		p, err := LoadPolicy(cfg.ConfigDir)
		if err != nil {
			return nil, err
		}
		if d.Logger != nil {
			d.Logger.Info("redress policy loaded", "version", p.Version, "source", p.Source, "rules", len(p.Rules))
		}
		a := NewApp(d.Log, p, telemetry.InjectMetadata)
		if d.Timers != nil {
			a.WithTimers(d.Timers)
		}
		return &service{deps: d, app: a}, nil
	}
}

type service struct {
	deps host.Deps
	app  *app.Compensation
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { adapters.HTTP{App: s.app}.Routes(mux) }

// Start runs the resolution consumer, the timer consumer, the confirmation
// endpoint on NATS, the redress ledger and the list of redress awaiting
// approval.
func (s *service) Start(ctx context.Context) error {
	d := s.deps
	if d.JetStream != nil {
		ledger, err := adapters.NewLedger(ctx, d.Log, d.JetStream)
		if err != nil {
			return fmt.Errorf("redress ledger: %w", err)
		}
		s.app.WithLedger(ledger)
		d.Go(func() { _ = ledger.Run(ctx) })
	}
	awaiting, err := adapters.NewAwaiting(ctx, d.Log, d.JetStream)
	if err != nil {
		return fmt.Errorf("redress awaiting approval: %w", err)
	}
	s.app.WithAwaiting(awaiting)
	d.Go(func() { _ = awaiting.Run(ctx) })
	if d.Timers != nil {
		c, err := d.Timers.Consume(ctx, app.ServiceName, adapters.OnTimer(s.app))
		if err != nil {
			return err
		}
		d.Go(func() { <-ctx.Done(); c.Stop() })
	}
	if d.Requests != nil {
		svc, err := adapters.NATS{App: s.app, Verifier: d.Verifier, Meter: d.Meter}.Serve(d.Requests)
		if err != nil {
			return fmt.Errorf("confirmation endpoint: %w", err)
		}
		d.Go(func() { <-ctx.Done(); _ = svc.Stop() })
	}
	return d.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable:    adapters.DecidesRedress,
		Categories: []string{"case"},
		EventTypes: []string{adapters.CaseResolvedType},
	}, adapters.OnCaseResolved(s.app))
}
