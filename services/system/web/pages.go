package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// view is what every page gets: its title, who is signed in, the CSRF
// token its forms carry, a line saying what was just done, and the page's
// own data.
type view struct {
	Title string
	Role  auth.Role
	// Roles are all the roles the person holds; Who names them.
	Roles  []auth.Role
	Who    string
	CSRF   string
	Done   string
	Status int
	Page   any
}

// done are the lines a page shows after a form was accepted (?done=).
var done = map[string]string{
	"claimed":     "You own this case now.",
	"resolved":    "The case is resolved. The customer is sent the final response.",
	"answered":    "Thank you: your answer is with the person handling your complaint.",
	"survey":      "Thank you for telling us how we did.",
	"contacted":   "The contact is recorded.",
	"asked":       "The question is sent to the customer. The case waits for their answer.",
	"transferred": "The case is transferred.",
	"escalated":   "The case is escalated a tier up.",
	"approved":    "The redress is approved and will be issued.",
	"rejected":    "The redress is rejected; nothing is paid.",
	"opened":      "The preventive action is open.",
	"completed":   "The action is completed. Its effect is measured once the window after it has passed.",
}

func (s *Site) render(w http.ResponseWriter, r *http.Request, page string, status int, sess *session, title string, data any) {
	v := view{Title: title, Done: done[r.URL.Query().Get("done")], Status: status, Page: data}
	if sess != nil {
		v.Role, v.Roles, v.Who, v.CSRF = sess.role, sess.roles, sess.who, sess.csrf
	}
	var b bytes.Buffer
	if err := s.pages[page].Execute(&b, v); err != nil {
		slog.Error("web page", "page", page, "err", err)
		http.Error(w, "the page could not be drawn", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// pageHeaders: no page is cached, framed, or tells another site where the
// browser came from (a customer's first address holds their token).
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

func (s *Site) problem(w http.ResponseWriter, r *http.Request, sess *session, status int, message string) {
	s.render(w, r, "problem", status, sess, "Something went wrong", message)
}

func (s *Site) apiProblem(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	status, msg := problemOf(err)
	s.problem(w, r, sess, status, msg)
}

func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Site) home(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r)
	if sess == nil || !sess.signedIn() {
		seeOther(w, r, "/app/sign-in")
		return
	}
	switch sess.role {
	case auth.RoleCustomer:
		seeOther(w, r, "/app/complaint")
	case auth.RoleAgent:
		seeOther(w, r, "/app/queue")
	default:
		s.render(w, r, "home", http.StatusOK, sess, "complaintflow", nil)
	}
}

// signInPage offers the organisation's sign-in when it is configured, and
// the development roles when development tokens are on: one press signs
// in with that role's token.
type signInPage struct {
	OIDC bool
	Dev  []auth.Role
}

func (s *Site) signInPage(w http.ResponseWriter, r *http.Request) {
	page := signInPage{OIDC: s.cfg.OIDC.On()}
	if s.cfg.DevTokensFile != "" {
		byRole, err := auth.ReadDevTokens(s.cfg.DevTokensFile)
		if err != nil {
			s.problem(w, r, nil, http.StatusInternalServerError, "The development tokens could not be read.")
			return
		}
		for _, role := range auth.StaffRoles {
			if byRole[role] != "" {
				page.Dev = append(page.Dev, role)
			}
		}
	}
	if !page.OIDC && page.Dev == nil {
		s.problem(w, r, nil, http.StatusNotFound, "No sign-in is configured: neither an identity provider (WEB_OIDC_CLIENT_ID) nor development tokens.")
		return
	}
	sess := s.sessions.get(r)
	if sess == nil {
		sess = s.sessions.create(signInLifetime)
		s.setCookie(w, r, sess)
	}
	s.render(w, r, "sign-in", http.StatusOK, sess, "Sign in", page)
}

func (s *Site) signIn(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r)
	if !csrfOK(sess, r) {
		s.problem(w, r, nil, http.StatusForbidden, "This form has expired. Open the sign-in page again.")
		return
	}
	if s.cfg.DevTokensFile == "" {
		s.problem(w, r, nil, http.StatusNotFound, "The development sign-in is off.")
		return
	}
	role := auth.Role(r.PostFormValue("role"))
	byRole, err := auth.ReadDevTokens(s.cfg.DevTokensFile)
	if err != nil || !slices.Contains(auth.StaffRoles, role) || byRole[role] == "" {
		s.problem(w, r, sess, http.StatusBadRequest, "Choose one of the roles offered.")
		return
	}
	// A new session on every sign-in: an id seen before it is worth nothing.
	s.sessions.end(sess)
	fresh := s.sessions.create(staffLifetime)
	s.sessions.update(fresh, func(f *session) {
		f.token, f.role, f.roles, f.subject, f.who = byRole[role], role, []auth.Role{role}, "dev-"+string(role), string(role)
	})
	s.setCookie(w, r, fresh)
	seeOther(w, r, "/app/")
}

