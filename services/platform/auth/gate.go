package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/caarlos0/env/v11"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
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
	// Rates limit each caller's requests by kind of caller (HTTP_RATE_*;
	// ADR 0038).
	Rates Rates
	// TrustedProxies are the proxies whose X-Forwarded-For (or Forwarded,
	// ProxyHeader) names the client's address (HTTP_TRUSTED_PROXIES:
	// addresses and networks, comma-separated); default none, so a
	// client is its direct peer whatever it sends in those headers.
	TrustedProxies []string `env:"HTTP_TRUSTED_PROXIES"`
	// ProxyHeader is the one header the trusted proxies append their
	// peer's address to (HTTP_PROXY_HEADER: X-Forwarded-For or Forwarded).
	ProxyHeader string `env:"HTTP_PROXY_HEADER" envDefault:"X-Forwarded-For"`
	// Extra verifiers tried first, before the development tokens (tests).
	Extra []Verifier `env:"-"`
	// Meter makes the gate's counters (RateLimitedMetric, DeniedMetric);
	// nil means the global provider.
	Meter metric.MeterProvider `env:"-"`
}

// Rates are the request rates of each kind of caller: a token bucket per
// caller, PerSecond sustained and Burst at once. Zero (or unset) takes the
// default in DefaultRates; a negative rate turns that kind's limit off.
type Rates struct {
	// Customer: per customer (the subject of their capability tokens,
	// so one bucket for all of a customer's complaints)
	// (HTTP_RATE_CUSTOMER, HTTP_RATE_CUSTOMER_BURST).
	Customer      float64 `env:"HTTP_RATE_CUSTOMER"`
	CustomerBurst int     `env:"HTTP_RATE_CUSTOMER_BURST"`
	// Staff: per staff token subject, a person (HTTP_RATE_STAFF,
	// HTTP_RATE_STAFF_BURST).
	Staff      float64 `env:"HTTP_RATE_STAFF"`
	StaffBurst int     `env:"HTTP_RATE_STAFF_BURST"`
	// System: per company system's token subject, the principals whose
	// actor is a system, such as an intake system (HTTP_RATE_SYSTEM,
	// HTTP_RATE_SYSTEM_BURST).
	System      float64 `env:"HTTP_RATE_SYSTEM"`
	SystemBurst int     `env:"HTTP_RATE_SYSTEM_BURST"`
	// Anonymous: per client address, every request without a valid
	// token (no token, a malformed, unknown or expired one)
	// (HTTP_RATE_ANONYMOUS, HTTP_RATE_ANONYMOUS_BURST).
	Anonymous      float64 `env:"HTTP_RATE_ANONYMOUS"`
	AnonymousBurst int     `env:"HTTP_RATE_ANONYMOUS_BURST"`
	// Off turns every limit off when negative (HTTP_RATE_LIMIT=-1, its
	// meaning before rates per kind of caller). Any other value is
	// refused, and so is HTTP_RATE_BURST: they set one rate for every
	// caller, which is gone.
	Off      float64 `env:"HTTP_RATE_LIMIT"`
	OldBurst int     `env:"HTTP_RATE_BURST"`
}

