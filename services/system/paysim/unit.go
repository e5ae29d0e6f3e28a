package paysim

import (
	"context"
	"errors"
	"net/http"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// Unit runs the simulator inside an all-in-one process (make run), so that
// redress issued there is confirmed. The host connects units with the
// credentials it holds; the all-in-one process holds the operator's, and
// the simulator uses that connection only for what the payment systems'
// user ("payments") may do (its own consumer on the redress events,
// confirmations). The standalone command connects as "payments" itself.
// Its confirmations carry the token of the payments role: cfg.Token, else
// the process's development token of that role; cfg sets its Options.
func Unit(cfg Config) host.Unit {
	return host.Unit{Name: natsauth.Operator, Build: func(d host.Deps) (host.Service, error) {
		o := Options{Logger: d.Logger, Token: cfg.Token, FailRate: cfg.FailRate, FailEvery: cfg.FailEvery, AnswerTwice: cfg.AnswerTwice}
		if o.Token == "" && d.DevTokensFile != "" {
			tokens, err := auth.ReadDevTokens(d.DevTokensFile)
			if err != nil {
				return nil, err
			}
			o.Token = tokens[auth.RolePayments]
		}
		if o.Token == "" {
			return nil, errors.New("paysim: no token of the payments role: set PAYSIM_TOKEN, or PAYSIM=off")
		}
		return &unit{deps: d, o: o}, nil
	}}
}

type unit struct {
	deps host.Deps
	o    Options
}

func (u *unit) Name() string          { return "paysim" }
func (u *unit) Routes(*http.ServeMux) {}
func (u *unit) Start(ctx context.Context) error {
	sim, err := Start(ctx, u.deps.NATS, u.o)
	if err != nil {
		return err
	}
	u.deps.Go(func() { <-ctx.Done(); sim.Stop() })
	return nil
}
