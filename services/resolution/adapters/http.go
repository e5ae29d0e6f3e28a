// Package adapters holds resolution's HTTP API (http.go), its request/reply
// API on NATS (nats.go), the operations both call (ops.go) and its event
// consumers (consumers.go). Every HTTP route names the roles it admits.
package adapters

import (
	"context"
	"net/http"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// HTTP serves resolution's routes under /v1/cases, /v1/queues and
// /v1/root-causes.
type HTTP struct{ App *app.Resolution }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/cases/{id}", auth.Require(h.show, auth.RoleAgent, auth.RoleAuditor))
	mux.HandleFunc("POST /v1/cases/{id}/assignment", auth.Require(command(h, assignOp), auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/claim", auth.Require(command(h, claimOp), auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/escalation", auth.Require(command(h, escalateOp), auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/review", auth.Require(command(h, reviewOp), auth.RoleApprover))
	mux.HandleFunc("POST /v1/cases/{id}/information-requests", auth.Require(created(h, requestInformationOp), auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/information-requests/{rid}/answer", auth.RequireOwnComplaint(h.answer, "id", auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/contacts", auth.Require(created(h, contactOp), auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/resolution", auth.Require(command(h, resolveOp), auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/reopen", auth.RequireOwnComplaint(command(h, reopenOp), "id", auth.RoleAgent))
	mux.HandleFunc("GET /v1/queues/{team}", auth.Require(h.queue, auth.RoleAgent, auth.RoleAuditor))
	mux.HandleFunc("GET /v1/root-causes", auth.Require(h.rootCauses, auth.StaffRoles...))
}

// callerOf is the caller of an HTTP request.
func callerOf(r *http.Request) caller {
	cl := caller{actor: auth.ActorFrom(r.Context()), key: r.Header.Get("Idempotency-Key"), channel: "web"}
	if p, ok := auth.PrincipalFrom(r.Context()); ok && !p.Has(auth.RoleCustomer) {
		cl.subject = p.Subject
	}
	return cl
}

// command serves an operation answering 200 with its result.
func command[Req, Res any](h HTTP, op func(context.Context, *app.Resolution, caller, string, Req) (Res, error)) http.HandlerFunc {
	return serve(h, http.StatusOK, op)
}

// created serves an operation answering 201 with its result.
func created[Req, Res any](h HTTP, op func(context.Context, *app.Resolution, caller, string, Req) (Res, error)) http.HandlerFunc {
	return serve(h, http.StatusCreated, op)
}

func serve[Req, Res any](h HTTP, status int, op func(context.Context, *app.Resolution, caller, string, Req) (Res, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if p := httpx.DecodeJSON(w, r, &req); p != nil {
			httpx.WriteProblem(w, r, p)
			return
		}
		out, err := op(r.Context(), h.App, callerOf(r), r.PathValue("id"), req)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		httpx.WriteJSON(w, status, out)
	}
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	out, err := showOp(r.Context(), h.App, r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h HTTP) answer(w http.ResponseWriter, r *http.Request) {
	var req api.InformationAnswer
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, err := answerOp(r.Context(), h.App, callerOf(r), r.PathValue("id"), r.PathValue("rid"), req)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h HTTP) queue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out, err := queueOp(h.App, queueQuery{
		Team: r.PathValue("team"), Status: q.Get("status"), Priority: q.Get("priority"), Flag: q.Get("flag"),
		Agent: q.Get("agent"), Unassigned: q.Get("unassigned"), Cursor: q.Get("cursor"), Limit: q.Get("limit"),
	})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h HTTP) rootCauses(w http.ResponseWriter, r *http.Request) {
	causes := h.App.RootCauses()
	out := api.RootCauses{RootCauses: make([]api.RootCause, 0, len(causes))}
	for _, c := range causes {
		out.RootCauses = append(out.RootCauses, api.RootCause{Code: c.Code, Description: c.Description, Category: c.CategoryOf()})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
