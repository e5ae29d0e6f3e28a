// Package web is the browser pages of complaintflow: a client of the
// public HTTP API (a backend for the front end), server-rendered with
// html/template, working without JavaScript. Staff sign in (development
// sign-in for now) and work the queue and their cases; process owners read
// the report page; a customer follows their complaint from the link they
// were sent. Each page calls the API with the signed-in person's own bearer
// token, which stays on the server behind a session cookie (ADR 0041).
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	resolutiondomain "github.com/complaintflow/complaintflow/services/resolution/domain"
)

// Config configures the pages.
type Config struct {
	// APIURL is the API's base URL (WEB_API_URL). Empty: the address each
	// request came in on, as in the all-in-one process.
	APIURL string
	// DevTokensFile is the development tokens file; the development
	// sign-in is offered only when it is set.
	DevTokensFile string
	// OIDC is staff sign-in through the organisation's identity provider;
	// off unless its ClientID is set.
	OIDC OIDC
	// Now is the clock the pages show time left by, and sessions and
	// access tokens expire by (time.Now if nil).
	Now func() time.Time
	// ConfigDir holds the policy files overriding the embedded defaults
	// (CONFIG_DIR, the services' own: the all-in-one process gives the
	// pages intake's): the pages read contacts.yaml, to tell a customer how
	// to reach the team that owns their complaint.
	ConfigDir string
}

// Site serves the pages under /app/.
type Site struct {
	cfg      Config
	contacts resolutiondomain.Contacts
	hc       *http.Client
	sessions *sessions
	pages    map[string]*template.Template
	provider provider
}

//go:embed templates/*.html
var templateFiles embed.FS

// New makes the pages.
func New(cfg Config) *Site {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Site{cfg: cfg, hc: &http.Client{Timeout: 30 * time.Second}, sessions: newSessions(cfg.Now), pages: map[string]*template.Template{}}
	// The same file resolution tells customers the routes from (its start
	// refuses a broken one); here a broken one only hides the route.
	if c, err := policy.Load[resolutiondomain.Contacts](cfg.ConfigDir, "contacts"); err == nil {
		s.contacts = c.Value
	} else {
		slog.Error("web: contacts policy", "err", err)
	}
	funcs := template.FuncMap{"left": s.left, "overdue": func(t time.Time) bool { return t.Before(s.cfg.Now()) }, "when": when, "words": words, "money": money, "label": label, "has": hasRole, "verdict": func(v string) string {
		if w, ok := verdictWords[v]; ok {
			return w
		}
		return v
	}}
	for _, page := range []string{"sign-in", "home", "queue", "case", "complaint", "problem", "approvals", "prevention", "action"} {
		s.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html"))
	}
	return s
}

// hasRole: roles holds the role named.
func hasRole(roles []auth.Role, name string) bool { return slices.Contains(roles, auth.Role(name)) }

// Routes registers the pages on mux.
func (s *Site) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/{$}", s.home)
	mux.HandleFunc("GET /app/sign-in", s.signInPage)
	mux.HandleFunc("POST /app/sign-in", s.signIn)
	mux.HandleFunc("GET /app/sign-in/oidc", s.startSignIn)
	mux.HandleFunc("GET /app/sign-in/callback", s.signInCallback)
	mux.HandleFunc("POST /app/sign-out", s.signOut)
	mux.HandleFunc("GET /app/queue", s.staff(s.queue))
	mux.HandleFunc("GET /app/cases/{id}", s.staff(s.casePage))
	mux.HandleFunc("POST /app/cases/{id}/claim", s.staff(s.claim))
	mux.HandleFunc("POST /app/cases/{id}/resolution", s.staff(s.resolve))
	mux.HandleFunc("POST /app/cases/{id}/contacts", s.staff(s.recordContact))
	mux.HandleFunc("POST /app/cases/{id}/information-requests", s.staff(s.requestInformation))
	mux.HandleFunc("POST /app/cases/{id}/transfer", s.staff(s.transfer))
	mux.HandleFunc("POST /app/cases/{id}/escalation", s.staff(s.escalate))
	mux.HandleFunc("GET /app/approvals", s.staff(s.approvals))
	mux.HandleFunc("GET /app/approvals/{id}", s.staff(s.approval))
	mux.HandleFunc("POST /app/approvals/{id}", s.staff(s.decide))
	mux.HandleFunc("GET /app/prevention", s.staff(s.prevention))
	mux.HandleFunc("POST /app/prevention/actions", s.staff(s.openAction))
	mux.HandleFunc("GET /app/prevention/actions/{id}", s.staff(s.action))
	mux.HandleFunc("POST /app/prevention/actions/{id}/completion", s.staff(s.completeAction))
	mux.HandleFunc("GET /app/reports", s.staff(s.reports))
	mux.HandleFunc("GET /app/complaint", s.complaint)
	mux.HandleFunc("POST /app/complaint/questions/{rid}", s.customer(s.answerQuestion))
	mux.HandleFunc("POST /app/complaint/survey", s.customer(s.answerSurvey))
}

// Unit runs the pages in a host process, beside the services whose API
// they call; the host gives them the development tokens file.
func Unit(cfg Config) host.Unit {
	return host.Unit{Name: "web", Pages: func(mux *http.ServeMux, d host.PagesDeps) {
		cfg.DevTokensFile = d.DevTokensFile
		New(cfg).Routes(mux)
	}}
}
