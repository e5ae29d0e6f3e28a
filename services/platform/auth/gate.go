package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// Config says how a process authenticates HTTP callers. Read it with
// ConfigFromEnv, or nest it in a process's own env-tagged config.
type Config struct {
	// DevTokens writes and accepts the development tokens file
	// (AUTH_DEV_TOKENS: auto, true or false). auto, the default, means on
	// unless OIDC is configured.
	DevTokens string `env:"AUTH_DEV_TOKENS" envDefault:"auto"`
	// DevTokensFile is where they are kept (AUTH_DEV_TOKENS_FILE); default
	// dev-tokens.json in the data directory.
	DevTokensFile string `env:"AUTH_DEV_TOKENS_FILE"`
	// CustomerKeyFile holds the Ed25519 key (a private JWK) that signs
	// customer capability tokens (CUSTOMER_TOKEN_KEY_FILE); default
	// customer-token-key.json in the data directory, generated on first
	// start. Only a process that signs (SignsCustomerTokens: intake's)
	// reads it; it writes the public key beside it
	// (CustomerPublicKeyFile).
	CustomerKeyFile string `env:"CUSTOMER_TOKEN_KEY_FILE"`
	// CustomerPublicKeyFile holds the public key the other processes verify
	// customer tokens with (CUSTOMER_TOKEN_PUBLIC_KEY_FILE); default
	// beside CustomerKeyFile, customer-token-key.pub.json.
	CustomerPublicKeyFile string `env:"CUSTOMER_TOKEN_PUBLIC_KEY_FILE"`
	// SignsCustomerTokens: the process issues customer tokens (it runs
	// intake) and loads the signing key; any other process loads the
	// public key only and cannot issue one. Set by the host from its units.
	SignsCustomerTokens bool `env:"-"`
	// CustomerTokenTTL is how long a customer token is valid
	// (CUSTOMER_TOKEN_TTL).
	CustomerTokenTTL time.Duration `env:"CUSTOMER_TOKEN_TTL" envDefault:"4320h"`
	// OIDC verifies the tokens of an identity provider (OIDC_*); off unless
	// OIDC_JWKS_URL is set.
	OIDC OIDCConfig
	// RatePerSecond and RateBurst limit each client's requests
	// (HTTP_RATE_LIMIT, HTTP_RATE_BURST); a negative rate turns limiting
	// off.
	RatePerSecond float64 `env:"HTTP_RATE_LIMIT" envDefault:"10000"`
	RateBurst     int     `env:"HTTP_RATE_BURST" envDefault:"20000"`
	// Extra verifiers tried first, before the development tokens (tests).
	Extra []Verifier `env:"-"`
}

// ConfigFromEnv reads Config from the environment.
func ConfigFromEnv() (Config, error) {
	return env.ParseAs[Config]()
}

// Gate is a process's authentication: the verifier chain, the issuer of
// customer tokens, and the middleware that puts them in front of the
// routes.
type Gate struct {
	// Verifier is the chain: Config.Extra, development tokens, customer
	// tokens, OIDC.
	Verifier Verifier
	// Customers issues customer capability tokens and verifies them; nil
	// unless Config.SignsCustomerTokens (intake's process).
	Customers *CustomerTokens
	// DevTokensFile is the development tokens file in use; empty when
	// development tokens are off.
	DevTokensFile string
	cfg           Config
	oidc          *OIDC
}

// GateFromEnv is NewGate over the configuration in the environment: the
// one call a host makes.
func GateFromEnv(ctx context.Context, dataDir string) (*Gate, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, fmt.Errorf("authentication config: %w", err)
	}
	return NewGate(ctx, cfg, dataDir)
}

// NewGate builds a process's authentication from cfg, keeping generated
// files (development tokens, customer-token key) in dataDir.
func NewGate(ctx context.Context, cfg Config, dataDir string) (*Gate, error) {
	g := &Gate{cfg: cfg}
	chain := Chain(append([]Verifier(nil), cfg.Extra...))
	dev := cfg.OIDC.JWKSURL == ""
	switch cfg.DevTokens {
	case "", "auto":
	case "true", "1", "on":
		dev = true
	case "false", "0", "off":
		dev = false
	default:
		return nil, fmt.Errorf("AUTH_DEV_TOKENS: %q is not auto, true or false", cfg.DevTokens)
	}
	if dev {
		g.DevTokensFile = cfg.DevTokensFile
		if g.DevTokensFile == "" {
			g.DevTokensFile = filepath.Join(dataDir, DevTokensFile)
		}
		tokens, err := LoadOrCreateDevTokens(g.DevTokensFile)
		if err != nil {
			return nil, fmt.Errorf("development tokens: %w", err)
		}
		chain = append(chain, tokens)
	}
	keyFile := cfg.CustomerKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, CustomerKeyFile)
	}
	if cfg.SignsCustomerTokens {
		customers, err := LoadOrCreateCustomerTokens(keyFile, cfg.CustomerTokenTTL)
		if err != nil {
			return nil, err
		}
		g.Customers = customers
		chain = append(chain, customers)
	} else {
		pubFile := cfg.CustomerPublicKeyFile
		if pubFile == "" {
			pubFile = CustomerPublicKeyFile(keyFile)
		}
		customers, err := LoadCustomerVerifier(pubFile)
		if err != nil {
			return nil, err
		}
		chain = append(chain, customers)
	}
	var err error
	if cfg.OIDC.JWKSURL != "" {
		if g.oidc, err = NewOIDC(ctx, cfg.OIDC); err != nil {
			return nil, err
		}
		chain = append(chain, g.oidc)
	}
	if len(chain) == 1 && !dev && cfg.OIDC.JWKSURL == "" {
		return nil, errors.New("no staff can authenticate: set OIDC_JWKS_URL or AUTH_DEV_TOKENS=true")
	}
	g.Verifier = chain
	return g, nil
}

// Handler puts authentication and per-client rate limits in front of next
// (the mux holding every route): the caller's principal goes into each
// request's context, and the routes' Require checks it.
func (g *Gate) Handler(next http.Handler) http.Handler {
	return Authenticate(g.Verifier, httpx.RateLimit(next, httpx.RateLimitOptions{
		PerSecond: g.cfg.RatePerSecond, Burst: g.cfg.RateBurst, Key: ClientKey,
	}))
}

// Close stops the OIDC key refresh.
func (g *Gate) Close() error {
	if g.oidc != nil {
		return g.oidc.Close()
	}
	return nil
}

// ClientKey names the client of a request for rate limiting: its
// authenticated subject, else its remote host.
func ClientKey(r *http.Request) string {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return "principal:" + p.Subject
	}
	return "remote:" + httpx.RemoteHost(r)
}
