package adapters_test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// listRig is a rig holding 60 actions: due on days that repeat (the order
// falls to the id at times), those due before the wall clock flagged
// overdue by their timers, every third completed on one of two days, and
// every seventh for another cause.
type listRig struct {
	*rig
	// byID is every action as the API last listed it.
	byID map[string]api.PreventiveAction
}

const otherCause = "network.outage"

func newListRig(t *testing.T) *listRig {
	wall := time.Now().UTC().Truncate(time.Hour)
	// Twenty days ago: the actions due in the first twenty days are overdue
	// on the wall clock, which the timers fire on.
	start := wall.AddDate(0, 0, -20)
	r := &listRig{rig: newRig(t, start), byID: map[string]api.PreventiveAction{}}
	var ids []string
	for i := range 60 {
		c := cause
		if i%7 == 0 {
			c = otherCause
		}
		var a api.PreventiveAction
		body := map[string]any{"root_cause": c, "owner": "billing", "description": fmt.Sprintf("Change %d", i),
			"due": start.AddDate(0, 0, i*7%40).Add(time.Hour)}
		if code := r.do(http.MethodPost, "/v1/preventive-actions", "owner-token", body, &a); code != http.StatusCreated {
			t.Fatalf("open %d: %d", i, code)
		}
		ids = append(ids, a.ID)
	}
	// The overdue are flagged before any is completed, so that no
	// completion races its action's timer.
	overdue := 0
	for i := range ids {
		if start.AddDate(0, 0, i*7%40).Add(time.Hour).Before(wall) {
			overdue++
		}
	}
	r.settle(t, map[string]int{"open": len(ids) - overdue, "overdue": overdue})
	// Completed five and four days ago, on the app's clock: their
	// evaluations fall due days from now, so none is evaluated here.
	want := map[string]int{"open": len(ids) - overdue, "overdue": overdue}
	for i := 0; i < len(ids); i += 3 {
		r.clock.Set(wall.AddDate(0, 0, -5+i%2))
		if code := r.do(http.MethodPost, "/v1/preventive-actions/"+ids[i]+"/completion", "owner-token", map[string]any{"completion": "Done"}, nil); code != http.StatusOK {
			t.Fatalf("complete %d: %d", i, code)
		}
		want[r.byID[ids[i]].Status]--
		want["completed"]++
	}
	if want["open"] == 0 || want["overdue"] == 0 {
		t.Fatalf("the actions are %v: every status should have some", want)
	}
	r.settle(t, want)
	return r
}

// settle waits until the list holds as many actions of each status as want
// says, and keeps them in byID.
func (r *listRig) settle(t *testing.T, want map[string]int) {
	t.Helper()
	testkit.EventuallyNil(t, func() error {
		var all api.PreventiveActions
		r.do(http.MethodGet, "/v1/preventive-actions", "auditor-token", nil, &all)
		got := map[string]int{}
		for _, a := range all.Actions {
			got[a.Status]++
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("the actions listed are %v, want %v", got, want)
		}
		for _, a := range all.Actions {
			r.byID[a.ID] = a
		}
		return nil
	})
}

// listOrder is the order the paged list promises, written out on its own:
// to do (open, overdue) before done (completed, evaluated); to do by due,
// soonest first; done by completion, latest first; then by id.
func listOrder(a, b api.PreventiveAction) int {
	done := func(x api.PreventiveAction) bool { return x.Status == "completed" || x.Status == "evaluated" }
	switch {
	case done(a) && !done(b):
		return 1
	case !done(a) && done(b):
		return -1
	case !done(a) && !a.Due.Equal(b.Due):
		return a.Due.Compare(b.Due)
	case done(a) && !a.CompletedAt.Equal(*b.CompletedAt):
		return b.CompletedAt.Compare(*a.CompletedAt)
	}
	return strings.Compare(a.ID, b.ID)
}

