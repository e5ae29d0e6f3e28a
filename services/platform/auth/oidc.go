package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// OIDCConfig configures verification of an identity provider's access
// tokens (JWTs signed with the keys it publishes at a JWKS URL).
type OIDCConfig struct {
	// Issuer is the required iss claim (OIDC_ISSUER).
	Issuer string `env:"OIDC_ISSUER"`
	// JWKSURL is where the provider publishes its signing keys
	// (OIDC_JWKS_URL). Setting it turns OIDC verification on.
	JWKSURL string `env:"OIDC_JWKS_URL"`
	// Audience is the required aud claim: the id this API has at the
	// provider (OIDC_AUDIENCE).
	Audience string `env:"OIDC_AUDIENCE"`
	// RolesClaim is the claim holding the caller's roles, a dotted path
	// into nested objects such as realm_access.roles (OIDC_ROLES_CLAIM).
	// Its value is a list of strings or one space-separated string; names
	// that are not roles of this API are ignored.
	RolesClaim string `env:"OIDC_ROLES_CLAIM" envDefault:"roles"`
	// SubjectClaim is the claim naming the caller, sub by default
	// (OIDC_SUBJECT_CLAIM). It becomes the actor of what they do, so it
	// should be a stable id, not an e-mail address.
	SubjectClaim string `env:"OIDC_SUBJECT_CLAIM" envDefault:"sub"`
	// Leeway is the clock skew allowed on exp, nbf and iat (OIDC_LEEWAY).
	Leeway time.Duration `env:"OIDC_LEEWAY" envDefault:"30s"`
	// RefreshInterval bounds how long a fetched key set is kept before it
	// is fetched again (OIDC_JWKS_REFRESH); a token that fails verification
	// (signed with a new key, say) also causes a fetch, at most once a minute.
	RefreshInterval time.Duration `env:"OIDC_JWKS_REFRESH" envDefault:"15m"`
	// HTTPClient fetches the key set; default has a 10 s timeout.
	HTTPClient *http.Client `env:"-"`
}

// OIDC verifies access tokens against a provider's JWKS, which it keeps
// cached and refreshes in the background. Close stops the refreshing.
type OIDC struct {
	cfg   OIDCConfig
	cache *jwk.Cache
	keys  jwk.Set
	stop  context.CancelFunc
	// lastRefresh is when a token that failed verification last caused
	// the key set to be fetched again (unix nanoseconds).
	lastRefresh atomic.Int64
}

// refreshAtMost is how often a token that fails verification may cause the
// key set to be fetched again: a provider that rotated its keys is seen at
// once, a flood of bad tokens costs one fetch a minute.
const refreshAtMost = time.Minute

// NewOIDC fetches the provider's key set once (failing when it cannot) and
// returns a verifier of its tokens.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.JWKSURL == "" || cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("OIDC needs OIDC_JWKS_URL, OIDC_ISSUER and OIDC_AUDIENCE")
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "roles"
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = "sub"
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 15 * time.Minute
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	// One fetch first: an unreachable or broken key set fails the start at
	// once, with the reason, instead of the cache retrying in the background.
	if _, err := jwk.Fetch(ctx, cfg.JWKSURL, jwk.WithHTTPClient(hc)); err != nil {
		return nil, fmt.Errorf("OIDC key set at %s: %w", cfg.JWKSURL, err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	cache, err := jwk.NewCache(runCtx, httprc.NewClient())
	if err != nil {
		stop()
		return nil, err
	}
	if err := cache.Register(ctx, cfg.JWKSURL,
		jwk.WithHTTPClient(hc),
		jwk.WithMaxInterval(cfg.RefreshInterval),
		jwk.WithMinInterval(time.Minute),
	); err != nil {
		stop()
		return nil, fmt.Errorf("OIDC key set at %s: %w", cfg.JWKSURL, err)
	}
	keys, err := cache.CachedSet(cfg.JWKSURL)
	if err != nil {
		stop()
		return nil, fmt.Errorf("OIDC key set at %s: %w", cfg.JWKSURL, err)
	}
	return &OIDC{cfg: cfg, cache: cache, keys: keys, stop: stop}, nil
}

// Close stops refreshing the key set.
func (o *OIDC) Close() error {
	o.stop()
	return nil
}

// Verify implements Verifier: the signature against the provider's keys,
// issuer, audience and validity times; the subject and roles from their
// claims. A token cannot make its holder a customer: customers act only
// through capability tokens.
func (o *OIDC) Verify(ctx context.Context, token string) (Principal, error) {
	tok, err := o.parse(ctx, token)
	if err != nil {
		last := o.lastRefresh.Load()
		now := time.Now().UnixNano()
		if now-last > int64(refreshAtMost) && o.lastRefresh.CompareAndSwap(last, now) {
			if _, rerr := o.cache.Refresh(ctx, o.cfg.JWKSURL); rerr == nil {
				tok, err = o.parse(ctx, token)
			}
		}
	}
	if err != nil {
		return Principal{}, fmt.Errorf("OIDC token: %w", err)
	}
	return o.principal(ctx, tok)
}

func (o *OIDC) parse(ctx context.Context, token string) (jwt.Token, error) {
	return jwt.ParseString(token,
		jwt.WithKeySet(o.keys, jws.WithInferAlgorithmFromKey(true)),
		jwt.WithValidate(true),
		jwt.WithContext(ctx),
		jwt.WithIssuer(o.cfg.Issuer),
		jwt.WithAudience(o.cfg.Audience),
		jwt.WithAcceptableSkew(o.cfg.Leeway),
		jwt.WithRequiredClaim("exp"),
	)
}

func (o *OIDC) principal(_ context.Context, tok jwt.Token) (Principal, error) {
	raw, err := json.Marshal(tok)
	if err != nil {
		return Principal{}, fmt.Errorf("OIDC token: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return Principal{}, fmt.Errorf("OIDC token: %w", err)
	}
	sub, _ := claimAt(claims, o.cfg.SubjectClaim).(string)
	if sub == "" {
		return Principal{}, fmt.Errorf("OIDC token: no %s claim", o.cfg.SubjectClaim)
	}
	p := Principal{Subject: sub}
	for _, name := range roleNames(claimAt(claims, o.cfg.RolesClaim)) {
		role := Role(name)
		if role.Known() && role != RoleCustomer && !p.Has(role) {
			p.Roles = append(p.Roles, role)
		}
	}
	return p, nil
}

// claimAt follows a dotted path into nested claim objects.
func claimAt(claims map[string]any, path string) any {
	var cur any = claims
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[seg]
	}
	return cur
}

// roleNames reads a roles claim: a list of strings or one space-separated
// string.
func roleNames(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
