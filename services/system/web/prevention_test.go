package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// fakeActions are n preventive actions: every third completed (every
// sixth of those evaluated), every fifth of the rest overdue, due and
// completed on days that repeat, so the order falls to the id at times.
func fakeActions(n int) []api.PreventiveAction {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []api.PreventiveAction
	for i := range n {
		a := api.PreventiveAction{ID: fmt.Sprintf("act-%03d", i), RootCause: "billing.incorrect-charge", Owner: "billing",
			Description: fmt.Sprintf("Change %d", i), Due: start.AddDate(0, 0, i*7%40), Status: "open", OpenedAt: start}
		switch {
		case i%3 == 0:
			done := start.AddDate(0, 0, i*11%30)
			a.Status, a.CompletedAt = "completed", &done
			if i%6 == 0 {
				a.Status = "evaluated"
			}
		case i%5 == 0:
			a.Status = "overdue"
		}
		out = append(out, a)
	}
	return out
}

// actionsListed are the ids of the actions a prevention page lists, in
// its order, and its "more" link (empty: none).
func actionsListed(t *testing.T, page string) (ids []string, more string) {
	t.Helper()
	table := between(t, page, `<table id="actions">`, "</table>")
	for _, m := range regexp.MustCompile(`href="/app/prevention/actions/([^"]+)"`).FindAllStringSubmatch(table, -1) {
		ids = append(ids, m[1])
	}
	if m := regexp.MustCompile(`<a id="more-actions" href="([^"]+)">More preventive actions</a>`).FindStringSubmatch(page); m != nil {
		more = html.UnescapeString(m[1])
	}
	return ids, more
}

// fakeActionsAPI answers GET /v1/preventive-actions over actions as the
// API pages them: the statuses asked for (comma-separated), those still to
// do by soonest due, then those done by latest completion, then by id, limit
// at a time after the cursor (here the last id of the page before). It
// keeps each request's query in asked.
func fakeActionsAPI(t *testing.T, actions *[]api.PreventiveAction, asked *[]url.Values) func(*http.Request) any {
	return func(r *http.Request) any {
		q := r.URL.Query()
		*asked = append(*asked, q)
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil || limit < 1 || limit > 200 || !q.Has("cursor") {
			t.Errorf("the page asks for %s: want a page (limit 1 to 200, cursor)", r.URL.RawQuery)
			limit = 200
		}
		var statuses []string
		if s := q.Get("status"); s != "" {
			statuses = strings.Split(s, ",")
		}
		done := func(a api.PreventiveAction) bool { return a.Status == "completed" || a.Status == "evaluated" }
		var list []api.PreventiveAction
		for _, a := range *actions {
			if len(statuses) == 0 || slices.Contains(statuses, a.Status) {
				list = append(list, a)
			}
		}
		slices.SortFunc(list, func(a, b api.PreventiveAction) int {
			switch {
			case done(a) != done(b):
				if done(a) {
					return 1
				}
				return -1
			case !done(a) && !a.Due.Equal(b.Due):
				return a.Due.Compare(b.Due)
			case done(a) && !a.CompletedAt.Equal(*b.CompletedAt):
				return b.CompletedAt.Compare(*a.CompletedAt)
			}
			return strings.Compare(a.ID, b.ID)
		})
		from := 0
		if c := q.Get("cursor"); c != "" {
			from = slices.IndexFunc(list, func(a api.PreventiveAction) bool { return a.ID == c }) + 1
			if from == 0 {
				t.Errorf("the cursor %q is not one a page gave", c)
			}
		}
		to := min(from+limit, len(list))
		out := api.PreventiveActions{Actions: slices.Clone(list[from:to]), Total: len(list)}
		if to < len(list) {
			out.NextCursor = list[to-1].ID
		}
		return out
	}
}

