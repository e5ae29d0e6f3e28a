package adapters

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// ActionsHTTP serves systemic issues (/v1/systemic-issues) and preventive
// actions (/v1/preventive-actions).
type ActionsHTTP struct{ Actions *app.Actions }

// Routes registers the routes.
func (h ActionsHTTP) Routes(mux *http.ServeMux) {
	readers := []auth.Role{auth.RoleProcessOwner, auth.RoleAuditor, auth.RoleAdmin}
	mux.HandleFunc("GET /v1/systemic-issues", auth.Require(h.listIssues, readers...))
	mux.HandleFunc("GET /v1/systemic-issues/{id}", auth.Require(h.getIssue, readers...))
	mux.HandleFunc("POST /v1/systemic-issues/{id}/closure", auth.Require(httpx.Endpoint(http.StatusOK, "id", checkCloseIssue, h.closeIssue), auth.RoleProcessOwner))
	mux.HandleFunc("GET /v1/preventive-actions", auth.Require(h.listActions, readers...))
	mux.HandleFunc("POST /v1/preventive-actions", auth.Require(httpx.Endpoint(http.StatusCreated, "", checkOpenAction, h.openAction), auth.RoleProcessOwner))
	mux.HandleFunc("GET /v1/preventive-actions/{id}", auth.Require(h.getAction, readers...))
	mux.HandleFunc("POST /v1/preventive-actions/{id}/completion", auth.Require(httpx.Endpoint(http.StatusOK, "id", checkCompleteAction, h.completeAction), auth.RoleProcessOwner))
	mux.HandleFunc("POST /v1/preventive-actions/{id}/evaluation", auth.Require(httpx.Endpoint(http.StatusOK, "id", checkEvaluateAction, h.evaluateAction), auth.RoleProcessOwner))
}

// Request bodies.
type (
	closeIssueRequest struct {
		Reason string `json:"reason"`
	}
	openActionRequest struct {
		IssueID     string    `json:"issue_id"`
		RootCause   string    `json:"root_cause"`
		Product     string    `json:"product"`
		Owner       string    `json:"owner"`
		Description string    `json:"description"`
		Due         time.Time `json:"due"`
	}
	completeActionRequest struct {
		Completion string `json:"completion"`
	}
	evaluateActionRequest struct {
		ExposureBefore *float64 `json:"exposure_before"`
		ExposureAfter  *float64 `json:"exposure_after"`
	}
)

