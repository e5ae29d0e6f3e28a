// Package clocks runs the clocks of every complaint inside the resolution
// service: the regime's regulatory clocks and the company's service levels,
// on durable timers (ADR 0026). Resolution's wiring builds it (New), serves
// its routes and hands it the clock timers of its one timer consumer
// (Timer); its reaction to lifecycle events runs on
// resolution's durable (Reaction).
package clocks

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/app"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

// LoadPolicy loads what the clocks decide with from dir (empty: the
// embedded defaults): regimes.yaml, calendars.yaml, templates.yaml.
func LoadPolicy(dir string) (domain.Policy, error) {
	regimes, err := regime.Load(dir)
	if err != nil {
		return domain.Policy{}, err
	}
	templates, err := policy.Load[notify.Templates](dir, "templates")
	if err != nil {
		return domain.Policy{}, err
	}
	if err := templates.Value.Require(map[string]any{
		notify.HoldingResponse: map[string]any{"Reference": "CMP-0", "Product": "product", "Due": "Monday 1 January 2027"},
	}); err != nil {
		return domain.Policy{}, err
	}
	return domain.Policy{Regimes: regimes, Templates: &templates.Value}, nil
}

// Clocks is the clocks part of resolution.
type Clocks struct {
	deps host.Deps
	app  *app.Clocks
}

// New builds the clocks from policies in dir; a policy in error stops the
// start.
func New(dir string, d host.Deps) (*Clocks, error) {
	p, err := LoadPolicy(dir)
	if err != nil {
		return nil, err
	}
	deps := app.Deps{Log: d.Log, Policy: p, Metadata: telemetry.InjectMetadata}
	if d.Timers != nil {
		deps.Timers = d.Timers
	}
	return &Clocks{deps: d, app: app.New(deps)}, nil
}

// Routes registers GET /v1/clocks/{id}.
func (c *Clocks) Routes(mux *http.ServeMux) { adapters.HTTP{App: c.app}.Routes(mux) }

// Reaction moves the clocks on lifecycle events; resolution runs it on its
// one durable with the case's reactions (Categories are the streams it
// needs).
func (c *Clocks) Reaction() bus.Reaction {
	return bus.Reaction{Name: "clocks", EventTypes: adapters.EventTypes, Handle: adapters.OnLifecycleEvent(c.app)}
}

// Categories are the streams whose events move the clocks.
var Categories = adapters.Categories

// Timer handles a resolution timer if it is a clock's (handled says so).
func (c *Clocks) Timer(ctx context.Context, f timer.Fired) (handled bool, err error) {
	return adapters.OnTimer(c.app)(ctx, f)
}