func (s *Site) signOut(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r)
	if !csrfOK(sess, r) {
		s.problem(w, r, nil, http.StatusForbidden, "This form has expired. Reload the page and try again.")
		return
	}
	s.sessions.end(sess)
	s.clearCookie(w, r)
	seeOther(w, r, s.signedOutAt(sess.idToken))
}

// staff lets signed-in staff through; a form must carry its CSRF token.
func (s *Site) staff(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return s.signedIn(func(role auth.Role) bool { return role != auth.RoleCustomer }, h)
}

// customer lets the customer of a complaint through.
func (s *Site) customer(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return s.signedIn(func(role auth.Role) bool { return role == auth.RoleCustomer }, h)
}

func (s *Site) signedIn(may func(auth.Role) bool, h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.sessions.get(r)
		if sess == nil || !sess.signedIn() || !may(sess.role) {
			if r.Method == http.MethodGet {
				seeOther(w, r, "/app/sign-in")
				return
			}
			s.problem(w, r, nil, http.StatusUnauthorized, "You are signed out. Sign in again and repeat what you were doing.")
			return
		}
		if r.Method == http.MethodPost && !csrfOK(sess, r) {
			s.problem(w, r, sess, http.StatusForbidden, "This form has expired. Reload the page and try again.")
			return
		}
		if err := s.renew(r.Context(), sess); err != nil {
			slog.Warn("web session ended: its access could not be renewed", "err", err)
			s.sessions.end(sess)
			s.clearCookie(w, r)
			s.problem(w, r, nil, http.StatusUnauthorized, "Your sign-in has ended. Sign in again and repeat what you were doing.")
			return
		}
		h(w, r, sess)
	}
}

// teams are offered where a team is chosen (the teams of routing.yaml);
// the API is the judge of a team typed in.
var teams = []string{"customer-care", "network-support", "billing", "logistics"}

// queuePage is a team's queue, the soonest final response due first (the
// API's order).
type queuePage struct {
	Team, Flag string
	Items      []api.QueueItem
	// Next is the next page's cursor; Cursor this page's.
	Next, Cursor string
}

func (s *Site) queue(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	team := strings.TrimSpace(q.Get("team"))
	if team == "" {
		team = sess.team
	}
	page := queuePage{Team: team, Flag: q.Get("flag"), Cursor: q.Get("cursor")}
	if team != "" {
		s.sessions.update(sess, func(se *session) { se.team = team })
		params := url.Values{}
		if page.Flag != "" {
			params.Set("flag", page.Flag)
		}
		if page.Cursor != "" {
			params.Set("cursor", page.Cursor)
		}
		var out api.Queue
		if err := s.caller(r, sess.token).get(r.Context(), "/v1/queues/"+esc(team)+"?"+params.Encode(), &out); err != nil {
			s.apiProblem(w, r, sess, err)
			return
		}
		page.Items, page.Next = out.Items, out.NextCursor
	}
	s.render(w, r, "queue", http.StatusOK, sess, "Queue", page)
}

// casePage is one case as an agent works it.
type casePage struct {
	Case       api.Case
	Complaint  api.Complaint
	Clocks     []api.Clock
	Steps      []api.Step
	RootCauses []api.RootCause
	Outcomes   []string
	Channels   []string
	Teams      []string
	// Mine: the signed-in agent owns the case.
	Mine bool
}

