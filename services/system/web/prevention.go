package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
)

// preventionPage is what a process owner works from: the systemic issues
// still open, one page of the preventive actions (the open ones by
// default), and the form to open one.
type preventionPage struct {
	Issues []api.SystemicIssue
	// Actions are this page's actions: Show's, the First to the Last of
	// Of (counted from 1; First is what the "more" link of the page before
	// said).
	Actions         []api.PreventiveAction
	Show            string
	Shows           []actionShow
	First, Last, Of int
	// More is the next page's address, empty on the last.
	More       string
	RootCauses []api.RootCause
	Owners     []string
	// Issue is the issue the form opens an action for (?issue=).
	Issue string
}

// actionShow is one of the filters offered over the actions.
type actionShow struct {
	Name, Words string
	// Statuses are the API's statuses it lists (none: every one).
	Statuses []string
}

// actionShows are the filters (?show=), the first the default: the
// actions still to do, the overdue and soonest due first; those done, the
// latest completed first; all, those to do before those done (the order
// the API pages them in).
var actionShows = []actionShow{
	{Name: "open", Words: "Still to do", Statuses: []string{"open", "overdue"}},
	{Name: "completed", Words: "Completed", Statuses: []string{"completed", "evaluated"}},
	{Name: "all", Words: "All"},
}

// actionsPerPage is how many actions a page lists (about 250 bytes each).
const actionsPerPage = 50

// owners are offered as the action's owner: the teams and processes of
// prevention.yaml's defaults; the API refuses one it does not list.
var owners = []string{"network-support", "billing", "logistics", "customer-care", "billing-process", "delivery-process"}

func (s *Site) prevention(w http.ResponseWriter, r *http.Request, sess *session) {
	c := s.caller(r, sess.token)
	ctx := r.Context()
	q := r.URL.Query()
	p := preventionPage{Owners: owners, Issue: q.Get("issue"), Shows: actionShows}
	show := actionShows[0]
	for _, f := range actionShows {
		if f.Name == q.Get("show") {
			show = f
		}
	}
	p.Show = show.Name
	var issues api.SystemicIssues
	if err := c.get(ctx, "/v1/systemic-issues?status=open", &issues); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	p.Issues = issues.Issues
	// One page of the filter's actions, in the API's order (those still to
	// do by soonest due, then those done by latest completion); the "more"
	// link carries the API's cursor, and from (how many came before, for
	// the caption).
	list := "/v1/preventive-actions?limit=" + strconv.Itoa(actionsPerPage) + "&cursor=" + url.QueryEscape(q.Get("cursor"))
	if len(show.Statuses) > 0 {
		list += "&status=" + url.QueryEscape(strings.Join(show.Statuses, ","))
	}
	var actions api.PreventiveActions
	if err := c.get(ctx, list, &actions); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	from := 0
	if q.Get("cursor") != "" {
		from, _ = strconv.Atoi(q.Get("from"))
		from = max(from, 0)
	}
	p.Actions, p.First, p.Last, p.Of = actions.Actions, from+1, from+len(actions.Actions), actions.Total
	if actions.NextCursor != "" {
		p.More = "/app/prevention?show=" + url.QueryEscape(show.Name) + "&cursor=" + url.QueryEscape(actions.NextCursor) +
			"&from=" + strconv.Itoa(p.Last) + "#actions-h"
	}
	var rc api.RootCauses
	if c.get(ctx, "/v1/root-causes", &rc) == nil {
		p.RootCauses = rc.RootCauses
	}
	s.render(w, r, "prevention", http.StatusOK, sess, "Prevention", p)
}

// openActionRequest is prevention's body for opening an action.
type openActionRequest struct {
	IssueID     string    `json:"issue_id,omitempty"`
	RootCause   string    `json:"root_cause,omitempty"`
	Owner       string    `json:"owner"`
	Description string    `json:"description"`
	Due         time.Time `json:"due"`
}

func (s *Site) openAction(w http.ResponseWriter, r *http.Request, sess *session) {
	req := openActionRequest{IssueID: r.PostFormValue("issue"), Owner: strings.TrimSpace(r.PostFormValue("owner")),
		Description: strings.TrimSpace(r.PostFormValue("description"))}
	if req.IssueID == "" {
		req.RootCause = r.PostFormValue("root_cause")
	}
	due, err := time.Parse(time.DateOnly, r.PostFormValue("due"))
	if err != nil {
		s.problem(w, r, sess, http.StatusBadRequest, "Give the date the action is due, as on the form.")
		return
	}
	// Due by the end of that day (UTC).
	req.Due = due.Add(24*time.Hour - time.Second)
	var out api.PreventiveAction
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/preventive-actions", req, nil, &out); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/prevention/actions/"+esc(out.ID)+"?done=opened")
}

// actionPage is one preventive action: what it is, the form to complete
// it, and once measured, the verdict with the rates before and after.
type actionPage struct {
	Action api.PreventiveAction
	Chart  template.HTML
}

func (s *Site) action(w http.ResponseWriter, r *http.Request, sess *session) {
	var p actionPage
	if err := s.caller(r, sess.token).get(r.Context(), "/v1/preventive-actions/"+esc(r.PathValue("id")), &p.Action); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	if e := p.Action.Effectiveness; e != nil {
		p.Chart = beforeAfter(e)
	}
	s.render(w, r, "action", http.StatusOK, sess, "Preventive action", p)
}

func (s *Site) completeAction(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	body := map[string]string{"completion": strings.TrimSpace(r.PostFormValue("completion"))}
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/preventive-actions/"+esc(id)+"/completion", body, nil, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	seeOther(w, r, "/app/prevention/actions/"+esc(id)+"?done=completed")
}

// verdictWords say what a verdict means.
var verdictWords = map[string]string{
	"effective":     "Effective: the cause's complaints fell after the change, more than chance explains.",
	"not_effective": "Not effective: the cause's complaints did not fall after the change.",
	"inconclusive":  "Inconclusive: too few complaints to tell yet.",
}

// beforeAfter draws the cause's rate in the window before completion and
// the window after as two bars (SVG, no script), labelled in text too.
func beforeAfter(e *api.Effectiveness) template.HTML {
	rate := func(n int64, exposure float64) float64 {
		if exposure <= 0 {
			return 0
		}
		return float64(n) / exposure
	}
	before, after := rate(e.BeforeCount, e.BeforeExposure), rate(e.AfterCount, e.AfterExposure)
	top := max(before, after)
	h := func(v float64) float64 {
		if top == 0 {
			return 0
		}
		return 120 * v / top
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" aria-labelledby="chart-t" width="320" height="180" viewBox="0 0 320 180"><title id="chart-t">Rate before: %d of %.0f (%.2f%%); after: %d of %.0f (%.2f%%)</title>`,
		e.BeforeCount, e.BeforeExposure, 100*before, e.AfterCount, e.AfterExposure, 100*after)
	for i, bar := range []struct {
		label string
		v     float64
		fill  string
	}{{"before", before, "#5b6b7b"}, {"after", after, "#12355b"}} {
		x := 60 + i*130
		fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="80" height="%.1f" fill="%s"/><text x="%d" y="170" text-anchor="middle">%s</text><text x="%d" y="%.1f" text-anchor="middle">%.2f%%</text>`,
			x, 150-h(bar.v), h(bar.v), bar.fill, x+40, bar.label, x+40, 145-h(bar.v), 100*bar.v)
	}
	b.WriteString(`<line x1="40" y1="150" x2="300" y2="150" stroke="#1a1a1a"/></svg>`)
	return template.HTML(b.String()) // built from numbers and fixed words only
}
