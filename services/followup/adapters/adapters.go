// Package adapters holds follow-up's HTTP API and event consumer.
package adapters

import (
	"context"
	"errors"
	"net/http"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// CaseResolvedType is the event follow-up reacts to.
var CaseResolvedType = es.TypeOf(&complaintsv1.CaseResolved{})

// OnCaseResolved requests the survey for every resolved case.
func OnCaseResolved(a *app.Followup) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		return a.RequestSurvey(ctx, e.Metadata.ComplaintID, e.ID)
	}
}

// HTTP serves follow-up's routes under /v1/followups.
type HTTP struct{ App *app.Followup }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/followups/{id}", h.show)
	mux.HandleFunc("POST /v1/followups/{id}/answer", h.answer)
}

type followupJSON struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	CSAT        int32  `json:"csat,omitempty"`
	Effort      int32  `json:"effort,omitempty"`
	Resolved    *bool  `json:"resolved,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

func toJSON(f domain.Followup) followupJSON {
	out := followupJSON{ComplaintID: f.ComplaintID, Status: "survey_requested"}
	if f.Answered {
		out.Status, out.CSAT, out.Effort, out.Comment = "answered", f.CSAT, f.Effort, f.Comment
		out.Resolved = &f.Resolved
	}
	if f.Closed {
		out.Status = "closed"
	}
	return out
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	f, err := h.App.Followup(r.Context(), r.PathValue("id"))
	h.reply(w, r, f, err)
}

type answerRequest struct {
	CSAT     *int32 `json:"csat"`
	Effort   *int32 `json:"effort"`
	Resolved *bool  `json:"resolved"`
	Comment  string `json:"comment"`
}

func (h HTTP) answer(w http.ResponseWriter, r *http.Request) {
	var req answerRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var v httpx.Validator
	v.Check(req.CSAT != nil, "csat", "is required (1 to 5)")
	v.Check(req.Effort != nil, "effort", "is required (1 to 7)")
	v.Check(req.Resolved != nil, "resolved", "is required (true or false)")
	v.MaxLen(req.Comment, 5000, "comment")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	f, err := h.App.RecordAnswer(r.Context(), r.PathValue("id"), domain.RecordAnswer{
		CSAT: *req.CSAT, Effort: *req.Effort, Resolved: *req.Resolved, Comment: req.Comment,
	})
	h.reply(w, r, f, err)
}

func (h HTTP) reply(w http.ResponseWriter, r *http.Request, f domain.Followup, err error) {
	var fe *domain.FieldError
	switch {
	case err == nil:
		httpx.WriteJSON(w, http.StatusOK, toJSON(f))
	case errors.As(err, &fe):
		httpx.WriteProblem(w, r, httpx.Invalid(httpx.FieldError{Field: fe.Field, Detail: fe.Detail}))
	case errors.Is(err, es.ErrNotFound), errors.Is(err, domain.ErrNoSurvey):
		httpx.WriteProblem(w, r, httpx.NotFound("no survey requested for complaint "+r.PathValue("id")+" (yet: it is requested once the case is resolved)"))
	case errors.Is(err, domain.ErrAlreadyAnswered):
		httpx.WriteProblem(w, r, httpx.Conflict(err.Error()))
	default:
		httpx.WriteError(w, r, err)
	}
}