// walk follows query's pages to the end (from its cursor, if it has one), checking that each holds at most
// limit actions (the default when 0) and tells the same total; it answers
// their actions in order.
func (r *listRig) walk(t *testing.T, query string, limit int) []api.PreventiveAction {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	var out []api.PreventiveAction
	from := q.Get("cursor")
	cursor, total := from, -1
	for pages := 0; ; pages++ {
		if pages > len(r.byID) {
			t.Fatalf("%s: the cursors do not end", query)
		}
		q.Set("cursor", cursor)
		if limit > 0 {
			q.Set("limit", fmt.Sprint(limit))
		}
		var page api.PreventiveActions
		if code := r.do(http.MethodGet, "/v1/preventive-actions?"+q.Encode(), "auditor-token", nil, &page); code != http.StatusOK {
			t.Fatalf("%s, cursor %q: %d", query, cursor, code)
		}
		n := limit
		if n == 0 {
			n = 50
		}
		if len(page.Actions) > n || len(page.Actions) < n && page.NextCursor != "" {
			t.Fatalf("%s: a page of %d actions (limit %d), next cursor %q", query, len(page.Actions), n, page.NextCursor)
		}
		if total >= 0 && page.Total != total {
			t.Errorf("%s: a page tells a total of %d, the first %d", query, page.Total, total)
		}
		total = page.Total
		out = append(out, page.Actions...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if from == "" && total != len(out) {
		t.Errorf("%s: the pages tell a total of %d and hold %d actions", query, total, len(out))
	}
	return out
}

func ids(actions []api.PreventiveAction) []string {
	out := make([]string, 0, len(actions))
	for _, a := range actions {
		out = append(out, a.ID)
	}
	return out
}

func TestTheActionsArePagedInTheOrderTheyAreWorkedOn(t *testing.T) {
	r := newListRig(t)
	// want is every action of the statuses (and cause, when given), in the
	// list's order.
	want := func(c string, statuses ...string) []string {
		var out []api.PreventiveAction
		for _, a := range r.byID {
			if (len(statuses) == 0 || slices.Contains(statuses, a.Status)) && (c == "" || a.RootCause == c) {
				out = append(out, a)
			}
		}
		slices.SortFunc(out, listOrder)
		return ids(out)
	}
	toDo, done := want("", "open", "overdue"), want("", "completed", "evaluated")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"status=open,overdue", toDo},
		{"status=open&status=overdue", toDo},
		{"status=overdue,open,overdue", toDo},
		{"status=completed,evaluated", done},
		{"status=overdue", want("", "overdue")},
		{"", append(slices.Clone(toDo), done...)},
		{"status=", append(slices.Clone(toDo), done...)},
		{"status=open,completed&cause=" + otherCause, want(otherCause, "open", "completed")},
	} {
		for _, limit := range []int{7, 0, 200} {
			if got := ids(r.walk(t, tc.query, limit)); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %d a page: the pages list\n%v\nwant\n%v", tc.query, limit, got, tc.want)
			}
		}
	}
	// The overdue lead those still to do, and the ties were there to break.
	if first := r.byID[toDo[0]]; first.Status != "overdue" {
		t.Errorf("the first action still to do is %s", first.Status)
	}
	dues := map[time.Time]int{}
	completions := map[time.Time]int{}
	for _, a := range r.byID {
		dues[a.Due]++
		if a.CompletedAt != nil {
			completions[*a.CompletedAt]++
		}
	}
	if len(dues) == len(r.byID) || len(completions) != 2 {
		t.Fatalf("%d due dates and %d completion times for %d actions: the test needs ties", len(dues), len(completions), len(r.byID))
	}
}