func (s *Site) casePage(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	c := s.caller(r, sess.token)
	ctx := r.Context()
	var p casePage
	if err := c.get(ctx, "/v1/cases/"+esc(id), &p.Case); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	// The rest completes the page; a part the API refuses is left out.
	_ = c.get(ctx, "/v1/complaints/"+esc(id), &p.Complaint)
	var clocks api.Clocks
	if c.get(ctx, "/v1/clocks/"+esc(id), &clocks) == nil {
		p.Clocks = clocks.Clocks
	}
	var tl api.Timeline
	if c.get(ctx, "/v1/complaints/"+esc(id)+"/timeline", &tl) == nil {
		p.Steps = tl.Steps
	}
	var rc api.RootCauses
	if c.get(ctx, "/v1/root-causes", &rc) == nil {
		p.RootCauses = rc.RootCauses
	}
	p.Outcomes = []string{api.OutcomeUpheld, api.OutcomePartlyUpheld, api.OutcomeRejected}
	p.Channels = api.ContactChannels
	p.Teams = teams
	p.Mine = p.Case.Agent != "" && p.Case.Agent == sess.subject
	title := "Case " + p.Complaint.Reference
	if p.Complaint.Reference == "" {
		title = "Case " + id
	}
	s.render(w, r, "case", http.StatusOK, sess, title, p)
}

func (s *Site) claim(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/cases/"+esc(id)+"/claim", api.ClaimRequest{}, nil, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/cases/"+esc(id)+"?done=claimed")
}

func (s *Site) resolve(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	req := api.ResolveRequest{Outcome: r.PostFormValue("outcome"), RootCause: r.PostFormValue("root_cause"),
		Summary: strings.TrimSpace(r.PostFormValue("summary"))}
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/cases/"+esc(id)+"/resolution", req, nil, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/cases/"+esc(id)+"?done=resolved")
}

