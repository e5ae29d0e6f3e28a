package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system/web"
)

const (
	pagesClientID = "complaintflow-pages"
	apiAudience   = "complaintflow-api"
)

// issuer is an OpenID provider for the test: discovery, keys, an
// authorization endpoint that signs the person in at once, and a token
// endpoint that checks the PKCE verifier. What it mints is set per test.
type issuer struct {
	t   *testing.T
	srv *httptest.Server
	key *ecdsa.PrivateKey

	mu    sync.Mutex
	codes map[string]grant
	// What the next tokens say.
	idAudience, accessAudience string
	lifetime                   time.Duration
	// accessExpired: the access token alone has expired.
	accessExpired bool
	roles         []string
	// challengeMethods are the code_challenge_method of each authorization.
	challengeMethods []string
	// giveRefresh: the code's answer carries a refresh token; refreshTokens
	// are those not spent yet (each use gives a new one), refreshes how many
	// were used; refuseRefresh refuses them all (signed out at the provider).
	giveRefresh, refuseRefresh bool
	refreshTokens              map[string]bool
	refreshes                  int
}

type grant struct{ challenge, nonce, redirect string }

func newIssuer(t *testing.T) *issuer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{t: t, key: key, codes: map[string]grant{}, refreshTokens: map[string]bool{}, idAudience: pagesClientID, accessAudience: apiAudience,
		lifetime: time.Hour, roles: []string{"agent", "approver"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.discovery)
	mux.HandleFunc("GET /keys", is.keys)
	mux.HandleFunc("GET /authorize", is.authorize)
	mux.HandleFunc("POST /token", is.token)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) url() string { return is.srv.URL }

func (is *issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": is.url(), "authorization_endpoint": is.url() + "/authorize", "token_endpoint": is.url() + "/token",
		"jwks_uri": is.url() + "/keys", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"}, "code_challenge_methods_supported": []string{"S256"},
		"end_session_endpoint": is.url() + "/end-session",
	})
}

func (is *issuer) keys(w http.ResponseWriter, _ *http.Request) {
	pub, err := is.key.PublicKey.Bytes() // 0x04, X, Y
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "kid": "test-key", "alg": "ES256", "use": "sig",
		"x": b64(pub[1:33]), "y": b64(pub[33:65])}}})
}

// authorize signs the person in without asking and sends them back with
// a code, as a provider does when its own session is still on.
func (is *issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != pagesClientID || q.Get("response_type") != "code" || q.Get("code_challenge") == "" ||
		!strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := rand.Text()
	is.mu.Lock()
	is.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
	is.challengeMethods = append(is.challengeMethods, q.Get("code_challenge_method"))
	is.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (is *issuer) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	is.mu.Lock()
	g, ok := is.codes[r.PostForm.Get("code")]
	delete(is.codes, r.PostForm.Get("code"))
	idAud, accessAud, lifetime, roles, accessExpired := is.idAudience, is.accessAudience, is.lifetime, is.roles, is.accessExpired
	refresh := ""
	if r.PostForm.Get("grant_type") == "refresh_token" {
		spent := r.PostForm.Get("refresh_token")
		client, _, basic := r.BasicAuth()
		if !basic {
			client = r.PostForm.Get("client_id")
		}
		ok = is.refreshTokens[spent] && !is.refuseRefresh && client == pagesClientID
		delete(is.refreshTokens, spent)
		if ok {
			is.refreshes++
		}
	}
	if ok && (is.giveRefresh || r.PostForm.Get("grant_type") == "refresh_token") {
		refresh = rand.Text()
		is.refreshTokens[refresh] = true
	}
	is.mu.Unlock()
	if r.PostForm.Get("grant_type") == "refresh_token" {
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		now := time.Now()
		access := map[string]any{"iss": is.url(), "sub": "agent-7", "aud": accessAud, "iat": now.Unix(), "exp": now.Add(lifetime).Unix(), "roles": roles}
		writeJSON(w, map[string]any{"access_token": is.sign(access), "token_type": "Bearer", "refresh_token": refresh,
			"expires_in": int(lifetime.Seconds())})
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect || b64(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	exp := now.Add(lifetime)
	common := func(aud string) map[string]any {
		return map[string]any{"iss": is.url(), "sub": "agent-7", "aud": aud, "iat": now.Add(-2 * time.Hour).Unix(), "exp": exp.Unix()}
	}
	id := common(idAud)
	id["nonce"], id["name"] = g.nonce, "Robin Ash"
	access := common(accessAud)
	access["roles"] = roles
	if accessExpired {
		access["exp"] = now.Add(-time.Hour).Unix()
	}
	answer := map[string]any{"access_token": is.sign(access), "id_token": is.sign(id), "token_type": "Bearer",
		"expires_in": int(time.Until(exp).Seconds())}
	if refresh != "" {
		answer["refresh_token"] = refresh
	}
	writeJSON(w, answer)
}

// sign makes an ES256 JWS of claims.
func (is *issuer) sign(claims map[string]any) string {
	head, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "test-key", "typ": "JWT"})
	body, _ := json.Marshal(claims)
	input := b64(head) + "." + b64(body)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, is.key, sum[:])
	if err != nil {
		is.t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return input + "." + b64(sig)
}