func TestWithoutLimitOrCursorTheListIsWholeAsBefore(t *testing.T) {
	r := newListRig(t)
	var all api.PreventiveActions
	if code := r.do(http.MethodGet, "/v1/preventive-actions", "auditor-token", nil, &all); code != http.StatusOK {
		t.Fatalf("the whole list: %d", code)
	}
	if len(all.Actions) != 60 || all.Total != 60 || all.NextCursor != "" {
		t.Fatalf("the whole list: %d actions, total %d, next cursor %q", len(all.Actions), all.Total, all.NextCursor)
	}
	if !slices.IsSortedFunc(all.Actions, func(a, b api.PreventiveAction) int {
		if c := b.OpenedAt.Compare(a.OpenedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}) {
		t.Error("the whole list is not the latest opened first")
	}
	var overdue api.PreventiveActions
	r.do(http.MethodGet, "/v1/preventive-actions?status=overdue", "auditor-token", nil, &overdue)
	n := 0
	for _, a := range r.byID {
		if a.Status == "overdue" {
			n++
		}
	}
	if len(overdue.Actions) != n || overdue.NextCursor != "" {
		t.Errorf("status=overdue alone: %d actions, next cursor %q; want the %d overdue", len(overdue.Actions), overdue.NextCursor, n)
	}
	for _, a := range overdue.Actions {
		if a.Status != "overdue" {
			t.Errorf("status=overdue lists %s, %s", a.ID, a.Status)
		}
	}
	// An empty cursor asks for the first page, of the default size.
	var first api.PreventiveActions
	r.do(http.MethodGet, "/v1/preventive-actions?cursor=", "auditor-token", nil, &first)
	if len(first.Actions) != 50 || first.Total != 60 || first.NextCursor == "" {
		t.Errorf("cursor= alone: %d actions, total %d, next cursor %q; want the first 50 of 60", len(first.Actions), first.Total, first.NextCursor)
	}
}

func TestACursorContinuesWhereItStoppedWhateverIsOpenedBeforeIt(t *testing.T) {
	r := newListRig(t)
	var first api.PreventiveActions
	r.do(http.MethodGet, "/v1/preventive-actions?status=open,overdue&limit=10", "auditor-token", nil, &first)
	if len(first.Actions) != 10 || first.NextCursor == "" {
		t.Fatalf("the first page: %d actions, next cursor %q", len(first.Actions), first.NextCursor)
	}
	rest := r.walk(t, "status=open,overdue&cursor="+url.QueryEscape(first.NextCursor), 10)
	if whole := r.walk(t, "status=open,overdue", 10); !slices.Equal(ids(whole), append(ids(first.Actions), ids(rest)...)) {
		t.Fatalf("the first page and the pages after its cursor are not the whole list")
	}
	// One action due before every other (it goes before the cursor), one
	// due after them all (it goes at the end).
	soonest, latest := r.byID[first.Actions[0].ID].Due, rest[len(rest)-1].Due
	var early, late api.PreventiveAction
	for _, x := range []struct {
		due time.Time
		out *api.PreventiveAction
	}{{soonest.Add(-time.Minute), &early}, {latest.Add(time.Minute), &late}} {
		body := map[string]any{"root_cause": cause, "owner": "billing", "description": "Late addition", "due": x.due}
		r.clock.Set(soonest.Add(-time.Hour))
		if code := r.do(http.MethodPost, "/v1/preventive-actions", "owner-token", body, x.out); code != http.StatusCreated {
			t.Fatalf("open: %d", code)
		}
	}
	var all api.PreventiveActions
	testkit.Eventually(t, "the two new actions listed", func() bool {
		r.do(http.MethodGet, "/v1/preventive-actions", "auditor-token", nil, &all)
		return len(all.Actions) == 62
	})
	again := r.walk(t, "status=open,overdue&cursor="+url.QueryEscape(first.NextCursor), 10)
	want := append(ids(rest), late.ID)
	if got := ids(again); !slices.Equal(got, want) {
		t.Errorf("after the first page, with two actions opened since, the pages list\n%v\nwant\n%v", got, want)
	}
	if slices.Contains(ids(again), early.ID) {
		t.Errorf("the action due before the cursor is listed after it")
	}
}

func TestBadListRequestsNameTheField(t *testing.T) {
	r := newRig(t, time.Now().UTC())
	badCursor := base64.RawURLEncoding.EncodeToString([]byte("x|2026-01-01T00:00:00Z|action_1"))
	for _, tc := range []struct{ query, field string }{
		{"status=nope", "status"},
		{"status=open,nope", "status"},
		{"status=open,", "status"},
		{"status=open&status=Completed", "status"},
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=ten", "limit"},
		{"limit=", "limit"},
		{"limit=-1&status=open", "limit"},
		{"cursor=%21%21", "cursor"},
		{"cursor=" + badCursor, "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t|yesterday|action_1")), "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("t|2026-01-01T00:00:00Z|no such id")), "cursor"},
		{"cursor=" + strings.Repeat("a", 401), "cursor"},
		{"as_of=yesterday&limit=10", "as_of"},
	} {
		var problem map[string]any
		code := r.do(http.MethodGet, "/v1/preventive-actions?"+tc.query, "auditor-token", nil, &problem)
		errs, _ := problem["errors"].([]any)
		var fields []string
		for _, e := range errs {
			if m, ok := e.(map[string]any); ok {
				fields = append(fields, fmt.Sprint(m["field"]))
			}
		}
		if code != http.StatusBadRequest || problem["type"] != "https://complaintflow.dev/problems/validation" || !slices.Equal(fields, []string{tc.field}) {
			t.Errorf("%s: %d %v, want 400 naming %s alone", tc.query, code, problem, tc.field)
		}
	}
	if code := r.do(http.MethodGet, "/v1/preventive-actions?limit=10", "agent-token", nil, nil); code != http.StatusForbidden {
		t.Errorf("an agent listed the actions: %d", code)
	}
}