// reports is prevention's report page, fetched with the session's token:
// the browser needs no Authorization header of its own.
func (s *Site) reports(w http.ResponseWriter, r *http.Request, sess *session) {
	path := "/reports"
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	resp, err := s.caller(r, sess.token).send(r.Context(), http.MethodGet, path, nil, nil)
	if err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	defer resp.Body.Close()
	pageHeaders(w)
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// complaintPage is what the customer sees of their complaint: the API's
// customer view, nothing more.
type complaintPage struct {
	Complaint api.CustomerComplaint
	// SurveyKey makes a survey answer sent twice (a double press, a
	// resend) count once: the API's Idempotency-Key.
	SurveyKey string
	// Contact is how to reach the team that owns the complaint directly
	// (contacts.yaml), the company's complaints line before one owns it.
	Contact string
}

// complaint opens the customer's complaint. With ?token= (the link they
// were sent) it checks the token with the API, keeps it behind a cookie
// and sends the browser to the same page without it, so the token leaves
// the address bar and the history.
func (s *Site) complaint(w http.ResponseWriter, r *http.Request) {
	if token := r.URL.Query().Get("token"); token != "" {
		s.exchange(w, r, token)
		return
	}
	sess := s.sessions.get(r)
	if sess == nil || sess.role != auth.RoleCustomer {
		s.problem(w, r, nil, http.StatusUnauthorized, "Open your complaint from the link in the message we sent you.")
		return
	}
	var p complaintPage
	if err := s.caller(r, sess.token).get(r.Context(), "/v1/complaints/"+esc(sess.complaintID), &p.Complaint); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	p.SurveyKey = rand.Text()
	team := ""
	if p.Complaint.HandledBy != nil {
		team = p.Complaint.HandledBy.Team
	}
	p.Contact = s.contacts.For(team).Route
	s.render(w, r, "complaint", http.StatusOK, sess, "Your complaint "+p.Complaint.Reference, p)
}

func (s *Site) exchange(w http.ResponseWriter, r *http.Request, token string) {
	var claims struct {
		ComplaintID string `json:"complaint_id"`
	}
	if jwtClaims(token, &claims) != nil || claims.ComplaintID == "" {
		s.problem(w, r, nil, http.StatusUnauthorized, "This link is not valid. Open the link in the latest message we sent you.")
		return
	}
	// The API is the judge of the token: it opens this complaint or none.
	var view api.CustomerComplaint
	if err := s.caller(r, token).get(r.Context(), "/v1/complaints/"+esc(claims.ComplaintID), &view); err != nil {
		if status, _ := problemOf(err); status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound {
			s.problem(w, r, nil, http.StatusUnauthorized, "This link is not valid or has expired. Open the link in the latest message we sent you.")
			return
		}
		s.apiProblem(w, r, nil, err)
		return
	}
	if old := s.sessions.get(r); old != nil {
		s.sessions.end(old)
	}
	sess := s.sessions.create(customerLifetime)
	s.sessions.update(sess, func(se *session) {
		se.token, se.role, se.complaintID = token, auth.RoleCustomer, claims.ComplaintID
	})
	s.setCookie(w, r, sess)
	pageHeaders(w)
	seeOther(w, r, "/app/complaint")
}

// jwtClaims reads a JWT's claims without checking its signature: only to
// learn which complaint to ask the API about, which checks the token.
func jwtClaims(token string, out any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errNotJWT
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

type webError string

func (e webError) Error() string { return string(e) }

const errNotJWT = webError("not a JWT")

func (s *Site) answerQuestion(w http.ResponseWriter, r *http.Request, sess *session) {
	answer := strings.TrimSpace(r.PostFormValue("answer"))
	path := "/v1/cases/" + esc(sess.complaintID) + "/information-requests/" + esc(r.PathValue("rid")) + "/answer"
	if err := s.caller(r, sess.token).post(r.Context(), path, api.InformationAnswer{Answer: answer, Channel: "web"}, nil, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/complaint?done=answered")
}

func (s *Site) answerSurvey(w http.ResponseWriter, r *http.Request, sess *session) {
	score := func(name string) *int32 {
		n, err := strconv.ParseInt(r.PostFormValue(name), 10, 32)
		if err != nil {
			return nil // the API names the missing answer
		}
		v := int32(n)
		return &v
	}
	req := api.AnswerRequest{CSAT: score("csat"), Effort: score("effort"), NPS: score("nps"),
		Reason: strings.TrimSpace(r.PostFormValue("reason")), Comment: strings.TrimSpace(r.PostFormValue("comment"))}
	switch r.PostFormValue("resolved") {
	case "yes":
		req.Resolved = new(true)
	case "no":
		req.Resolved = new(false)
	}
	h := http.Header{}
	if key := r.PostFormValue("key"); key != "" {
		h.Set("Idempotency-Key", "web-survey-"+key)
	}
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/followups/"+esc(sess.complaintID)+"/answer", req, h, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/complaint?done=survey")
}

// caseForm posts a form of the case page to the API and comes back to the
// case with what was done, or shows the API's refusal.
func (s *Site) caseForm(w http.ResponseWriter, r *http.Request, sess *session, path string, body any, done string) {
	id := r.PathValue("id")
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/cases/"+esc(id)+path, body, nil, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/cases/"+esc(id)+"?done="+done)
}

func (s *Site) recordContact(w http.ResponseWriter, r *http.Request, sess *session) {
	s.caseForm(w, r, sess, "/contacts", api.ContactRequest{Channel: r.PostFormValue("channel"),
		Summary: strings.TrimSpace(r.PostFormValue("summary"))}, "contacted")
}

func (s *Site) requestInformation(w http.ResponseWriter, r *http.Request, sess *session) {
	s.caseForm(w, r, sess, "/information-requests", api.InformationRequestRequest{
		Question: strings.TrimSpace(r.PostFormValue("question"))}, "asked")
}

func (s *Site) transfer(w http.ResponseWriter, r *http.Request, sess *session) {
	s.caseForm(w, r, sess, "/assignment", api.AssignRequest{Team: strings.TrimSpace(r.PostFormValue("team")),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}, "transferred")
}

func (s *Site) escalate(w http.ResponseWriter, r *http.Request, sess *session) {
	s.caseForm(w, r, sess, "/escalation", api.EscalateRequest{Reason: strings.TrimSpace(r.PostFormValue("reason"))}, "escalated")
}
