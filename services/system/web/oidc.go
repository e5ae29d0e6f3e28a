package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// OIDC is staff sign-in through the organisation's identity provider: the
// authorization-code flow with PKCE (S256), against the issuer the API
// trusts. The access token it yields is the one the pages call the API
// with, so it must be for the API's audience and carry the person's roles
// in the claim the API reads them from.
type OIDC struct {
	// Provider is the API's own OIDC settings (OIDC_ISSUER, OIDC_AUDIENCE,
	// OIDC_ROLES_CLAIM, OIDC_SUBJECT_CLAIM, OIDC_JWKS_URL): the access
	// token is checked exactly as the API checks it. Without a JWKS URL
	// the provider's discovery document names one.
	Provider auth.OIDCConfig
	// ClientID is the pages' client at the provider (WEB_OIDC_CLIENT_ID).
	// Setting it turns the sign-in on.
	ClientID string `env:"WEB_OIDC_CLIENT_ID"`
	// ClientSecret, for a confidential client (WEB_OIDC_CLIENT_SECRET);
	// empty for a public one, which PKCE protects.
	ClientSecret string `env:"WEB_OIDC_CLIENT_SECRET"`
	// RedirectURL is where the provider sends the browser back:
	// https://<the pages' host>/app/sign-in/callback (WEB_OIDC_REDIRECT_URL).
	RedirectURL string `env:"WEB_OIDC_REDIRECT_URL"`
	// Scopes asked for besides openid (WEB_OIDC_SCOPES, comma-separated;
	// the provider may need one to put the API's audience and the roles
	// in the access token).
	Scopes []string `env:"WEB_OIDC_SCOPES" envDefault:"profile"`
	// HTTPClient talks to the provider; default has a 10 s timeout.
	HTTPClient *http.Client `env:"-"`
}

// On says whether the sign-in is configured.
func (o OIDC) On() bool { return o.ClientID != "" }

// Check says what a configured sign-in lacks.
func (o OIDC) Check() error {
	if !o.On() {
		return nil
	}
	if o.Provider.Issuer == "" || o.Provider.Audience == "" || o.RedirectURL == "" {
		return errors.New("WEB_OIDC_CLIENT_ID needs OIDC_ISSUER, OIDC_AUDIENCE and WEB_OIDC_REDIRECT_URL")
	}
	return nil
}

// pendingSignIn is what the provider's answer must match: the state sent
// (against forged answers), the nonce the ID token must carry (against a
// replayed token) and the PKCE verifier the code is exchanged with
// (against a stolen code).
type pendingSignIn struct {
	state, nonce, verifier string
}

// provider is the identity provider, found from its discovery document on
// the first sign-in (not at start: the pages start when it is down).
type provider struct {
	mu       sync.Mutex
	oauth    *oauth2.Config
	idTokens *oidc.IDTokenVerifier
	access   *auth.OIDC
	// endSession is the provider's end_session_endpoint, if it has one:
	// signing out of the pages signs out there too.
	endSession string
}

func (s *Site) oidcContext(ctx context.Context) context.Context {
	hc := s.cfg.OIDC.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return oidc.ClientContext(ctx, hc)
}

// discover finds the provider once; a failure is tried again at the next
// sign-in.
func (s *Site) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, *auth.OIDC, error) {
	p := &s.provider
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oauth != nil {
		return p.oauth, p.idTokens, p.access, nil
	}
	cfg := s.cfg.OIDC
	ctx = s.oidcContext(ctx)
	op, err := oidc.NewProvider(ctx, cfg.Provider.Issuer)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("identity provider %s: %w", cfg.Provider.Issuer, err)
	}
	var doc struct {
		JWKSURL    string `json:"jwks_uri"`
		EndSession string `json:"end_session_endpoint"`
	}
	_ = op.Claims(&doc)
	api := cfg.Provider
	if api.JWKSURL == "" {
		if doc.JWKSURL == "" {
			return nil, nil, nil, fmt.Errorf("identity provider %s names no jwks_uri", api.Issuer)
		}
		api.JWKSURL = doc.JWKSURL
	}
	api.HTTPClient = cfg.HTTPClient
	access, err := auth.NewOIDC(ctx, api)
	if err != nil {
		return nil, nil, nil, err
	}
	p.oauth = &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, slices.DeleteFunc(slices.Clone(cfg.Scopes), func(sc string) bool { return sc == oidc.ScopeOpenID })...)}
	p.idTokens = op.Verifier(&oidc.Config{ClientID: cfg.ClientID})
	p.access = access
	p.endSession = doc.EndSession
	return p.oauth, p.idTokens, p.access, nil
}

