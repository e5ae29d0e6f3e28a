// Package adapters holds follow-up's HTTP API (http.go), its NATS
// request/reply API (nats.go), its event and timer consumers
// (consumers.go), what it reads of other services' streams (complaints.go)
// and the silent-customers projection (silent.go).
package adapters

import (
	"net/http"
	"strconv"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// HTTP serves follow-up's routes under /v1/followups and the
// silent-customers report.
type HTTP struct{ App *app.Followup }

// Routes registers the routes: staff read follow-ups; the customer answers
// with their complaint's own token (or an agent on their behalf); process
// owners and agents read who stayed silent.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/followups/{id}", auth.Require(h.show, auth.StaffRoles...))
	mux.HandleFunc("POST /v1/followups/{id}/answer", auth.RequireOwnComplaint(h.answer, "id", auth.RoleAgent))
	mux.HandleFunc("GET /v1/reports/silent-customers", auth.Require(h.silent, auth.RoleProcessOwner, auth.RoleAgent))
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// MaxSilentLimit bounds the complaints one report lists.
const MaxSilentLimit = 1000

func toJSON(f domain.Followup) api.FollowUp {
	out := api.FollowUp{ComplaintID: f.ComplaintID, Status: f.Status.String(), Round: f.Round, ChasersSent: f.ChasersSent,
		CustomerID: f.Context.CustomerID, Product: f.Context.Product, Team: f.Context.Team, RootCause: f.Context.RootCause,
		SurveyDue: timeOrNil(f.SurveyDue), SurveyedAt: timeOrNil(f.SurveyAt), ClosedReason: f.ClosedReason, ClosedAt: timeOrNil(f.ClosedAt)}
	if due, ok := f.Pending(); ok {
		out.NextDue = &due
	}
	for _, a := range f.Answers {
		ans := api.SurveyAnswer{Round: a.Round, CSAT: a.CSAT, Effort: a.Effort, Resolved: a.Resolved, Reason: a.Reason, Comment: a.Comment, AnsweredAt: a.At}
		if a.NPS >= 0 {
			ans.NPS = &a.NPS
		}
		out.Answers = append(out.Answers, ans)
	}
	if n := len(f.Answers); n > 0 {
		last := f.Answers[n-1]
		out.CSAT, out.Effort, out.Comment, out.Resolved = last.CSAT, last.Effort, last.Comment, &last.Resolved
	}
	return out
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	f, err := h.App.Followup(r.Context(), r.PathValue("id"))
	h.reply(w, r, f, err)
}

func (h HTTP) answer(w http.ResponseWriter, r *http.Request) {
	var req api.AnswerRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	ans, p := validAnswer(req, key)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	f, err := h.App.RecordAnswer(r.Context(), r.PathValue("id"), auth.ActorFrom(r.Context()), key, ans)
	if p, ok := auth.PrincipalFrom(r.Context()); ok && p.Has(auth.RoleCustomer) && err == nil {
		httpx.WriteJSON(w, http.StatusOK, customerAnswer(f))
		return
	}
	h.reply(w, r, f, err)
}

// customerAnswer is what the customer answering with their own token is
// told: the status and what happens now, none of the staff's follow-up.
func customerAnswer(f domain.Followup) api.CustomerFollowUpAnswer {
	out := api.CustomerFollowUpAnswer{ComplaintID: f.ComplaintID, Status: f.Status.String(),
		Message: "Thank you for your answer: it is recorded."}
	switch f.Status {
	case domain.Closed:
		out.Message = "Thank you for your answer. You told us the problem is resolved, so your complaint is now closed."
	case domain.Answered:
		out.Message = "Thank you for your answer. You told us the problem is not resolved, so we will look at your complaint again and be in touch."
	}
	return out
}

// validAnswer checks an answer's fields, naming every one at fault.
func validAnswer(req api.AnswerRequest, key string) (domain.RecordAnswer, *httpx.Problem) {
	var v httpx.Validator
	v.Check(req.CSAT != nil && *req.CSAT >= 1 && *req.CSAT <= 5, "csat", "is required, from 1 to 5")
	v.Check(req.Effort != nil && *req.Effort >= 1 && *req.Effort <= 7, "effort", "is required, from 1 to 7")
	v.Check(req.NPS == nil || (*req.NPS >= 0 && *req.NPS <= 10), "nps", "must be from 0 to 10")
	v.Check(req.Resolved != nil, "resolved", "is required (true or false)")
	v.Check(req.Reason == "" || req.Resolved == nil || !*req.Resolved, "reason", "is only for an answer that it is not resolved")
	v.MaxLen(req.Reason, 2000, "reason")
	v.MaxLen(req.Comment, 5000, "comment")
	v.Check(len(key) <= MaxIdempotencyKey, "Idempotency-Key", "must be at most 200 characters")
	if p := v.Problem(); p != nil {
		return domain.RecordAnswer{}, p
	}
	return domain.RecordAnswer{CSAT: *req.CSAT, Effort: *req.Effort, NPS: req.NPS, Resolved: *req.Resolved, Reason: req.Reason, Comment: req.Comment}, nil
}

func (h HTTP) silent(w http.ResponseWriter, r *http.Request) {
	q := domain.SilentQuery{Team: r.URL.Query().Get("team"), RootCause: r.URL.Query().Get("root_cause"), Limit: 100}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxSilentLimit {
			httpx.WriteProblem(w, r, httpx.Invalid(httpx.FieldError{Field: "limit", Detail: "must be a whole number from 1 to 1000"}))
			return
		}
		q.Limit = n
	}
	asOf, p := httpx.PastAsOf(r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	rep := h.App.SilentCustomers(q)
	if !asOf.IsZero() {
		var err error
		if rep, err = h.App.SilentCustomersAsOf(r.Context(), q, asOf); err != nil {
			httpx.WriteError(w, r, err)
			return
		}
	}
	out := api.SilentCustomersReport{Total: rep.Total, Truncated: rep.Truncated,
		Groups: []api.SilentCustomerGroup{}, Complaints: []api.SilentCustomer{}}
	for _, g := range rep.Groups {
		out.Groups = append(out.Groups, api.SilentCustomerGroup{Team: g.Team, RootCause: g.RootCause, Count: g.Count})
	}
	for _, c := range rep.Complaints {
		out.Complaints = append(out.Complaints, api.SilentCustomer(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
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
