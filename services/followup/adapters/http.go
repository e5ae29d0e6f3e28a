// Package adapters holds follow-up's HTTP API (http.go) and event consumer
// (consumers.go).
package adapters

import (
	"net/http"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// HTTP serves follow-up's routes under /v1/followups.
type HTTP struct{ App *app.Followup }

// Routes registers the routes: staff read follow-ups; the customer answers
// with their complaint's own token (or an agent on their behalf).
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/followups/{id}", auth.Require(h.show, auth.StaffRoles...))
	mux.HandleFunc("POST /v1/followups/{id}/answer", auth.RequireOwnComplaint(h.answer, "id", auth.RoleAgent))
}

type followupJSON = api.FollowUp

func toJSON(f domain.Followup) followupJSON {
	out := followupJSON{ComplaintID: f.ComplaintID, Status: f.Status.String()}
	switch f.Status {
	case domain.Answered, domain.Closed:
		out.CSAT, out.Effort, out.Comment = f.CSAT, f.Effort, f.Comment
		out.Resolved = &f.Resolved
	case domain.NotRequested, domain.Requested:
	}
	return out
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	f, err := h.App.Followup(r.Context(), r.PathValue("id"))
	h.reply(w, r, f, err)
}

type answerRequest = api.AnswerRequest

func (h HTTP) answer(w http.ResponseWriter, r *http.Request) {
	var req answerRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var v httpx.Validator
	v.Check(req.CSAT != nil && *req.CSAT >= 1 && *req.CSAT <= 5, "csat", "is required, from 1 to 5")
	v.Check(req.Effort != nil && *req.Effort >= 1 && *req.Effort <= 7, "effort", "is required, from 1 to 7")
	v.Check(req.Resolved != nil, "resolved", "is required (true or false)")
	v.MaxLen(req.Comment, 5000, "comment")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	f, err := h.App.RecordAnswer(r.Context(), r.PathValue("id"), auth.ActorFrom(r.Context()), domain.RecordAnswer{
		CSAT: *req.CSAT, Effort: *req.Effort, Resolved: *req.Resolved, Comment: req.Comment,
	})
	h.reply(w, r, f, err)
}

// reply answers the follow-up, or the error: every domain refusal as
// 404/409/422 by its kind, anything else 500.
func (h HTTP) reply(w http.ResponseWriter, r *http.Request, f domain.Followup, err error) {
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toJSON(f))
}