// startSignIn sends the browser to the provider, with a fresh session that
// remembers what the answer must match.
func (s *Site) startSignIn(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.OIDC.On() {
		s.problem(w, r, nil, http.StatusNotFound, "Sign-in through an identity provider is not configured.")
		return
	}
	oc, _, _, err := s.discover(r.Context())
	if err != nil {
		slog.Error("web sign-in", "err", err)
		s.problem(w, r, nil, http.StatusBadGateway, "Your organisation's sign-in could not be reached. Try again in a moment.")
		return
	}
	if old := s.sessions.get(r); old != nil {
		s.sessions.end(old)
	}
	sess := s.sessions.create(signInLifetime)
	pending := &pendingSignIn{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier()}
	s.sessions.update(sess, func(se *session) { se.signIn = pending })
	s.setCookie(w, r, sess)
	pageHeaders(w)
	http.Redirect(w, r, oc.AuthCodeURL(pending.state, oidc.Nonce(pending.nonce), oauth2.S256ChallengeOption(pending.verifier)), http.StatusSeeOther)
}

// signInCallback is the provider's answer: the state must be the one this
// browser's session sent; the code is exchanged with the PKCE verifier;
// the ID token must be for this client, unexpired and carry the nonce; the
// access token must pass the API's own check (issuer, audience, expiry)
// and hold at least one staff role.
func (s *Site) signInCallback(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, why string, err error) {
		slog.Warn("web sign-in refused", "why", why, "err", err)
		s.problem(w, r, nil, status, "Sign-in failed: "+why+". Start again from the sign-in page.")
	}
	sess := s.sessions.get(r)
	if sess == nil || sess.signIn == nil {
		refuse(http.StatusForbidden, "this sign-in was not started in this browser, or has expired", nil)
		return
	}
	pending := sess.signIn
	// One answer per sign-in: a second one, forged or replayed, finds none.
	s.sessions.update(sess, func(se *session) { se.signIn = nil })
	q := r.URL.Query()
	if state := q.Get("state"); state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(pending.state)) != 1 {
		refuse(http.StatusForbidden, "the answer does not belong to this sign-in", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		refuse(http.StatusUnauthorized, "your organisation's sign-in said "+e, nil)
		return
	}
	oc, idTokens, access, err := s.discover(r.Context())
	if err != nil {
		refuse(http.StatusBadGateway, "your organisation's sign-in could not be reached", err)
		return
	}
	ctx := s.oidcContext(r.Context())
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pending.verifier))
	if err != nil {
		refuse(http.StatusUnauthorized, "the sign-in code was not accepted", err)
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		refuse(http.StatusUnauthorized, "no identity came back", nil)
		return
	}
	id, err := idTokens.Verify(ctx, rawID)
	if err != nil {
		refuse(http.StatusUnauthorized, "the identity is not valid for complaintflow", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(pending.nonce)) != 1 {
		refuse(http.StatusUnauthorized, "the identity does not belong to this sign-in", nil)
		return
	}
	who, err := access.Verify(r.Context(), tok.AccessToken)
	if err != nil {
		refuse(http.StatusUnauthorized, "the access granted is not valid for complaintflow", err)
		return
	}
	roles := staffRoles(who)
	if len(roles) == 0 {
		refuse(http.StatusForbidden, "your account holds no role in complaint handling", nil)
		return
	}
	var names struct {
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
	}
	_ = id.Claims(&names)
	display := names.Name
	if display == "" {
		display = names.PreferredUsername
	}
	if display == "" {
		display = who.Subject
	}
	// A new session: the id of the pending one is worth nothing now. It
	// lasts a working day; without a refresh token it ends when the access
	// token does.
	s.sessions.end(sess)
	lifetime := staffLifetime
	if !tok.Expiry.IsZero() && tok.RefreshToken == "" {
		lifetime = min(lifetime, time.Until(tok.Expiry))
	}
	fresh := s.sessions.create(lifetime)
	s.sessions.update(fresh, func(f *session) {
		f.token, f.role, f.roles, f.subject, f.who, f.idToken = tok.AccessToken, roles[0], roles, who.Subject, display, rawID
		if slices.Contains(roles, auth.RoleAgent) {
			f.role = auth.RoleAgent
		}
		if tok.RefreshToken != "" {
			f.refreshToken, f.accessExpiry, f.refreshing = tok.RefreshToken, s.expiryOf(tok), &sync.Mutex{}
		}
	})
	s.setCookie(w, r, fresh)
	seeOther(w, r, "/app/")
}

