package web_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
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

func TestThePreventionPageFiltersAndPagesTheActions(t *testing.T) {
	actions := fakeActions(130)
	// moving, once set, is an action the API lists under every status it
	// is asked for, as one turning overdue between two calls is.
	var moving *api.PreventiveAction
	base := fakeAPI(t, map[string]func(*http.Request) any{
		"/v1/systemic-issues": func(*http.Request) any { return api.SystemicIssues{Issues: []api.SystemicIssue{}} },
		"/v1/root-causes":     func(*http.Request) any { return api.RootCauses{} },
		"/v1/preventive-actions": func(r *http.Request) any {
			out := api.PreventiveActions{Actions: []api.PreventiveAction{}}
			for _, a := range actions {
				if st := r.URL.Query().Get("status"); st == "" || a.Status == st {
					out.Actions = append(out.Actions, a)
				}
			}
			if moving != nil {
				m := *moving
				m.Status = r.URL.Query().Get("status")
				out.Actions = append(out.Actions, m)
			}
			return out
		},
	})
	owner := signedInAs(t, base, auth.RoleProcessOwner)
	byID := map[string]api.PreventiveAction{}
	for _, a := range actions {
		byID[a.ID] = a
	}
	// every is the whole list a filter shows, page after page by its
	// "more" link, each page at most a page long.
	every := func(first string) []string {
		var ids []string
		pages := 0
		for next := first; next != ""; pages++ {
			if pages > len(actions) {
				t.Fatalf("the more links from %s do not end", first)
			}
			status, page := fetch(t, owner, base+next)
			if status != http.StatusOK {
				t.Fatalf("%s: %d\n%s", next, status, page)
			}
			got, more := actionsListed(t, page)
			if len(got) == 0 || len(got) > 50 {
				t.Errorf("%s lists %d actions", next, len(got))
			}
			ids = append(ids, got...)
			next = more
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

	open := every("/app/prevention")
	if len(open) != toDo || !slices.IsSortedFunc(open, func(a, b string) int { return byID[a].Due.Compare(byID[b].Due) }) {
		t.Errorf("the actions still to do (%d of them) read, in order, %v", toDo, open)
	}
	if !slices.Equal(every("/app/prevention?show=open"), open) {
		t.Error("show=open lists other actions than the page's default")
	}
	completed := every("/app/prevention?show=completed")
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
	if all := every("/app/prevention?show=all"); !slices.Equal(all, append(slices.Clone(open), completed...)) {
		t.Errorf("all the actions read %v, want those still to do, then those completed", all)
	}

	// A page past the end lists none and leads back to the first; the
	// filters stay offered.
	status, page := fetch(t, owner, base+"/app/prevention?show=completed&from=1000")
	if status != http.StatusOK || strings.Contains(page, `<table id="actions">`) || !strings.Contains(page, `back to the first`) ||
		!strings.Contains(page, `href="/app/prevention?show=all#actions-h"`) {
		t.Errorf("past the last page: %d\n%s", status, page)
	}

	// An action listed as open and as overdue is shown once.
	moving = &api.PreventiveAction{ID: "act-moving", Due: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	if got := every("/app/prevention"); len(got) != toDo+1 || slices.Index(got, "act-moving") < 0 || !slices.Equal(slices.Compact(slices.Sorted(slices.Values(got))), slices.Sorted(slices.Values(got))) {
		t.Errorf("with an action changing status, those still to do read %v", got)
	}
	moving = nil

	// With none still to do, the page says so.
	actions = slices.DeleteFunc(actions, func(a api.PreventiveAction) bool { return !done(a.ID) })
	if status, page := fetch(t, owner, base+"/app/prevention"); status != http.StatusOK || !strings.Contains(page, "No preventive action is still to do.") {
		t.Errorf("none still to do: %d\n%s", status, page)
	}
}