func (is *issuer) set(f func(*issuer)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	f(is)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// oidcFixture is the whole system trusting the test's issuer, and the
// pages served over TLS with sign-in through it.
type oidcFixture struct {
	*fixture
	is    *issuer
	pages *httptest.Server
	clock *pagesClock
}

// pagesClock is the pages' clock, which a test moves on (sessions and
// access tokens expire by it); the API keeps the real one.
type pagesClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *pagesClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *pagesClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func startWithIssuer(t *testing.T) *oidcFixture {
	is := newIssuer(t)
	provider := auth.OIDCConfig{Issuer: is.url(), Audience: apiAudience, JWKSURL: is.url() + "/keys", RolesClaim: "roles"}
	f := startWith(t, func(c *host.Config) {
		c.Auth.OIDC = provider
		c.Auth.DevTokens = "true"
	})
	mux := http.NewServeMux()
	pages := httptest.NewUnstartedServer(mux)
	pages.StartTLS()
	t.Cleanup(pages.Close)
	clock := &pagesClock{}
	web.New(web.Config{APIURL: f.base, Now: clock.now, OIDC: web.OIDC{Provider: provider, ClientID: pagesClientID,
		RedirectURL: pages.URL + "/app/sign-in/callback"}}).Routes(mux)
	return &oidcFixture{fixture: f, is: is, pages: pages, clock: clock}
}

// person is a browser that follows redirects, as a person's does.
func (o *oidcFixture) person() *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := o.pages.Client().Transport
	return &http.Client{Jar: jar, Transport: tr}
}

func (o *oidcFixture) open(hc *http.Client, path string) (*http.Response, string) {
	o.t.Helper()
	resp, err := hc.Get(o.pages.URL + path)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestStaffSignInThroughTheIdentityProviderWithPKCE(t *testing.T) {
	o := startWithIssuer(t)
	c := o.submit()
	hc := o.person()

	resp, page := o.open(hc, "/app/sign-in")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/app/sign-in/oidc"`) {
		t.Fatalf("the sign-in page does not offer the organisation's sign-in: %d\n%s", resp.StatusCode, page)
	}
	resp, page = o.open(hc, "/app/sign-in/oidc")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/app/queue" {
		t.Fatalf("after signing in: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	if !strings.Contains(page, "Signed in as Robin Ash") || !strings.Contains(page, `href="/app/approvals"`) {
		t.Fatalf("the queue page does not name the person or offer their approver's page:\n%s", page)
	}
	if o.is.challengeMethods[0] != "S256" {
		t.Fatalf("code_challenge_method %q, want S256", o.is.challengeMethods[0])
	}
	u, _ := url.Parse(o.pages.URL + "/app/")
	var session *http.Cookie
	for _, ck := range hc.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie after the sign-in")
	}
	// The pages call the API with the person's access token.
	resp, page = o.open(hc, "/app/queue?team=network-support")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, c.Reference) {
		t.Fatalf("the queue, called with the provider's access token: %d\n%.600s", resp.StatusCode, page)
	}

	// Signing out ends the provider's session too, and comes back to the
	// sign-in page.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	out, err := hc.PostForm(o.pages.URL+"/app/sign-out", url.Values{"csrf": {csrfOf(t, page)}})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	end, _ := url.Parse(out.Header.Get("Location"))
	if out.StatusCode != http.StatusSeeOther || !strings.HasPrefix(end.String(), o.is.url()+"/end-session?") ||
		end.Query().Get("id_token_hint") == "" || end.Query().Get("post_logout_redirect_uri") != o.pages.URL+"/app/sign-in" {
		t.Fatalf("sign-out: %d to %s", out.StatusCode, end)
	}
	if resp, _ := o.open(hc, "/app/queue"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/sign-in" {
		t.Fatalf("the queue after signing out: %d", resp.StatusCode)
	}
}

