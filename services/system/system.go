// Package system runs all five services in one process, on one address: the
// quick way to run the whole complaint lifecycle on one machine.
package system

import (
	"fmt"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/prevention"
	"github.com/complaintflow/complaintflow/services/resolution"
	"github.com/complaintflow/complaintflow/services/system/paysim"
	"github.com/complaintflow/complaintflow/services/system/web"
)

// Declarations are what every service declares of its place on NATS, in its
// own package, in the order the matrix lists their users. Here, where every
// service is known, they and the payment systems' (paysim.Declaration)
// make the whole permission matrix (natsauth): of
// the all-in-one process, of natsusers, of every program and test that
// links this package.
var Declarations = []natsauth.Service{intake.Declaration, resolution.Declaration, compensation.Declaration,
	followup.Declaration, prevention.Declaration}

func init() {
	natsauth.Declare(Declarations...)
	natsauth.DeclarePayments(paysim.Declaration)
}

// DefaultAddr is where the all-in-one process listens.
const DefaultAddr = "127.0.0.1:8080"

// Config is what the all-in-one process reads besides the services' own
// configuration.
type Config struct {
	// PaySim is "off" to run without the simulated payment system
	// (PAYSIM): a real one, or a test's own, answers the issuance requests.
	PaySim string `env:"PAYSIM"`
	// PaySimConfig is the simulated payment system's token and misbehaviour
	// (PAYSIM_TOKEN, PAYSIM_FAIL_RATE, PAYSIM_FAIL_EVERY,
	// PAYSIM_ANSWER_TWICE).
	PaySimConfig paysim.Config
	// WebAPIURL is where the browser pages call the API (WEB_API_URL).
	// Empty: the address each request came in on.
	WebAPIURL string `env:"WEB_API_URL"`
	// WebOIDC is the staff sign-in to the pages through the identity
	// provider the API trusts (WEB_OIDC_CLIENT_ID, WEB_OIDC_CLIENT_SECRET,
	// WEB_OIDC_REDIRECT_URL, WEB_OIDC_SCOPES, with the API's OIDC_*).
	WebOIDC web.OIDC
}

// ConfigFromEnv reads the all-in-one process's configuration.
func ConfigFromEnv() (Config, error) {
	c, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("system configuration: %w", err)
	}
	if err := c.WebOIDC.Check(); err != nil {
		return Config{}, fmt.Errorf("system configuration: %w", err)
	}
	if err := c.PaySimConfig.Check(); err != nil {
		return Config{}, fmt.Errorf("system configuration: %w", err)
	}
	return c, nil
}

// Options are the options of Services that c asks for.
func (c Config) Options() []Option {
	var opts []Option
	if c.PaySim == "off" {
		opts = append(opts, WithoutPaySim())
	} else if c.PaySimConfig != (paysim.Config{}) {
		opts = append(opts, WithPaySim(c.PaySimConfig))
	}
	if c.WebAPIURL != "" {
		opts = append(opts, WithWebAPIURL(c.WebAPIURL))
	}
	if c.WebOIDC.On() {
		opts = append(opts, WithWebSignIn(c.WebOIDC))
	}
	return opts
}

// Option changes what Services runs.
type Option func(*options)

type options struct {
	withoutPaySim bool
	paySim        paysim.Config
	webAPIURL     string
	webOIDC       web.OIDC
}

// WithoutPaySim leaves out the simulated payment system.
func WithoutPaySim() Option { return func(o *options) { o.withoutPaySim = true } }

// WithPaySim runs the simulated payment system with cfg instead of the
// zero Config (the development token, no misbehaviour).
func WithPaySim(cfg paysim.Config) Option { return func(o *options) { o.paySim = cfg } }

// WithWebAPIURL makes the browser pages call the API at url instead of the
// address each request came in on.
func WithWebAPIURL(url string) Option { return func(o *options) { o.webAPIURL = url } }

// WithWebSignIn lets staff sign in to the pages through an identity
// provider.
func WithWebSignIn(o web.OIDC) Option { return func(opts *options) { opts.webOIDC = o } }

// Services are the five services with their default policies, the browser
// pages under /app/ (a client of their API) and, unless WithoutPaySim, the
// simulated payment system that confirms redress issuance.
func Services(intakeCfg intake.Config, opts ...Option) []host.Unit {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	units := []host.Unit{
		{Name: intake.Declaration.Name, Build: intake.New(intakeCfg), SignsCustomerTokens: true},
		{Name: resolution.Declaration.Name, Build: resolution.New(resolution.Config{ConfigDir: intakeCfg.ConfigDir})},
		{Name: compensation.Declaration.Name, Build: compensation.New(compensation.Config{ConfigDir: intakeCfg.ConfigDir})},
		{Name: followup.Declaration.Name, Build: followup.NewWithConfig(followup.Config{ConfigDir: intakeCfg.ConfigDir})},
		{Name: prevention.Declaration.Name, Build: prevention.New(prevention.Config{ConfigDir: intakeCfg.ConfigDir})},
		web.Unit(web.Config{APIURL: o.webAPIURL, OIDC: o.webOIDC, ConfigDir: intakeCfg.ConfigDir}),
	}
	if !o.withoutPaySim {
		units = append(units, paysim.Unit(o.paySim))
	}
	return units
}
