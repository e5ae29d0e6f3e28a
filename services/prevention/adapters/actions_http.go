package adapters

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/prevention/app"
)

// ActionsHTTP serves systemic issues (/v1/systemic-issues) and preventive
// actions (/v1/preventive-actions).
type ActionsHTTP struct{ Actions *app.Actions }

// Routes registers the routes.
func (h ActionsHTTP) Routes(mux *http.ServeMux) {
	readers := []auth.Role{auth.RoleProcessOwner, auth.RoleAuditor, auth.RoleAdmin}
	mux.HandleFunc("GET /v1/systemic-issues", auth.Require(h.listIssues, readers...))
	mux.HandleFunc("GET /v1/systemic-issues/{id}", auth.Require(h.getIssue, readers...))
	mux.HandleFunc("POST /v1/systemic-issues/{id}/closure", auth.Require(h.closeIssue, auth.RoleProcessOwner))
	mux.HandleFunc("GET /v1/preventive-actions", auth.Require(h.listActions, readers...))
	mux.HandleFunc("POST /v1/preventive-actions", auth.Require(h.openAction, auth.RoleProcessOwner))
	mux.HandleFunc("GET /v1/preventive-actions/{id}", auth.Require(h.getAction, readers...))
	mux.HandleFunc("POST /v1/preventive-actions/{id}/completion", auth.Require(h.completeAction, auth.RoleProcessOwner))
	mux.HandleFunc("POST /v1/preventive-actions/{id}/evaluation", auth.Require(h.evaluateAction, auth.RoleProcessOwner))
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

const maxActionsIdempotencyKey = 200

func actionsIdempotencyKey(r *http.Request, v *httpx.Validator) string {
	key := r.Header.Get("Idempotency-Key")
	v.Check(len(key) <= maxActionsIdempotencyKey, "Idempotency-Key", "must be at most 200 characters")
	return key
}

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
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := api.SystemicIssues{Issues: []api.SystemicIssue{}}
	for _, i := range all {
		if status == "" || i.Status == status {
			out.Issues = append(out.Issues, i)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h ActionsHTTP) getIssue(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	v, err := h.Actions.Issue(r.Context(), id)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (h ActionsHTTP) closeIssue(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	var req closeIssueRequest
	if p == nil {
		p = httpx.DecodeJSON(w, r, &req)
	}
	var v httpx.Validator
	key := actionsIdempotencyKey(r, &v)
	if p == nil {
		v.Required(strings.TrimSpace(req.Reason), "reason")
		v.MaxLen(req.Reason, 2000, "reason")
		p = v.Problem()
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, err := h.Actions.CloseIssue(r.Context(), id, req.Reason, auth.ActorFrom(r.Context()), key)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

var actionStatuses = []string{"open", "overdue", "completed", "evaluated"}

func (h ActionsHTTP) listActions(w http.ResponseWriter, r *http.Request) {
	at, p := httpx.AsOf(r)
	q := r.URL.Query()
	status, cause := q.Get("status"), q.Get("cause")
	if p == nil && status != "" && !slices.Contains(actionStatuses, status) {
		p = httpx.Invalid(httpx.FieldError{Field: "status", Detail: "must be one of " + strings.Join(actionStatuses, ", ")})
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	all, err := h.Actions.PreventiveActions(r.Context(), at)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := api.PreventiveActions{Actions: []api.PreventiveAction{}}
	for _, a := range all {
		if (status == "" || a.Status == status) && (cause == "" || a.RootCause == cause) {
			out.Actions = append(out.Actions, a)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h ActionsHTTP) openAction(w http.ResponseWriter, r *http.Request) {
	var req openActionRequest
	p := httpx.DecodeJSON(w, r, &req)
	var v httpx.Validator
	key := actionsIdempotencyKey(r, &v)
	if p == nil {
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
		p = v.Problem()
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, err := h.Actions.OpenAction(r.Context(), app.OpenRequest{
		IssueID: req.IssueID, RootCause: req.RootCause, Product: req.Product, Owner: req.Owner, Description: req.Description, Due: req.Due,
	}, auth.ActorFrom(r.Context()), key)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/preventive-actions/"+out.ID)
	httpx.WriteJSON(w, http.StatusCreated, out)
}

func (h ActionsHTTP) getAction(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	v, err := h.Actions.Action(r.Context(), id)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (h ActionsHTTP) completeAction(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	var req completeActionRequest
	if p == nil {
		p = httpx.DecodeJSON(w, r, &req)
	}
	var v httpx.Validator
	key := actionsIdempotencyKey(r, &v)
	if p == nil {
		v.Required(strings.TrimSpace(req.Completion), "completion")
		v.MaxLen(req.Completion, 4000, "completion")
		p = v.Problem()
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, err := h.Actions.CompleteAction(r.Context(), id, req.Completion, auth.ActorFrom(r.Context()), key)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h ActionsHTTP) evaluateAction(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	var req evaluateActionRequest
	if p == nil {
		p = httpx.DecodeJSON(w, r, &req)
	}
	var v httpx.Validator
	key := actionsIdempotencyKey(r, &v)
	var exposure *app.Exposure
	if p == nil {
		b, a := req.ExposureBefore, req.ExposureAfter
		v.Check((b == nil) == (a == nil), "exposure_after", "give both exposures or neither")
		if b != nil && a != nil {
			v.Check(*b > 0, "exposure_before", "must be positive")
			v.Check(*a > 0, "exposure_after", "must be positive")
			exposure = &app.Exposure{Before: *b, After: *a}
		}
		p = v.Problem()
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, err := h.Actions.EvaluateAction(r.Context(), id, exposure, auth.ActorFrom(r.Context()), key)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