func TestTheSessionCookieIsHttpOnlySecureAndLax(t *testing.T) {
	o := startWithIssuer(t)
	hc := o.person()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := o.open(hc, "/app/sign-in/oidc")
	authorize, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(authorize.String(), o.is.url()+"/authorize") {
		t.Fatalf("start: %d to %s", resp.StatusCode, authorize)
	}
	back := o.issuerAnswer(authorize)
	resp2, err := hc.Get(back)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusSeeOther || resp2.Header.Get("Location") != "/app/" {
		t.Fatalf("callback: %d to %s", resp2.StatusCode, resp2.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range resp2.Cookies() {
		if ck.Name == web.SessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/app" {
		t.Fatalf("session cookie: %+v", cookie)
	}
	if strings.Contains(cookie.Value, ".") {
		t.Fatal("the cookie carries a token, not a session id")
	}
}

// issuerAnswer is where the provider sends the browser back after the
// authorization request at authorize.
func (o *oidcFixture) issuerAnswer(authorize *url.URL) string {
	o.t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authorize.String())
	if err != nil {
		o.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		o.t.Fatalf("the issuer refused the authorization request: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func TestASignInTheIdentityProviderDidNotGrantIsRefused(t *testing.T) {
	o := startWithIssuer(t)
	signedOut := func(hc *http.Client) bool {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, _ := o.open(hc, "/app/queue")
		return resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/app/sign-in"
	}
	for _, tc := range []struct {
		name   string
		set    func(*issuer)
		status int
	}{
		{"an access token for another audience", func(is *issuer) { is.accessAudience = "another-api" }, http.StatusUnauthorized},
		{"an ID token for another client", func(is *issuer) { is.idAudience = "another-client" }, http.StatusUnauthorized},
		{"expired tokens", func(is *issuer) { is.lifetime = -time.Hour }, http.StatusUnauthorized},
		{"an expired access token", func(is *issuer) { is.accessExpired = true }, http.StatusUnauthorized},
		{"no role in complaint handling", func(is *issuer) { is.roles = []string{"payroll"} }, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.is.set(func(is *issuer) {
				is.idAudience, is.accessAudience, is.lifetime, is.roles, is.accessExpired = pagesClientID, apiAudience, time.Hour, []string{"agent"}, false
				tc.set(is)
			})
			hc := o.person()
			resp, page := o.open(hc, "/app/sign-in/oidc")
			if resp.StatusCode != tc.status || !strings.Contains(page, "Sign-in failed") {
				t.Fatalf("%d, want %d\n%s", resp.StatusCode, tc.status, page)
			}
			if !signedOut(hc) {
				t.Fatal("the refused sign-in left the browser signed in")
			}
		})
	}

	o.is.set(func(is *issuer) {
		is.idAudience, is.accessAudience, is.lifetime, is.roles, is.accessExpired = pagesClientID, apiAudience, time.Hour, []string{"agent"}, false
	})
	for _, tc := range []struct {
		name  string
		state func(real string) string
	}{
		{"a forged state", func(string) string { return "forged" }},
		{"no state", func(string) string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := o.person()
			hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, _ := o.open(hc, "/app/sign-in/oidc")
			authorize, _ := url.Parse(resp.Header.Get("Location"))
			back, _ := url.Parse(o.issuerAnswer(authorize))
			q := back.Query()
			real := q.Get("state")
			q.Set("state", tc.state(real))
			if q.Get("state") == "" {
				q.Del("state")
			}
			back.RawQuery = q.Encode()
			resp2, err := hc.Get(back.String())
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusForbidden {
				t.Fatalf("callback with %s: %d, want 403", tc.name, resp2.StatusCode)
			}
			// The sign-in is spent: its real answer is refused too.
			q.Set("state", real)
			back.RawQuery = q.Encode()
			resp3, err := hc.Get(back.String())
			if err != nil {
				t.Fatal(err)
			}
			resp3.Body.Close()
			if resp3.StatusCode != http.StatusForbidden || !signedOut(hc) {
				t.Fatalf("the real answer after a forged one: %d", resp3.StatusCode)
			}
		})
	}

	// An answer reaching a browser that started no sign-in (a link sent
	// to someone else) opens nothing.
	hc := o.person()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := o.open(hc, "/app/sign-in/oidc")
	authorize, _ := url.Parse(resp.Header.Get("Location"))
	back := o.issuerAnswer(authorize)
	other := o.person()
	other.CheckRedirect = hc.CheckRedirect
	resp2, err := other.Get(back)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden || !signedOut(other) {
		t.Fatalf("another browser's answer: %d, want 403", resp2.StatusCode)
	}
}

// Four eyes shown, not only enforced: a person holding the agent's and the
// approver's roles resolves a case; the redress page tells them they may
// not decide it, and offers no decision.
func TestTheApprovalPageTellsTheResolverTheyMayNotDecide(t *testing.T) {
	o := startWithIssuer(t)
	c := o.submit()
	var causes struct {
		RootCauses []struct{ Code string } `json:"root_causes"`
	}
	o.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/root-causes", nil, &causes)
	hc := o.person()
	_, page := o.open(hc, "/app/sign-in/oidc")
	csrf := csrfOf(t, page)
	resp, err := hc.PostForm(o.pages.URL+"/app/cases/"+c.ID+"/resolution", url.Values{"csrf": {csrf},
		"outcome": {"partly_upheld"}, "root_cause": {causes.RootCauses[0].Code}, "summary": {"Half the days were ours"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.String(), "?done=resolved") {
		t.Fatalf("resolving from the page: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	o.eventually("the redress waits for an approver", func() bool {
		var red struct{ Status string }
		st, _ := o.try(tokens[auth.RoleApprover], http.MethodGet, "/v1/redress/"+c.ID, nil, &red)
		return st == http.StatusOK && red.Status == "awaiting_approval"
	})
	_, page = o.open(hc, "/app/approvals/"+c.ID)
	if !strings.Contains(page, "You resolved this case, so another approver must decide.") || strings.Contains(page, `id="approve"`) {
		t.Fatalf("the resolver's approval page:\n%s", page)
	}
	if !strings.Contains(page, "500.00 GBP") || !strings.Contains(page, "agent-7") {
		t.Fatalf("the approval page does not show the total and who resolved:\n%s", page)
	}
}

// With a refresh token, a session outlives its access token: once the
// token expires the pages renew it (the refresh token spent once, the new
// token's roles followed); a refresh the provider refuses ends the session.
// Without one, the session ends with the access token.
func TestAStaffSessionRenewsItsAccessTokenWithTheRefreshToken(t *testing.T) {
	o := startWithIssuer(t)
	o.is.set(func(is *issuer) { is.giveRefresh = true })
	c := o.submit()
	hc := o.person()
	resp, page := o.open(hc, "/app/sign-in/oidc")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/app/approvals"`) {
		t.Fatalf("after signing in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	o.open(hc, "/app/queue?team=network-support")
	if o.is.refreshes != 0 {
		t.Fatalf("%d refreshes while the access token is fresh", o.is.refreshes)
	}

	// An hour on, the token has expired: the next page renews it, once,
	// and the person's roles are the new token's.
	o.is.set(func(is *issuer) { is.roles = []string{"agent"} })
	o.clock.advance(time.Hour)
	resp, page = o.open(hc, "/app/queue?team=network-support")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, c.Reference) {
		t.Fatalf("the queue after the access token expired: %d at %s\n%.400s", resp.StatusCode, resp.Request.URL, page)
	}
	if strings.Contains(page, `href="/app/approvals"`) {
		t.Fatal("the renewed session still offers the approver's page the new token does not grant")
	}
	o.open(hc, "/app/queue?team=network-support")
	if o.is.refreshes != 1 {
		t.Fatalf("%d refreshes for one expiry, want 1", o.is.refreshes)
	}

	// Signed out at the provider: the refresh is refused and the session
	// ends.
	o.is.set(func(is *issuer) { is.refuseRefresh = true })
	o.clock.advance(time.Hour)
	if resp, page := o.open(hc, "/app/queue?team=network-support"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Sign in again") {
		t.Fatalf("a refused refresh: %d\n%.400s", resp.StatusCode, page)
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, _ := o.open(hc, "/app/queue"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/sign-in" {
		t.Fatalf("the queue after the session ended: %d", resp.StatusCode)
	}

	// No refresh token: the session ends with the access token.
	o.is.set(func(is *issuer) { is.giveRefresh, is.refuseRefresh = false, false })
	other := o.person()
	o.open(other, "/app/sign-in/oidc")
	o.clock.advance(time.Hour)
	other.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, _ := o.open(other, "/app/queue"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/sign-in" {
		t.Fatalf("a session without a refresh token after its access token expired: %d", resp.StatusCode)
	}
}
