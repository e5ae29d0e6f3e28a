package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
)

// fastPolicies: the survey is sent as soon as a case is resolved.
const fastPolicies = "../../../deploy/policies/fast"

// pagesRedress is the redress policy of the system under test: an upheld
// outage is issued at once; a partly upheld complaint's distress payment
// waits for an approver.
const pagesRedress = `version: "web-test"
currency: GBP
auto_approve_limit_minor: 10000
approval:
  levels: [{role: approver, limit_minor: 100000}, {role: admin, limit_minor: 1000000}]
  escalate_after: 48h
rules:
  - id: outage
    outcome: upheld
    products: [broadband]
    items: [{kind: account_credit, amount_minor: 2500}, {kind: apology}]
  - id: distress
    outcome: partly_upheld
    items: [{kind: distress_and_inconvenience, amount_minor: 50000}]
  - id: sorry
    outcome: rejected
    kind: apology
`

// policies are the fast policies with pagesRedress.
func policies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	followup, err := os.ReadFile(filepath.Join(fastPolicies, "followup.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"followup.yaml": followup, "redress.yaml": []byte(pagesRedress)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tokens are the development tokens of the system under test, by role.
var tokens = func() map[auth.Role]string {
	m := map[auth.Role]string{}
	for _, r := range auth.TokenRoles {
		m[r] = "web-test-token-" + string(r)
	}
	return m
}()

// fixture is the whole system, started in this process on an embedded
// NATS server, with the pages on its one address.
type fixture struct {
	t    *testing.T
	sys  *host.System
	base string
}

func start(t *testing.T) *fixture {
	t.Helper()
	return startWith(t, func(*host.Config) {})
}

// startWith starts the system with its configuration changed by change.
func startWith(t *testing.T, change func(*host.Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	b, _ := json.Marshal(tokens)
	if err := os.WriteFile(filepath.Join(dir, auth.DevTokensFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	change(&cfg)
	s, err := host.Start(context.Background(), cfg, "web-test", system.Services(intake.Config{Regime: "default", ConfigDir: policies(t)})...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return &fixture{t: t, sys: s, base: "http://" + s.Addr()}
}

// call is the API called with a role's token (or a customer's), expecting
// a 2xx answer.
func (f *fixture) call(token, method, path string, body, out any) {
	f.t.Helper()
	if st, b := f.try(token, method, path, body, out); st/100 != 2 {
		f.t.Fatalf("%s %s: %d %s", method, path, st, b)
	}
}

func (f *fixture) try(token, method, path string, body, out any) (int, string) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatal(err)
		}
	}
	return resp.StatusCode, string(data)
}

var customerNo int

// submit files a broadband complaint (routed to network-support) and waits
// for its case to be open.
func (f *fixture) submit() api.Complaint {
	f.t.Helper()
	customerNo++
	var c api.Complaint
	f.call(tokens[auth.RoleIntakeSystem], http.MethodPost, "/v1/complaints", map[string]any{
		"customer": map[string]any{"id": "web-c-" + strconv.Itoa(customerNo), "name": "Ann Lee", "email": "ann@example.com"},
		"channel":  "web", "product": "broadband",
		"description": "No service for 3 days", "desired_outcome": "a refund for the days without service",
	}, &c)
	f.eventually("the case is open", func() bool {
		st, _ := f.try(tokens[auth.RoleAgent], http.MethodGet, "/v1/cases/"+c.ID, nil, nil)
		return st == http.StatusOK
	})
	return c
}

// eventually waits for cond, with no deadline of its own: the test's
// timeout bounds it.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	for i := 0; !cond(); i++ {
		if i%100 == 99 {
			f.t.Logf("still waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browser is a plain HTTP client with a cookie jar that does not follow
// redirects, to see each answer.
type browser struct {
	t  *testing.T
	f  *fixture
	hc *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, f: f, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.hc.Get(b.f.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.hc.PostForm(b.f.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return m[1]
}

// signIn signs in with the development sign-in as role, and returns the
// CSRF token of the signed-in session.
func (b *browser) signIn(role auth.Role) string {
	b.t.Helper()
	_, page := b.get("/app/sign-in")
	resp, _ := b.post("/app/sign-in", url.Values{"csrf": {csrfOf(b.t, page)}, "role": {string(role)}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	_, home := b.get("/app/queue")
	return csrfOf(b.t, home)
}

func TestAFormWithoutItsCSRFTokenIsRefused(t *testing.T) {
	f := start(t)
	c := f.submit()
	b := f.browser()

	_, page := b.get("/app/sign-in")
	if resp, _ := b.post("/app/sign-in", url.Values{"role": {"agent"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.post("/app/sign-in", url.Values{"role": {"agent"}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in with a forged CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, _ := b.post("/app/sign-in", url.Values{"role": {"agent"}, "csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with the CSRF token: %d", resp.StatusCode)
	}
	_, queue := b.get("/app/queue")
	csrf := csrfOf(t, queue)

	claim := "/app/cases/" + c.ID + "/claim"
	if resp, _ := b.post(claim, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("claim without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.post(claim, url.Values{"csrf": {csrfOf(t, page)}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("claim with the sign-in form's old CSRF token: %d, want 403", resp.StatusCode)
	}
	// Every form of the staff's pages, posted without the token.
	for _, path := range []string{"/app/cases/" + c.ID + "/resolution", "/app/cases/" + c.ID + "/contacts",
		"/app/cases/" + c.ID + "/information-requests", "/app/cases/" + c.ID + "/transfer", "/app/cases/" + c.ID + "/escalation",
		"/app/approvals/" + c.ID, "/app/prevention/actions", "/app/prevention/actions/pa-1/completion", "/app/sign-out"} {
		if resp, _ := b.post(path, url.Values{"reason": {"forged"}, "team": {"billing"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s without the CSRF token: %d, want 403", path, resp.StatusCode)
		}
	}
	var cs api.Case
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/cases/"+c.ID, nil, &cs)
	if cs.Agent != "" || cs.Transfers != 0 || cs.Escalations != 0 || cs.Status == "resolved" {
		t.Fatalf("a refused form changed the case: %+v", cs)
	}
	if resp, _ := b.post(claim, url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim with the CSRF token: %d", resp.StatusCode)
	}
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/cases/"+c.ID, nil, &cs)
	if cs.Agent != "dev-agent" {
		t.Fatalf("the case's agent after the claim: %q", cs.Agent)
	}

	// Signed out, the session's cookie opens nothing.
	if resp, _ := b.post("/app/sign-out", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/app/queue"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/sign-in" {
		t.Fatalf("the queue after sign-out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestTheCustomerPageShowsNoStaffOnlyField(t *testing.T) {
	f := start(t)
	c := f.submit()
	agent := tokens[auth.RoleAgent]
	f.call(agent, http.MethodPost, "/v1/cases/"+c.ID+"/claim", api.ClaimRequest{AgentDisplayName: "Sam Rivers"}, nil)
	f.call(agent, http.MethodPost, "/v1/cases/"+c.ID+"/contacts", api.ContactRequest{Channel: "phone", Summary: "internal-note-called-twice"}, nil)
	f.call(agent, http.MethodPost, "/v1/cases/"+c.ID+"/escalation", api.EscalateRequest{Reason: "internal-escalation-reason"}, nil)
	f.call(agent, http.MethodPost, "/v1/cases/"+c.ID+"/information-requests", api.InformationRequestRequest{Question: "Which days were you without service?"}, nil)

	b := f.browser()
	resp, _ := b.get("/app/complaint?token=" + url.QueryEscape(c.CustomerToken))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/complaint" {
		t.Fatalf("opening the link: %d to %q, want 303 to /app/complaint", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "complaintflow_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || strings.Contains(cookie.Value, c.CustomerToken) {
		t.Fatalf("session cookie: %+v", cookie)
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the link's answer lets the browser send its address (with the token) on: Referrer-Policy %q", resp.Header.Get("Referrer-Policy"))
	}

	resp, page := b.get("/app/complaint")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("customer page: %d\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{c.Reference, "Sam Rivers", "network-support", "Which days were you without service?", `name="answer"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the customer page does not show %q", want)
		}
	}
	for _, staffOnly := range []string{"dev-agent", "internal-escalation-reason", "internal-note-called-twice", "severity", "priority",
		"root_cause", c.CustomerToken} {
		if strings.Contains(page, staffOnly) {
			t.Errorf("the customer page shows %q", staffOnly)
		}
	}

	if lower := strings.ToLower(page); strings.Contains(lower, "escalat") || strings.Contains(lower, "tier") {
		t.Error("the customer page speaks of the escalation")
	}
	// The customer's cookie opens no staff page.
	if resp, _ := b.get("/app/cases/" + c.ID); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a customer opened the case page: %d", resp.StatusCode)
	}
	// A link whose token was tampered with opens nothing.
	if resp, _ := f.browser().get("/app/complaint?token=" + url.QueryEscape(c.CustomerToken+"x")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a tampered link: %d, want 401", resp.StatusCode)
	}
}

func TestTheReportPageOpensWithTheSession(t *testing.T) {
	f := start(t)
	b := f.browser()
	if resp, _ := b.get("/reports"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/reports without a token: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/app/reports"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("/app/reports signed out: %d, want a redirect to sign in", resp.StatusCode)
	}
	b.signIn(auth.RoleProcessOwner)
	resp, page := b.get("/app/reports")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<title>Complaints: causes, effort and prevention</title>") {
		t.Fatalf("/app/reports signed in as process owner: %d\n%.400s", resp.StatusCode, page)
	}
}

// An agent records a contact, asks the customer, transfers and escalates
// from the case page; each form lands in the API and the page tells it.
func TestAnAgentWorksACaseWithTheCasePagesForms(t *testing.T) {
	f := start(t)
	c := f.submit()
	b := f.browser()
	csrf := b.signIn(auth.RoleAgent)
	page := "/app/cases/" + c.ID
	for _, form := range []struct {
		path string
		v    url.Values
		done string
	}{
		{"/claim", url.Values{}, "claimed"},
		{"/contacts", url.Values{"channel": {"phone"}, "summary": {"Called, apologised"}}, "contacted"},
		{"/information-requests", url.Values{"question": {"Which days were you without service?"}}, "asked"},
		{"/escalation", url.Values{"reason": {"A week without service"}}, "escalated"},
		{"/transfer", url.Values{"team": {"billing"}, "reason": {"The refund is billing's"}}, "transferred"},
	} {
		form.v.Set("csrf", csrf)
		resp, body := b.post(page+form.path, form.v)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?done="+form.done {
			t.Fatalf("%s: %d to %q\n%s", form.path, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	var cs api.Case
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/cases/"+c.ID, nil, &cs)
	if cs.Contacts < 1 || cs.FirstHumanContactAt == nil || cs.OpenInformationRequest == nil || cs.Escalations != 1 || cs.Team != "billing" || cs.Transfers != 1 {
		t.Fatalf("the case as the API tells it: %+v", cs)
	}
	resp, html := b.get(page + "?done=transferred")
	for _, want := range []string{"The case is transferred.", "Which days were you without service?", "Transferred to another team", "Escalated"} {
		if !strings.Contains(html, want) {
			t.Errorf("the case page does not show %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK || len(html) > 100<<10 {
		t.Errorf("the case page: %d, %d bytes", resp.StatusCode, len(html))
	}
	// A question already waits: the page offers no second one.
	if strings.Contains(html, `id="ask"`) {
		t.Error("the case page offers a second question while one waits")
	}
}