// DefaultRates are the rates of a deployment that sets none (ADR 0038):
// a customer acts on their own complaint a few times; a person works
// cases through a UI; a company system files every customer's complaint
// through one token, an outage storm included; a caller without a valid
// token has nothing to do but health checks.
var DefaultRates = Rates{
	Customer: 1, CustomerBurst: 20,
	Staff: 50, StaffBurst: 500,
	System: 200, SystemBurst: 2000,
	Anonymous: 5, AnonymousBurst: 50,
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
	limits        *rateLimits
	denied        metric.Int64Counter
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
	if cfg.Meter == nil {
		cfg.Meter = otel.GetMeterProvider()
	}
	limits, err := newRateLimits(cfg)
	if err != nil {
		return nil, err
	}
	g := &Gate{cfg: cfg, limits: limits, denied: newDeniedCounter(cfg.Meter)}
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

// Handler puts rate limits and authentication in front of next (the mux
// holding every route): the caller's principal goes into each request's
// context, and the routes' Require checks it.
//
// A request without a token is counted against its client address before
// authentication; one with a valid token against its caller (customer,
// staff or system, by subject) after it; one whose token fails
// verification against its client address too. Over the rate: 429
// problem+json with Retry-After, and the request goes no further.
func (g *Gate) Handler(next http.Handler) http.Handler {
	return g.limits.beforeAuthentication(countingDenials(g.denied, Authenticate(g.Verifier, g.limits.afterAuthentication(next))))
}

// Close stops the OIDC key refresh.
func (g *Gate) Close() error {
	if g.oidc != nil {
		return g.oidc.Close()
	}
	return nil
}

// rateLimits hold a bucket per caller: anonymous ones by client address,
// authenticated ones by kind and subject.
type rateLimits struct {
	customer, staff, system, anonymous callerRate
	proxies                            httpx.TrustedProxies
	buckets                            *httpx.Buckets
	// refused counts the 429 answers (RateLimitedMetric).
	refused metric.Int64Counter
}

// callerRate is the rate of one kind of caller: its name in bucket keys
// and the RateLimitedMetric, and the words a refusal names it with.
type callerRate struct {
	name, words string
	rate        httpx.Rate
}

// RateLimitedMetric counts 429 answers by kind of caller (customer, staff,
// system, anonymous): what to watch before changing a rate.
const RateLimitedMetric = "complaints.http.rate_limited"

// newRateLimitedCounter makes the RateLimitedMetric counter on mp.
func newRateLimitedCounter(mp metric.MeterProvider) metric.Int64Counter {
	c, err := mp.Meter("github.com/complaintflow/complaintflow/services/platform/auth").Int64Counter(RateLimitedMetric,
		metric.WithDescription("HTTP requests refused with 429, by kind of caller"),
		metric.WithUnit("{request}"))
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return c
}

// newRateLimits resolves cfg's rates against DefaultRates.
func newRateLimits(cfg Config) (*rateLimits, error) {
	r := cfg.Rates
	if r.Off > 0 || r.OldBurst != 0 {
		return nil, errors.New("HTTP_RATE_LIMIT and HTTP_RATE_BURST set one rate for every caller, which is gone: " +
			"set HTTP_RATE_CUSTOMER, HTTP_RATE_STAFF, HTTP_RATE_SYSTEM or HTTP_RATE_ANONYMOUS (and their _BURST) instead; " +
			"HTTP_RATE_LIMIT=-1 still turns every limit off")
	}
	proxies, err := httpx.ParseTrustedProxies(cfg.TrustedProxies, cfg.ProxyHeader)
	if err != nil {
		return nil, fmt.Errorf("HTTP_TRUSTED_PROXIES, HTTP_PROXY_HEADER: %w", err)
	}
	d := DefaultRates
	l := &rateLimits{
		customer:  callerRate{"customer", "a customer", rateOr(r.Customer, r.CustomerBurst, d.Customer, d.CustomerBurst)},
		staff:     callerRate{"staff", "a member of staff", rateOr(r.Staff, r.StaffBurst, d.Staff, d.StaffBurst)},
		system:    callerRate{"system", "a company system", rateOr(r.System, r.SystemBurst, d.System, d.SystemBurst)},
		anonymous: callerRate{"anonymous", "a client address without a valid token", rateOr(r.Anonymous, r.AnonymousBurst, d.Anonymous, d.AnonymousBurst)},
		proxies:   proxies,
		buckets:   httpx.NewBuckets(nil),
		refused:   newRateLimitedCounter(cfg.Meter),
	}
	if r.Off < 0 {
		for _, c := range []*callerRate{&l.customer, &l.staff, &l.system, &l.anonymous} {
			c.rate.PerSecond = -1
		}
	}
	return l, nil
}

// rateOr is a configured rate, zero fields taken from the default.
func rateOr(perSecond float64, burst int, defPerSecond float64, defBurst int) httpx.Rate {
	return httpx.Rate{PerSecond: perSecond, Burst: burst}.Or(httpx.Rate{PerSecond: defPerSecond, Burst: defBurst})
}

// beforeAuthentication counts a request without a token against its
// client address, before anything else is done for it.
func (l *rateLimits) beforeAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && !l.take(w, r, l.anonymous, l.proxies.ClientAddress(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// afterAuthentication counts a request with a valid token against its
// caller, and one whose token failed verification against its client
// address.
func (l *rateLimits) afterAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		switch {
		case ok:
			c := l.caller(p)
			if !l.take(w, r, c, p.Subject) {
				return
			}
		case r.Header.Get("Authorization") != "":
			if !l.take(w, r, l.anonymous, l.proxies.ClientAddress(r)) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// caller is the kind of caller p is, by the actor it stamps on events.
func (l *rateLimits) caller(p Principal) callerRate {
	switch p.Actor().Kind() {
	case eventlog.ActorCustomer:
		return l.customer
	case eventlog.ActorSystem:
		return l.system
	default:
		return l.staff
	}
}

// take takes one request of the caller id (a subject, a client address)
// of kind c from its bucket, or answers 429 and counts it.
func (l *rateLimits) take(w http.ResponseWriter, r *http.Request, c callerRate, id string) bool {
	wait, ok := l.buckets.Take(c.name+":"+id, c.rate)
	if !ok {
		if l.refused != nil {
			l.refused.Add(r.Context(), 1, metric.WithAttributes(attribute.String("caller", c.name)))
		}
		httpx.RefuseOverRate(w, r, wait, c.words+" ("+strconv.FormatFloat(c.rate.PerSecond, 'f', -1, 64)+
			" a second, "+strconv.Itoa(c.rate.Burst)+" at once)")
	}
	return ok
}
