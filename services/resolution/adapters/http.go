// Package adapters holds resolution's HTTP API (http.go) and its event
// consumer (consumers.go). Every HTTP route names the roles it admits.
package adapters

import (
	"errors"
	"net/http"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// HTTP serves resolution's routes under /v1/cases and /v1/root-causes.
type HTTP struct{ App *app.Resolution }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/cases/{id}", auth.Require(h.show, auth.RoleAgent, auth.RoleAuditor))
	mux.HandleFunc("POST /v1/cases/{id}/assignment", auth.Require(h.assign, auth.RoleAgent))
	mux.HandleFunc("POST /v1/cases/{id}/resolution", auth.Require(h.resolve, auth.RoleAgent))
	mux.HandleFunc("GET /v1/root-causes", auth.Require(h.rootCauses, auth.StaffRoles...))
}

type caseJSON = api.Case

func toJSON(c domain.Case) caseJSON {
	out := caseJSON{ComplaintID: c.ComplaintID, Status: c.Status.String(), Team: c.Team, Transfers: c.Transfers,
		Product: c.Product, Channel: c.Channel, OpenedAt: c.OpenedAt}
	if c.Status == domain.Resolved {
		out.Outcome, out.RootCause, out.Summary = c.Outcome.APIName(), c.RootCause, c.Summary
		out.ResolvedAt = &c.ResolvedAt
	}
	return out
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	c, err := h.App.Case(r.Context(), r.PathValue("id"))
	h.reply(w, r, c, err)
}

type assignRequest = api.AssignRequest

func (h HTTP) assign(w http.ResponseWriter, r *http.Request) {
	var req assignRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var v httpx.Validator
	v.Required(req.Team, "team")
	v.MaxLen(req.Team, 100, "team")
	v.MaxLen(req.Agent, 100, "agent")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	c, err := h.App.Assign(r.Context(), auth.ActorFrom(r.Context()), r.PathValue("id"), req.Team, req.Agent)
	h.reply(w, r, c, err)
}

type resolveRequest = api.ResolveRequest

func (h HTTP) resolve(w http.ResponseWriter, r *http.Request) {
	var req resolveRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var v httpx.Validator
	outcome, ok := complaintsv1.ParseOutcome(req.Outcome)
	v.Check(ok, "outcome", "must be one of upheld, partly_upheld, rejected")
	v.Required(req.RootCause, "root_cause")
	if req.RootCause != "" {
		v.Check(h.App.KnowsRootCause(req.RootCause), "root_cause", "must be a code listed by GET /v1/root-causes")
	}
	v.MaxLen(req.Summary, 5000, "summary")
	v.MaxLen(req.Agent, 100, "agent")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	c, err := h.App.Resolve(r.Context(), auth.ActorFrom(r.Context()), r.PathValue("id"), domain.ResolveCase{
		Outcome: outcome, RootCause: req.RootCause, Summary: req.Summary, Agent: req.Agent,
	})
	h.reply(w, r, c, err)
}

// reply answers with the case, or the problem err is: every refusal of the
// case decider is a *decider.Refusal, answered 404, 409 or 422 by httpx.
func (h HTTP) reply(w http.ResponseWriter, r *http.Request, c domain.Case, err error) {
	switch {
	case err == nil:
		httpx.WriteJSON(w, http.StatusOK, toJSON(c))
	case errors.Is(err, domain.ErrCaseNotOpen):
		httpx.WriteProblem(w, r, httpx.NotFound("no case is open for complaint "+r.PathValue("id")+" (yet: cases open moments after the complaint is received)"))
	default:
		httpx.WriteError(w, r, err)
	}
}

func (h HTTP) rootCauses(w http.ResponseWriter, r *http.Request) {
	causes := h.App.RootCauses()
	out := api.RootCauses{RootCauses: make([]api.RootCause, 0, len(causes))}
	for _, c := range causes {
		out.RootCauses = append(out.RootCauses, api.RootCause{Code: c.Code, Description: c.Description})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
