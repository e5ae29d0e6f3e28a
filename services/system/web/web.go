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
	"net/http"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/host"
)

// Config configures the pages.
type Config struct {
	// APIURL is the API's base URL (WEB_API_URL). Empty: the address each
	// request came in on, as in the all-in-one process.
	APIURL string
	// DevTokensFile is the development tokens file; the development
	// sign-in is offered only when it is set.
	DevTokensFile string
	// Now is the clock the pages show time left by (time.Now if nil).
	Now func() time.Time
}

// Site serves the pages under /app/.
type Site struct {
	cfg      Config
	hc       *http.Client
	sessions *sessions
	pages    map[string]*template.Template
}

//go:embed templates/*.html
var templateFiles embed.FS

// New makes the pages.
func New(cfg Config) *Site {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Site{cfg: cfg, hc: &http.Client{Timeout: 30 * time.Second}, sessions: newSessions(), pages: map[string]*template.Template{}}
	funcs := template.FuncMap{"left": s.left, "overdue": func(t time.Time) bool { return t.Before(s.cfg.Now()) }, "when": when, "words": words, "money": money}
	for _, page := range []string{"sign-in", "home", "queue", "case", "complaint", "problem"} {
		s.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html"))
	}
	return s
}

// Routes registers the pages on mux.
func (s *Site) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/{$}", s.home)
	mux.HandleFunc("GET /app/sign-in", s.signInPage)
	mux.HandleFunc("POST /app/sign-in", s.signIn)
	mux.HandleFunc("POST /app/sign-out", s.signOut)
	mux.HandleFunc("GET /app/queue", s.staff(s.queue))
	mux.HandleFunc("GET /app/cases/{id}", s.staff(s.casePage))
	mux.HandleFunc("POST /app/cases/{id}/claim", s.staff(s.claim))
	mux.HandleFunc("POST /app/cases/{id}/resolution", s.staff(s.resolve))
	mux.HandleFunc("GET /app/reports", s.staff(s.reports))
	mux.HandleFunc("GET /app/complaint", s.complaint)
	mux.HandleFunc("POST /app/complaint/questions/{rid}", s.customer(s.answerQuestion))
	mux.HandleFunc("POST /app/complaint/survey", s.customer(s.answerSurvey))
}

// Unit runs the pages in a host process, beside the services whose API
// they call; apiURL is Config.APIURL.
func Unit(apiURL string) host.Unit {
	return host.Unit{Name: "web", Pages: func(mux *http.ServeMux, d host.PagesDeps) {
		New(Config{APIURL: apiURL, DevTokensFile: d.DevTokensFile}).Routes(mux)
	}}
}
