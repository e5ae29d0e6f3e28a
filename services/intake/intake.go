// Package intake is the intake service: it receives complaints from every
// channel, acknowledges them with a dated promise (and asks the company's
// e-mail and SMS systems to send it), records a customer's repeat contacts on
// their open complaint, links a recontact to the complaint it follows, shows
// each complaint's view (clocks and effort included) and timeline, and
// erases or exports a customer's personal data.
package intake

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/intake/adapters"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/pii"
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
	// (CONFIG_DIR): regimes.yaml, templates.yaml, products.yaml,
	// recontact.yaml.
	ConfigDir string `env:"CONFIG_DIR"`
	// FingerprintKeyFile holds the key of customers' fingerprints
	// (FINGERPRINT_KEY_FILE): 64 hex digits. Empty keeps the key in the
	// personal-data vault's bucket, wrapped by its key-encryption keys,
	// created on first start and shared by every intake process.
	FingerprintKeyFile string `env:"FINGERPRINT_KEY_FILE"`
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

// WithFingerprintKey keys customers' fingerprints with key instead of the
// configured one (tests).
func WithFingerprintKey(key []byte) Option { return func(d *app.Deps) { d.FingerprintKey = key } }

// LoadPolicy loads the policies intake decides with from dir (empty: the
// embedded defaults), validated: the regimes, the customer message
// templates (the acknowledgement must render), the product taxonomy and the
// repeat-contact policy.
func LoadPolicy(dir string) (domain.Policy, error) {
	regimes, err := regime.Load(dir)
	if err != nil {
		return domain.Policy{}, err
	}
	templates, err := policy.Load[notify.Templates](dir, "templates")
	if err != nil {
		return domain.Policy{}, err
	}
	if err := templates.Value.Require(map[string]any{notify.Acknowledgement: domain.AcknowledgementSample}); err != nil {
		return domain.Policy{}, fmt.Errorf("policy templates: %w", err)
	}
	products, err := policy.Load[domain.Products](dir, "products")
	if err != nil {
		return domain.Policy{}, err
	}
	contacts, err := policy.Load[domain.Contacts](dir, "recontact")
	if err != nil {
		return domain.Policy{}, err
	}
	return domain.Policy{Regimes: regimes.Regimes, Templates: templates.Value, Products: products.Value, Contacts: contacts.Value}, nil
}

// fingerprintSecret names the fingerprint key in the vault's bucket.
const fingerprintSecret = "intake-customer-fingerprint"

// fingerprintKey reads the key of customers' fingerprints: from the file
// configured, else from the vault.
func fingerprintKey(cfg Config, vault *pii.Vault) ([]byte, error) {
	if cfg.FingerprintKeyFile != "" {
		text, err := os.ReadFile(cfg.FingerprintKeyFile)
		if err != nil {
			return nil, fmt.Errorf("fingerprint key: %w", err)
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("fingerprint key %s: must hold at least 64 hex digits", cfg.FingerprintKeyFile)
		}
		return key, nil
	}
	if vault == nil {
		return nil, errors.New("fingerprint key: no personal-data vault and no FINGERPRINT_KEY_FILE")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return vault.Secret(ctx, fingerprintSecret)
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
		if deps.FingerprintKey == nil {
			if deps.FingerprintKey, err = fingerprintKey(cfg, d.Vault); err != nil {
				return nil, err
			}
		}
		a, err := app.New(deps)
		if err != nil {
			return nil, err
		}
		return &service{deps: d, app: a, http: adapters.HTTP{App: a}, nats: adapters.NATS{App: a, Verifier: d.Verifier, Meter: d.Meter}}, nil
	}
}

type service struct {
	deps host.Deps
	app  *app.Intake
	http adapters.HTTP
	nats adapters.NATS
}

func (s *service) Name() string              { return app.ServiceName }
func (s *service) Routes(mux *http.ServeMux) { s.http.Routes(mux) }

// Start keeps the customer index up to date with reopens, and serves
// intake's request/reply API on NATS, until ctx ends.
func (s *service) Start(ctx context.Context) error {
	if err := s.deps.Consume(ctx, app.ServiceName, bus.Subscription{
		Durable:    adapters.IndexesCustomers,
		Categories: adapters.IndexedCategories,
		EventTypes: []string{adapters.CaseReopenedType},
	}, adapters.OnCaseReopened(s.app)); err != nil {
		return err
	}
	svc, err := s.nats.Serve(s.deps.Requests)
	if err != nil {
		return err
	}
	s.deps.Go(func() { <-ctx.Done(); _ = svc.Stop() })
	return nil
}