func (h ActionsHTTP) listIssues(w http.ResponseWriter, r *http.Request) {
	at, p := httpx.AsOf(r)
	status := r.URL.Query().Get("status")
	if p == nil && status != "" && status != "open" && status != "closed" {
		p = httpx.Invalid(httpx.FieldError{Field: "status", Detail: "must be open or closed"})
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	all, err := h.Actions.SystemicIssues(r.Context(), at)
	out := api.SystemicIssues{Issues: []api.SystemicIssue{}}
	for _, i := range all {
		if status == "" || i.Status == status {
			out.Issues = append(out.Issues, i)
		}
	}
	httpx.Reply(w, r, http.StatusOK, out, err)
}

func (h ActionsHTTP) getIssue(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	v, err := h.Actions.Issue(r.Context(), id)
	httpx.Reply(w, r, http.StatusOK, v, err)
}

func checkCloseIssue(v *httpx.Validator, req *closeIssueRequest) {
	v.Required(strings.TrimSpace(req.Reason), "reason")
	v.MaxLen(req.Reason, 2000, "reason")
}

func (h ActionsHTTP) closeIssue(_ http.ResponseWriter, r *http.Request, c httpx.Command[closeIssueRequest]) (api.SystemicIssue, error) {
	return h.Actions.CloseIssue(r.Context(), c.ID, c.Body.Reason, auth.ActorFrom(r.Context()), c.Key)
}

var actionStatuses = []string{"open", "overdue", "completed", "evaluated"}

// listActions answers GET /v1/preventive-actions. With limit or cursor it
// answers a page in domain.ActionListKey's order; without either, every
// action selected, the latest opened first, as before the list had pages
// (tools/client and the reports read it whole).
func (h ActionsHTTP) listActions(w http.ResponseWriter, r *http.Request) {
	at, p := httpx.AsOf(r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	query := app.ActionsQuery{AsOf: at, Cause: q.Get("cause"), Cursor: q.Get("cursor")}
	var v httpx.Validator
	// status=open,overdue and status=open&status=overdue say the same.
	for _, list := range q["status"] {
		if list == "" {
			continue // status= alone: every status, as before
		}
		for name := range strings.SplitSeq(list, ",") {
			st := domain.ActionStatusNamed(name)
			v.Check(st != domain.ActionUnknown, "status", "must be one or more (comma-separated, or repeated) of "+strings.Join(actionStatuses, ", "))
			if st != domain.ActionUnknown && !slices.Contains(query.Statuses, st) {
				query.Statuses = append(query.Statuses, st)
			}
		}
	}
	paged := q.Has("limit") || q.Has("cursor")
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		v.Check(err == nil && n >= 1 && n <= app.MaxActionsLimit, "limit", fmt.Sprintf("must be a whole number from 1 to %d", app.MaxActionsLimit))
		query.Limit = n
	}
	v.MaxLen(query.Cursor, 400, "cursor")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	if !paged {
		all := h.Actions.SelectedActions(r.Context(), query)
		httpx.WriteJSON(w, http.StatusOK, api.PreventiveActions{Actions: all, Total: len(all)})
		return
	}
	page, err := h.Actions.PreventiveActionsPage(r.Context(), query)
	if errors.Is(err, app.ErrBadActionsCursor) {
		v.Check(false, "cursor", err.Error()+"; start again without one")
		httpx.WriteProblem(w, r, v.Problem())
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, api.PreventiveActions{Actions: page.Actions, Total: page.Total, NextCursor: page.NextCursor})
}

func checkOpenAction(v *httpx.Validator, req *openActionRequest) {
	v.Check(req.IssueID != "" || req.RootCause != "", "root_cause", "give the root cause or the systemic issue (issue_id) the action is for")
	if req.IssueID != "" {
		v.CheckID(req.IssueID, "issue_id")
	}
	v.MaxLen(req.RootCause, 200, "root_cause")
	v.MaxLen(req.Product, 100, "product")
	v.Required(req.Owner, "owner")
	v.MaxLen(req.Owner, 100, "owner")
	v.Required(strings.TrimSpace(req.Description), "description")
	v.MaxLen(req.Description, 4000, "description")
	v.Check(!req.Due.IsZero(), "due", "is required (RFC 3339)")
}

func (h ActionsHTTP) openAction(w http.ResponseWriter, r *http.Request, c httpx.Command[openActionRequest]) (api.PreventiveAction, error) {
	req := c.Body
	out, err := h.Actions.OpenAction(r.Context(), app.OpenRequest{
		IssueID: req.IssueID, RootCause: req.RootCause, Product: req.Product, Owner: req.Owner, Description: req.Description, Due: req.Due,
	}, auth.ActorFrom(r.Context()), c.Key)
	if err == nil {
		w.Header().Set("Location", "/v1/preventive-actions/"+out.ID)
	}
	return out, err
}

func (h ActionsHTTP) getAction(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	v, err := h.Actions.Action(r.Context(), id)
	httpx.Reply(w, r, http.StatusOK, v, err)
}

func checkCompleteAction(v *httpx.Validator, req *completeActionRequest) {
	v.Required(strings.TrimSpace(req.Completion), "completion")
	v.MaxLen(req.Completion, 4000, "completion")
}

func (h ActionsHTTP) completeAction(_ http.ResponseWriter, r *http.Request, c httpx.Command[completeActionRequest]) (api.PreventiveAction, error) {
	return h.Actions.CompleteAction(r.Context(), c.ID, c.Body.Completion, auth.ActorFrom(r.Context()), c.Key)
}

func checkEvaluateAction(v *httpx.Validator, req *evaluateActionRequest) {
	b, a := req.ExposureBefore, req.ExposureAfter
	v.Check((b == nil) == (a == nil), "exposure_after", "give both exposures or neither")
	if b != nil && a != nil {
		v.Check(*b > 0, "exposure_before", "must be positive")
		v.Check(*a > 0, "exposure_after", "must be positive")
	}
}

func (h ActionsHTTP) evaluateAction(_ http.ResponseWriter, r *http.Request, c httpx.Command[evaluateActionRequest]) (api.PreventiveAction, error) {
	var exposure *app.Exposure
	if b, a := c.Body.ExposureBefore, c.Body.ExposureAfter; b != nil && a != nil {
		exposure = &app.Exposure{Before: *b, After: *a}
	}
	return h.Actions.EvaluateAction(r.Context(), c.ID, exposure, auth.ActorFrom(r.Context()), c.Key)
}