// renewAhead is how long before its expiry an access token is renewed,
// so that no call to the API goes with one about to expire.
const renewAhead = time.Minute

// expiryOf is when tok expires by the pages' clock (oauth2 dates it from
// time.Now when it arrives); zero when the provider did not say.
func (s *Site) expiryOf(tok *oauth2.Token) time.Time {
	if tok.Expiry.IsZero() {
		return time.Time{}
	}
	return s.cfg.Now().Add(time.Until(tok.Expiry))
}

// staffRoles are the staff roles a principal holds.
func staffRoles(who auth.Principal) []auth.Role {
	var roles []auth.Role
	for _, role := range auth.StaffRoles {
		if who.Has(role) {
			roles = append(roles, role)
		}
	}
	return roles
}

// renew gives a session signed in through the provider a new access token
// with its refresh token once the one it holds expires (or is about to),
// checked as at sign-in: the API's check, the same person, a staff role
// still held. The roles follow the new token. An error means the session
// cannot go on: the refresh was refused (the person was signed out or lost
// access at the provider) or the new token is not one the API accepts.
func (s *Site) renew(ctx context.Context, sess *session) error {
	if sess.refreshing == nil {
		return nil
	}
	sess.refreshing.Lock()
	defer sess.refreshing.Unlock()
	var refresh string
	var expiry time.Time
	s.sessions.update(sess, func(se *session) { refresh, expiry = se.refreshToken, se.accessExpiry })
	if refresh == "" || expiry.IsZero() || s.cfg.Now().Before(expiry.Add(-renewAhead)) {
		return nil
	}
	oc, _, access, err := s.discover(ctx)
	if err != nil {
		return err
	}
	// An expiry in the past has the token source use the refresh token.
	tok, err := oc.TokenSource(s.oidcContext(ctx), &oauth2.Token{RefreshToken: refresh, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return fmt.Errorf("refresh refused: %w", err)
	}
	who, err := access.Verify(ctx, tok.AccessToken)
	if err != nil {
		return fmt.Errorf("renewed access token: %w", err)
	}
	if who.Subject != sess.subject {
		return fmt.Errorf("renewed access token is %s's, not %s's", who.Subject, sess.subject)
	}
	roles := staffRoles(who)
	if len(roles) == 0 {
		return errors.New("renewed access token holds no staff role")
	}
	s.sessions.update(sess, func(se *session) {
		se.token, se.roles, se.accessExpiry = tok.AccessToken, roles, s.expiryOf(tok)
		if !slices.Contains(roles, se.role) {
			se.role = roles[0]
		}
		if tok.RefreshToken != "" {
			se.refreshToken = tok.RefreshToken // rotated
		}
		if id, _ := tok.Extra("id_token").(string); id != "" {
			se.idToken = id
		}
	})
	return nil
}

// signedOutAt is where the browser goes once signed out: the provider's
// end-session endpoint when the person signed in there (so its session
// ends too, and it sends them back to the sign-in page), else the sign-in
// page.
func (s *Site) signedOutAt(idToken string) string {
	s.provider.mu.Lock()
	end := s.provider.endSession
	s.provider.mu.Unlock()
	if idToken == "" || end == "" {
		return "/app/sign-in"
	}
	u, err := url.Parse(end)
	if err != nil {
		return "/app/sign-in"
	}
	back, err := url.Parse(s.cfg.OIDC.RedirectURL)
	if err != nil {
		return "/app/sign-in"
	}
	back.Path, back.RawQuery = "/app/sign-in", ""
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", s.cfg.OIDC.ClientID)
	q.Set("post_logout_redirect_uri", back.String())
	u.RawQuery = q.Encode()
	return u.String()
}
