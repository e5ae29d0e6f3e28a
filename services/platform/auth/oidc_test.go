package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// provider is an identity provider for tests: signing keys made in the
// test, their public set served on loopback.
type provider struct {
	t       *testing.T
	srv     *httptest.Server
	keys    map[string]jwk.Key // kid → private key
	public  atomic.Pointer[[]byte]
	fetches atomic.Int64
}

const (
	testIssuer   = "https://id.example.test/realms/complaints"
	testAudience = "complaints-api"
)

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{t: t, keys: map[string]jwk.Key{}}
	p.addRSA("rsa-1")
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*p.public.Load())
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) add(kid string, raw any, alg jwa.SignatureAlgorithm) {
	p.t.Helper()
	k, err := jwk.Import(raw)
	if err != nil {
		p.t.Fatal(err)
	}
	_ = k.Set(jwk.KeyIDKey, kid)
	_ = k.Set(jwk.AlgorithmKey, alg)
	p.keys[kid] = k
	set := jwk.NewSet()
	for _, k := range p.keys {
		pub, err := jwk.PublicKeyOf(k)
		if err != nil {
			p.t.Fatal(err)
		}
		_ = set.AddKey(pub)
	}
	b, err := json.Marshal(set)
	if err != nil {
		p.t.Fatal(err)
	}
	p.public.Store(&b)
}

func (p *provider) addRSA(kid string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		p.t.Fatal(err)
	}
	p.add(kid, key, jwa.RS256())
}

func (p *provider) addEC(kid string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	p.add(kid, key, jwa.ES256())
}

// sign makes a token with the standard claims of a staff member, changed by
// edit.
func (p *provider) sign(kid string, edit func(b *jwt.Builder)) string {
	p.t.Helper()
	b := jwt.NewBuilder().Issuer(testIssuer).Audience([]string{testAudience}).Subject("agent-7").
		IssuedAt(time.Now()).Expiration(time.Now().Add(5*time.Minute)).
		Claim("roles", []string{"agent", "approver", "customer", "something-else"})
	if edit != nil {
		edit(b)
	}
	tok, err := b.Build()
	if err != nil {
		p.t.Fatal(err)
	}
	k := p.keys[kid]
	alg, _ := k.Algorithm()
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, kid)
	signed, err := jwt.Sign(tok, jwt.WithKey(alg, k, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(signed)
}

func TestOIDCVerifiesAgainstTheProvidersJWKS(t *testing.T) {
	idp := newProvider(t)
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{
		Issuer: testIssuer, JWKSURL: idp.srv.URL, Audience: testAudience, RolesClaim: "roles",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()

	p, err := o.Verify(context.Background(), idp.sign("rsa-1", nil))
	if err != nil {
		t.Fatal(err)
	}
	// Roles this API does not know are dropped, and no provider token makes
	// a customer.
	if p.Subject != "agent-7" || len(p.Roles) != 2 || !p.Has(auth.RoleAgent) || !p.Has(auth.RoleApprover) || p.Has(auth.RoleCustomer) {
		t.Fatalf("principal %+v", p)
	}
	if got := string(p.Actor()); got != "agent:agent-7" {
		t.Fatalf("actor %q", got)
	}

	for name, edit := range map[string]func(*jwt.Builder){
		"other issuer":   func(b *jwt.Builder) { b.Issuer("https://evil.example.test") },
		"other audience": func(b *jwt.Builder) { b.Audience([]string{"another-api"}) },
		"expired": func(b *jwt.Builder) {
			b.IssuedAt(time.Now().Add(-time.Hour)).Expiration(time.Now().Add(-10 * time.Minute))
		},
		"not yet valid": func(b *jwt.Builder) { b.NotBefore(time.Now().Add(10 * time.Minute)) },
		"no subject":    func(b *jwt.Builder) { b.Subject("") },
	} {
		if _, err := o.Verify(context.Background(), idp.sign("rsa-1", edit)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	// A key the verifier has never seen (signed by a stranger) is refused.
	stranger := newProvider(t)
	if _, err := o.Verify(context.Background(), stranger.sign("rsa-1", nil)); err == nil {
		t.Error("a token signed by another provider's key was accepted")
	}
	if _, err := o.Verify(context.Background(), "not.a.jwt"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestOIDCSeesARotatedKeyAtOnce(t *testing.T) {
	idp := newProvider(t)
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: testIssuer, JWKSURL: idp.srv.URL, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	idp.addRSA("rsa-2")
	before := idp.fetches.Load()
	if _, err := o.Verify(context.Background(), idp.sign("rsa-2", nil)); err != nil {
		t.Fatalf("a token signed with the new key: %v", err)
	}
	if idp.fetches.Load() <= before {
		t.Fatal("the key set was not fetched again")
	}
	// Within the next minute bad tokens cause no further fetches.
	after := idp.fetches.Load()
	for range 5 {
		if _, err := o.Verify(context.Background(), "x.y.z"); err == nil {
			t.Fatal("garbage accepted")
		}
	}
	if idp.fetches.Load() != after {
		t.Fatalf("bad tokens caused %d fetches", idp.fetches.Load()-after)
	}
}

func TestOIDCRolesFromANestedClaimAndAnotherKeyType(t *testing.T) {
	idp := newProvider(t)
	idp.addEC("ec-1")
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{
		Issuer: testIssuer, JWKSURL: idp.srv.URL, Audience: testAudience, RolesClaim: "realm_access.roles",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tok := idp.sign("ec-1", func(b *jwt.Builder) {
		b.Claim("roles", nil).Claim("realm_access", map[string]any{"roles": []string{"auditor"}})
	})
	p, err := o.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Roles) != 1 || p.Roles[0] != auth.RoleAuditor {
		t.Fatalf("roles %v", p.Roles)
	}
}

func TestOIDCNeedsIssuerAudienceAndAReachableKeySet(t *testing.T) {
	if _, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{JWKSURL: "http://127.0.0.1:1/keys", Issuer: testIssuer}); err == nil {
		t.Fatal("no audience accepted")
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := auth.NewOIDC(ctx, auth.OIDCConfig{JWKSURL: dead.URL, Issuer: testIssuer, Audience: testAudience}); err == nil {
		t.Fatal("an unreachable key set accepted")
	}
}