func TestThePreventionPageFiltersAndPagesTheActions(t *testing.T) {
	actions := fakeActions(200)
	var asked []url.Values
	base := fakeAPI(t, map[string]func(*http.Request) any{
		"/v1/systemic-issues":    func(*http.Request) any { return api.SystemicIssues{Issues: []api.SystemicIssue{}} },
		"/v1/root-causes":        func(*http.Request) any { return api.RootCauses{} },
		"/v1/preventive-actions": fakeActionsAPI(t, &actions, &asked),
	})
	owner := signedInAs(t, base, auth.RoleProcessOwner)
	byID := map[string]api.PreventiveAction{}
	for _, a := range actions {
		byID[a.ID] = a
	}
	// every is the whole list a filter shows, page after page by its
	// "more" link, each page at most a page long, numbered on from the
	// last, asking the API once for a page of the filter's statuses.
	every := func(first, statuses string) []string {
		var ids []string
		pages := 0
		for next := first; next != ""; pages++ {
			if pages > len(actions) {
				t.Fatalf("the more links from %s do not end", first)
			}
			asked = nil
			status, page := fetch(t, owner, base+next)
			if status != http.StatusOK {
				t.Fatalf("%s: %d\n%s", next, status, page)
			}
			got, more := actionsListed(t, page)
			if len(got) == 0 || len(got) > 50 {
				t.Errorf("%s lists %d actions", next, len(got))
			}
			if caption := fmt.Sprintf("<caption>%d to %d of ", len(ids)+1, len(ids)+len(got)); !strings.Contains(page, caption) {
				t.Errorf("%s: no %q", next, caption)
			}
			if len(asked) != 1 || asked[0].Get("status") != statuses || asked[0].Get("limit") != "50" {
				t.Errorf("%s asked the API %v, want one page of 50 of %q", next, asked, statuses)
			}
			ids = append(ids, got...)
			next = more
		}
		if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
			t.Errorf("%s lists an action twice: %v", first, ids)
		}
		return ids
	}
	done := func(id string) bool { st := byID[id].Status; return st == "completed" || st == "evaluated" }
	toDo, finished := 0, 0
	for _, a := range actions {
		if st := a.Status; st == "completed" || st == "evaluated" {
			finished++
		} else {
			toDo++
		}
	}

	open := every("/app/prevention", "open,overdue")
	if len(open) != toDo || !slices.IsSortedFunc(open, func(a, b string) int { return byID[a].Due.Compare(byID[b].Due) }) {
		t.Errorf("the actions still to do (%d of them) read, in order, %v", toDo, open)
	}
	if !slices.Equal(every("/app/prevention?show=open", "open,overdue"), open) {
		t.Error("show=open lists other actions than the page's default")
	}
	completed := every("/app/prevention?show=completed", "completed,evaluated")
	if len(completed) != finished || !slices.IsSortedFunc(completed, func(a, b string) int {
		return byID[b].CompletedAt.Compare(*byID[a].CompletedAt)
	}) {
		t.Errorf("the actions completed (%d of them) read, in order, %v", finished, completed)
	}
	for _, id := range open {
		if done(id) {
			t.Errorf("%s is %s, among those still to do", id, byID[id].Status)
		}
	}
	for _, id := range completed {
		if !done(id) {
			t.Errorf("%s is %s, among those completed", id, byID[id].Status)
		}
	}
	if all := every("/app/prevention?show=all", ""); !slices.Equal(all, append(slices.Clone(open), completed...)) {
		t.Errorf("all the actions read %v, want those still to do, then those completed", all)
	}

	// The actions after a page's cursor gone (those past it completed since,
	// say), the next page lists none and leads back to the first; the
	// filters stay offered.
	_, page := fetch(t, owner, base+"/app/prevention?show=completed")
	_, more := actionsListed(t, page)
	if more == "" {
		t.Fatal("the first page of those completed has no more link")
	}
	actions = slices.DeleteFunc(actions, func(a api.PreventiveAction) bool { return done(a.ID) && !slices.Contains(completed[:50], a.ID) })
	status, page := fetch(t, owner, base+more)
	if status != http.StatusOK || strings.Contains(page, `<table id="actions">`) || !strings.Contains(page, `These 50 actions end before here`) ||
		!strings.Contains(page, `back to the first`) || !strings.Contains(page, `href="/app/prevention?show=all#actions-h"`) {
		t.Errorf("past the last page: %d\n%s", status, page)
	}

	// With none still to do, the page says so.
	actions = slices.DeleteFunc(actions, func(a api.PreventiveAction) bool { return !done(a.ID) })
	if status, page := fetch(t, owner, base+"/app/prevention"); status != http.StatusOK || !strings.Contains(page, "No preventive action is still to do.") {
		t.Errorf("none still to do: %d\n%s", status, page)
	}
}
