package web

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// SessionCookie names the cookie that carries a session's id. The bearer
// token it stands for stays on the server.
const SessionCookie = "complaintflow_session"

// CSRFField is the hidden field every form carries its session's CSRF
// token in.
const CSRFField = "csrf"

// session is one browser's sign-in: the bearer token the pages call the
// API with, whose it is, and the token its forms must carry back.
type session struct {
	id    string
	csrf  string
	token string // empty before sign-in
	// role is the role the pages open on (the queue for an agent); roles
	// are all the person holds, which decide the links they are offered.
	role  auth.Role
	roles []auth.Role
	// subject is who the API knows the person as (the actor of what they
	// do); who is how the header names them.
	subject, who string
	// idToken is the provider's ID token (signed in through it), the hint
	// its end-session endpoint asks for.
	idToken string
	// refreshToken renews token when it expires (accessExpiry), if the
	// provider gave one; renewing holds refreshing, so that one refresh
	// token is spent once.
	refreshToken string
	accessExpiry time.Time
	refreshing   *sync.Mutex
	// signIn is an identity provider's sign-in under way: what its
	// answer must match. Cleared at the first answer.
	signIn *pendingSignIn
	// complaintID is the customer's own complaint (role customer only).
	complaintID string
	// team is the queue an agent last opened.
	team    string
	expires time.Time
}

func (s *session) signedIn() bool { return s.token != "" }

// has: the person holds role.
func (s *session) has(role auth.Role) bool { return slices.Contains(s.roles, role) }

// sessions are kept in memory: a restart signs everyone out, and several
// instances of the pages need a sticky load balancer (ADR 0041).
type sessions struct {
	mu  sync.Mutex
	all map[string]*session
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{all: map[string]*session{}, now: now}
}

// Lifetimes: staff sign in for a working day (renewing the provider's
// access token meanwhile when it gives a refresh token); a customer's cookie lasts
// as long as they may follow their complaint from one link.
const (
	staffLifetime    = 10 * time.Hour
	customerLifetime = 30 * 24 * time.Hour
	signInLifetime   = time.Hour // an anonymous session, for the sign-in form's CSRF token
)

func (ss *sessions) create(lifetime time.Duration) *session {
	s := &session{id: rand.Text() + rand.Text(), csrf: rand.Text(), expires: ss.now().Add(lifetime)}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sweep()
	ss.all[s.id] = s
	return s
}

// sweep drops expired sessions; mu is held.
func (ss *sessions) sweep() {
	now := ss.now()
	for id, s := range ss.all {
		if now.After(s.expires) {
			delete(ss.all, id)
		}
	}
}

func (ss *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.all[c.Value]
	if s == nil || ss.now().After(s.expires) {
		return nil
	}
	return s
}

func (ss *sessions) update(s *session, f func(*session)) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f(s)
}

func (ss *sessions) end(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.all, s.id)
}

// setCookie hands the browser its session: HttpOnly so no script reads it,
// Secure when the page was served over TLS, SameSite=Lax so another site's
// form posts without it.
// The cookie is Secure whenever the pages are reached over TLS: served
// over it, or behind a proxy that ends it (the sign-in's redirect address
// is https).
func (site *Site) setCookie(w http.ResponseWriter, r *http.Request, s *session) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.id, Path: "/app", Expires: s.expires,
		HttpOnly: true, Secure: site.secure(r), SameSite: http.SameSiteLaxMode})
}

func (site *Site) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/app", MaxAge: -1,
		HttpOnly: true, Secure: site.secure(r), SameSite: http.SameSiteLaxMode})
}

func (site *Site) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(site.cfg.OIDC.RedirectURL, "https://")
}

// csrfOK: the form carries its session's CSRF token.
func csrfOK(s *session, r *http.Request) bool {
	if s == nil {
		return false
	}
	got := r.PostFormValue(CSRFField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
