package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// chrome is headless Chromium (installed by `make deps`) driven over the
// DevTools protocol. Screenshots of each page go to the test's temporary
// directory, or to WEB_SCREENSHOT_DIR when set, never into the repository.
type chrome struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	shot int
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal("chromium is not installed: run `make deps` (apt-get install -y chromium); the pages must be checked in a browser")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	dir := os.Getenv("WEB_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	return &chrome{t: t, ctx: ctx, dir: dir}
}

func (c *chrome) run(actions ...chromedp.Action) {
	c.t.Helper()
	if err := chromedp.Run(c.ctx, actions...); err != nil {
		c.t.Fatal(err)
	}
}

// text is the visible text of the element sel, once it is there.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	var s string
	c.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func (c *chrome) location() string {
	c.t.Helper()
	var s string
	c.run(chromedp.Location(&s))
	return s
}

// screenshot keeps the whole page as a test artefact.
func (c *chrome) screenshot(name string) {
	c.t.Helper()
	var png []byte
	c.run(chromedp.FullScreenshot(&png, 100))
	c.shot++
	path := filepath.Join(c.dir, c.t.Name()+"-"+string(rune('0'+c.shot))+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("screenshot: %s", path)
}

func TestAnAgentSignsInClaimsAndResolvesACaseFromTheQueuePage(t *testing.T) {
	f := start(t)
	complaint := f.submit()
	var causes api.RootCauses
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/root-causes", nil, &causes)
	cause := causes.RootCauses[0].Code
	c := newChrome(t)

	c.run(chromedp.Navigate(f.base + "/app/"))
	if loc := c.location(); !strings.HasSuffix(loc, "/app/sign-in") {
		t.Fatalf("signed out, /app/ led to %s", loc)
	}
	c.screenshot("sign-in")
	c.run(chromedp.Click("#role-agent", chromedp.ByQuery), chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible("#team", chromedp.ByQuery))
	if h := c.text("header form span"); h != "Signed in as agent" {
		t.Fatalf("after the development sign-in the header says %q", h)
	}
	c.run(chromedp.SendKeys("#team", "network-support", chromedp.ByQuery), chromedp.Submit("#team", chromedp.ByQuery),
		chromedp.WaitVisible("table", chromedp.ByQuery))
	c.screenshot("queue")
	if row := c.text("tbody tr"); !strings.Contains(row, complaint.Reference) || !strings.Contains(row, "left") || !strings.Contains(row, "nobody yet") {
		t.Fatalf("the queue's row: %q", row)
	}

	c.run(chromedp.Click("tbody tr a", chromedp.ByQuery), chromedp.WaitVisible("#claim", chromedp.ByQuery))
	if h := c.text("h1"); h != "Case "+complaint.Reference {
		t.Fatalf("the case page's heading: %q", h)
	}
	if clocks := c.text("section[aria-labelledby=clocks-h] tbody"); !strings.Contains(clocks, "running") || !strings.Contains(clocks, "left") {
		t.Fatalf("the clocks: %q", clocks)
	}
	c.screenshot("case")

	c.run(chromedp.Click("#claim", chromedp.ByQuery), chromedp.WaitNotPresent("#claim", chromedp.ByQuery))
	if done, owner := c.text(".done"), c.text("#case-owner"); done != "You own this case now." || !strings.HasPrefix(owner, "dev-agent") {
		t.Fatalf("after claiming: %q, owner %q", done, owner)
	}
	if tl := c.text("section[aria-labelledby=timeline-h] ol"); !strings.Contains(tl, "Claimed by an agent (by dev-agent)") {
		t.Fatalf("the timeline does not tell the claim in plain words: %q", tl)
	}
	var claims int
	c.run(chromedp.Evaluate(`document.querySelectorAll("#claim").length`, &claims))
	if claims != 0 {
		t.Fatal("the case page offers its owner to claim it again")
	}
	c.screenshot("claimed")

	c.run(chromedp.SetValue("#outcome", api.OutcomeUpheld, chromedp.ByQuery), chromedp.SetValue("#root_cause", cause, chromedp.ByQuery),
		chromedp.SendKeys("#summary", "Line fault fixed; refund for the days without service.", chromedp.ByQuery),
		chromedp.Click("#resolve", chromedp.ByQuery), chromedp.WaitNotPresent("#resolve", chromedp.ByQuery))
	if done, status := c.text(".done"), c.text("#case-status"); !strings.HasPrefix(done, "The case is resolved") || status != "resolved: upheld" {
		t.Fatalf("after resolving: %q, status %q", done, status)
	}
	c.screenshot("resolved")
	var cs api.Case
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/cases/"+complaint.ID, nil, &cs)
	if cs.Status != "resolved" || cs.RootCause != cause || cs.Agent != "dev-agent" {
		t.Fatalf("the case as the API tells it: %+v", cs)
	}
}

func TestACustomerAnswersAQuestionAndTheSurveyFromTheirPage(t *testing.T) {
	f := start(t)
	complaint := f.submit()
	agent := tokens[auth.RoleAgent]
	f.call(agent, http.MethodPost, "/v1/cases/"+complaint.ID+"/claim", api.ClaimRequest{AgentDisplayName: "Sam Rivers"}, nil)
	f.call(agent, http.MethodPost, "/v1/cases/"+complaint.ID+"/information-requests", api.InformationRequestRequest{Question: "Which days were you without service?"}, nil)
	c := newChrome(t)

	c.run(chromedp.Navigate(f.base+"/app/complaint?token="+url.QueryEscape(complaint.CustomerToken)),
		chromedp.WaitVisible("#reference", chromedp.ByQuery))
	if loc := c.location(); loc != f.base+"/app/complaint" {
		t.Fatalf("the token stays in the address bar: %s", loc)
	}
	if ref, owner := c.text("#reference"), c.text("#handled-by"); ref != complaint.Reference || owner != "Sam Rivers, network-support" {
		t.Fatalf("the customer page shows reference %q, handled by %q", ref, owner)
	}
	if due := c.text("#respond-by"); due == "" {
		t.Fatal("the customer page shows no promised date")
	}
	// How to reach the owner: the team's own line from contacts.yaml.
	if contact := c.text("#contact"); !strings.HasPrefix(contact, "Sam Rivers or the team, directly: 0800 123 4001") || !strings.Contains(contact, complaint.Reference) {
		t.Fatalf("the customer page tells how to reach the owner as %q", contact)
	}
	c.screenshot("question")

	c.run(chromedp.SendKeys("textarea[name=answer]", "Monday to Wednesday", chromedp.ByQuery),
		chromedp.Click("section[aria-labelledby=questions-h] button", chromedp.ByQuery), chromedp.WaitNotPresent("textarea[name=answer]", chromedp.ByQuery))
	if done := c.text(".done"); !strings.HasPrefix(done, "Thank you: your answer") {
		t.Fatalf("after answering: %q", done)
	}
	c.screenshot("answered")
	var cs api.Case
	f.call(agent, http.MethodGet, "/v1/cases/"+complaint.ID, nil, &cs)
	if len(cs.InformationRequests) != 1 || cs.InformationRequests[0].Answer != "Monday to Wednesday" || cs.InformationRequests[0].Channel != "web" {
		t.Fatalf("the answer as the API tells it: %+v", cs.InformationRequests)
	}

	var causes api.RootCauses
	f.call(agent, http.MethodGet, "/v1/root-causes", nil, &causes)
	f.call(agent, http.MethodPost, "/v1/cases/"+complaint.ID+"/resolution", api.ResolveRequest{Outcome: api.OutcomeUpheld, RootCause: causes.RootCauses[0].Code}, nil)
	f.eventually("the survey is sent", func() bool {
		var view api.CustomerComplaint
		f.call(complaint.CustomerToken, http.MethodGet, "/v1/complaints/"+complaint.ID, nil, &view)
		return view.Survey == "requested"
	})
	c.run(chromedp.Reload(), chromedp.WaitVisible("#csat", chromedp.ByQuery))
	c.screenshot("survey")
	c.run(chromedp.Click("#resolved-yes", chromedp.ByQuery), chromedp.SetValue("#csat", "5", chromedp.ByQuery),
		chromedp.SetValue("#effort", "6", chromedp.ByQuery),
		chromedp.Click("section[aria-labelledby=survey-h] button", chromedp.ByQuery), chromedp.WaitVisible("#survey-answered", chromedp.ByQuery))
	if done := c.text(".done"); done != "Thank you for telling us how we did." {
		t.Fatalf("after the survey: %q", done)
	}
	c.screenshot("survey-answered")
}

// resolveForApproval files a complaint and resolves it partly upheld as
// the development agent, and waits for its redress to wait for an
// approver.
func (f *fixture) resolveForApproval() api.Complaint {
	f.t.Helper()
	complaint := f.submit()
	var causes api.RootCauses
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/root-causes", nil, &causes)
	f.call(tokens[auth.RoleAgent], http.MethodPost, "/v1/cases/"+complaint.ID+"/resolution",
		api.ResolveRequest{Outcome: api.OutcomePartlyUpheld, RootCause: causes.RootCauses[0].Code}, nil)
	f.eventually("the redress waits for an approver", func() bool {
		var red api.Redress
		st, _ := f.try(tokens[auth.RoleApprover], http.MethodGet, "/v1/redress/"+complaint.ID, nil, &red)
		return st == http.StatusOK && red.Status == "awaiting_approval"
	})
	return complaint
}

// signIn signs in with the development sign-in as role.
func (c *chrome) signIn(base string, role auth.Role) {
	c.t.Helper()
	c.run(chromedp.Navigate(base+"/app/sign-in"), chromedp.Click("#role-"+string(role), chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery), chromedp.WaitVisible("header form span", chromedp.ByQuery))
}

func TestAnApproverApprovesRedressFromThePage(t *testing.T) {
	f := start(t)
	complaint := f.resolveForApproval()
	c := newChrome(t)

	other := f.resolveForApproval()
	c.signIn(f.base, auth.RoleApprover)
	// The list holds every redress awaiting a decision, with its case, kind,
	// total and who proposed it.
	row := "#awaiting-" + complaint.ID
	c.run(chromedp.Click(`a[href="/app/approvals"]`, chromedp.ByQuery), chromedp.WaitVisible(row, chromedp.ByQuery),
		chromedp.WaitVisible("#awaiting-"+other.ID, chromedp.ByQuery))
	if line := c.text(row); !strings.Contains(line, complaint.Reference) || !strings.Contains(line, "500.00 GBP") ||
		!strings.Contains(line, "dev-agent") || strings.Contains(line, "(you") {
		t.Fatalf("the list shows %q, want the reference %s, 500.00 GBP and dev-agent as proposer", line, complaint.Reference)
	}
	c.screenshot("approvals-list")
	c.run(chromedp.Click(row+" a", chromedp.ByQuery), chromedp.WaitVisible("#approve", chromedp.ByQuery))
	if st, total, by := c.text("#redress-status"), c.text("#redress-total"), c.text("#resolved-by"); st != "awaiting_approval" || total != "500.00 GBP" || by != "dev-agent" {
		t.Fatalf("the approval page shows status %q, total %q, resolved by %q", st, total, by)
	}
	if eyes := c.text("#four-eyes"); !strings.Contains(eyes, "never approves its redress") || strings.Contains(eyes, "You resolved") {
		t.Fatalf("four eyes on the page: %q", eyes)
	}
	c.screenshot("approval")

	c.run(chromedp.Click("#approve", chromedp.ByQuery), chromedp.WaitNotPresent("#approve", chromedp.ByQuery))
	if done, by := c.text(".done"), c.text("#approved-by"); done != "The redress is approved and will be issued." || !strings.Contains(by, "dev-approver") {
		t.Fatalf("after approving: %q, decided by %q", done, by)
	}
	if st := c.text("#redress-status"); st == "awaiting_approval" {
		t.Fatalf("after approving the redress is still %q", st)
	}
	c.screenshot("approved")

	// Decided, it leaves the list; the other still waits.
	f.eventually("the approved redress off the list", func() bool {
		var list api.RedressAwaitingList
		st, _ := f.try(tokens[auth.RoleApprover], http.MethodGet, "/v1/redress?status=awaiting_approval", nil, &list)
		return st == http.StatusOK && len(list.Items) == 1
	})
	c.run(chromedp.Navigate(f.base+"/app/approvals"), chromedp.WaitVisible("#awaiting-"+other.ID, chromedp.ByQuery))
	var rows int
	c.run(chromedp.Evaluate(`document.querySelectorAll("#awaiting tbody tr").length`, &rows))
	if rows != 1 {
		t.Fatalf("the list shows %d rows after the approval, want the other one alone", rows)
	}
}

func TestAProcessOwnerOpensAndCompletesAPreventiveActionFromThePage(t *testing.T) {
	f := start(t)
	var causes api.RootCauses
	f.call(tokens[auth.RoleAgent], http.MethodGet, "/v1/root-causes", nil, &causes)
	cause := causes.RootCauses[0].Code
	c := newChrome(t)

	c.signIn(f.base, auth.RoleProcessOwner)
	c.run(chromedp.Click(`a[href="/app/prevention"]`, chromedp.ByQuery), chromedp.WaitVisible("#open-action", chromedp.ByQuery))
	c.screenshot("prevention")
	c.run(chromedp.SetValue("#root_cause", cause, chromedp.ByQuery), chromedp.SendKeys("#owner", "network-support", chromedp.ByQuery),
		chromedp.SendKeys("#description", "Check the exchange's spare line cards every week", chromedp.ByQuery),
		chromedp.SetValue("#due", "2099-07-01", chromedp.ByQuery),
		chromedp.Click("#open-action", chromedp.ByQuery), chromedp.WaitVisible("#action-status", chromedp.ByQuery))
	if done, st, owner := c.text(".done"), c.text("#action-status"), c.text("#action-owner"); done != "The preventive action is open." || st != "open" || owner != "network-support" {
		t.Fatalf("after opening: %q, status %q, owner %q", done, st, owner)
	}
	c.screenshot("action-opened")

	c.run(chromedp.SendKeys("#completion", "Weekly check added to the exchange runbook", chromedp.ByQuery),
		chromedp.Click("#complete", chromedp.ByQuery), chromedp.WaitNotPresent("#complete", chromedp.ByQuery))
	if st := c.text("#action-status"); st != "completed" {
		t.Fatalf("after completing: status %q", st)
	}
	c.screenshot("action-completed")
	var actions api.PreventiveActions
	f.call(tokens[auth.RoleProcessOwner], http.MethodGet, "/v1/preventive-actions", nil, &actions)
	if len(actions.Actions) != 1 || actions.Actions[0].RootCause != cause || actions.Actions[0].Status != "completed" {
		t.Fatalf("the actions as the API tells them: %+v", actions.Actions)
	}
}
