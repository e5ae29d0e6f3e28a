package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/page"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// Page sizes of the list of preventive actions: those of a team's queue.
const (
	DefaultActionsLimit = 50
	MaxActionsLimit     = 200
)

// ErrBadActionsCursor: the cursor is not one a page of actions gave.
var ErrBadActionsCursor = errors.New("the cursor is not one a previous page gave")

// ActionsQuery selects and pages the preventive actions.
type ActionsQuery struct {
	// AsOf is the instant the list is asked as of (zero: now).
	AsOf time.Time
	// Statuses keeps the actions of any of them; every action when empty.
	Statuses []domain.ActionStatus
	// Cause keeps the actions for that root cause, when set.
	Cause string
	// Cursor continues after the last action of the previous page.
	Cursor string
	// Limit is the page size (DefaultActionsLimit when 0, at most
	// MaxActionsLimit).
	Limit int
}

// ActionsPage is a page of preventive actions, in domain.ActionListKey's
// order.
type ActionsPage struct {
	Actions []api.PreventiveAction
	// Total counts the actions the query selects, on every page.
	Total int
	// NextCursor continues after the last; empty on the last page.
	NextCursor string
}

// PreventiveActionsPage is a page of the preventive actions the query
// selects: those still to do first, the soonest due first, then those done,
// the latest completed first (domain.ActionListKey).
func (a *Actions) PreventiveActionsPage(_ context.Context, q ActionsQuery) (ActionsPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultActionsLimit
	}
	limit = min(limit, MaxActionsLimit)
	var after *domain.ActionListKey
	if q.Cursor != "" {
		k, err := decodeActionsCursor(q.Cursor)
		if err != nil {
			return ActionsPage{}, err
		}
		after = &k
	}
	type keyed struct {
		key domain.ActionListKey
		v   api.PreventiveAction
	}
	var selected []keyed
	a.views.EachAction(q.AsOf, func(v api.PreventiveAction) {
		if st, ok := q.selects(v); ok {
			selected = append(selected, keyed{key: listKey(v, st), v: v})
		}
	})
	slices.SortFunc(selected, func(x, y keyed) int { return x.key.Compare(y.key) })
	page := ActionsPage{Total: len(selected)}
	from := 0
	if after != nil {
		from, _ = slices.BinarySearchFunc(selected, *after, func(x keyed, k domain.ActionListKey) int { return x.key.Compare(k) })
		if from < len(selected) && selected[from].key.Compare(*after) == 0 {
			from++
		}
	}
	to := min(from+limit, len(selected))
	page.Actions = make([]api.PreventiveAction, 0, to-from)
	for _, s := range selected[from:to] {
		page.Actions = append(page.Actions, s.v)
	}
	if to < len(selected) {
		page.NextCursor = encodeActionsCursor(selected[to-1].key)
	}
	return page, nil
}

// SelectedActions are every action the query selects (its cursor and limit
// aside), the latest opened first: the list as answered before it had
// pages.
func (a *Actions) SelectedActions(_ context.Context, q ActionsQuery) []api.PreventiveAction {
	all := a.views.Actions(q.AsOf)
	out := make([]api.PreventiveAction, 0, len(all))
	for _, v := range all {
		if _, ok := q.selects(v); ok {
			out = append(out, v)
		}
	}
	return out
}

// selects says whether the query keeps an action, and its status.
func (q ActionsQuery) selects(v api.PreventiveAction) (domain.ActionStatus, bool) {
	st := domain.ActionStatusNamed(v.Status)
	return st, (len(q.Statuses) == 0 || slices.Contains(q.Statuses, st)) && (q.Cause == "" || v.RootCause == q.Cause)
}

func listKey(v api.PreventiveAction, st domain.ActionStatus) domain.ActionListKey {
	var completed time.Time
	if v.CompletedAt != nil {
		completed = *v.CompletedAt
	}
	return domain.ActionListKeyOf(v.ID, st, v.Due, completed)
}

// A cursor is the last key of a page: "t" (to do) or "d" (done), its time
// (RFC 3339, which a zero time survives) and its id (page.Cursor).
func encodeActionsCursor(k domain.ActionListKey) string {
	part := "t"
	if k.Done {
		part = "d"
	}
	return page.Cursor(part, k.At.Format(time.RFC3339Nano), k.ID)
}

func decodeActionsCursor(c string) (domain.ActionListKey, error) {
	parts, ok := page.Fields(c, 3)
	if !ok || parts[0] != "t" && parts[0] != "d" {
		return domain.ActionListKey{}, ErrBadActionsCursor
	}
	at, err := time.Parse(time.RFC3339Nano, parts[1])
	if err != nil || !eventlog.ValidID(parts[2]) {
		return domain.ActionListKey{}, ErrBadActionsCursor
	}
	return domain.ActionListKey{Done: parts[0] == "d", At: at, ID: parts[2]}, nil
}
