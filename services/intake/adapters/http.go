// Package adapters holds intake's APIs: HTTP (http.go) and request/reply
// on NATS (nats.go). Every HTTP route names the roles it admits.
package adapters

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// HTTP serves intake's routes under /v1/complaints.
type HTTP struct{ App *app.Intake }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	readers := []auth.Role{auth.RoleIntakeSystem, auth.RoleAgent, auth.RoleAuditor, auth.RoleAdmin}
	mux.HandleFunc("POST /v1/complaints", auth.Require(h.submit, auth.RoleIntakeSystem))
	mux.HandleFunc("GET /v1/complaints/{id}", auth.RequireOwnComplaint(h.show, "id", readers...))
	mux.HandleFunc("GET /v1/complaints/{id}/timeline", auth.RequireOwnComplaint(h.timeline, "id", readers...))
}

type customerJSON = api.Customer

type submitRequest = api.SubmitRequest

type acknowledgementJSON = api.Acknowledgement

type submitResponse = api.Complaint

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// validateSubmission names every field of r at fault.
func validateSubmission(r submitRequest, key string) *httpx.Problem {
	var v httpx.Validator
	v.Required(r.Customer.ID, "customer.id")
	v.MaxLen(r.Customer.ID, 128, "customer.id")
	v.Required(r.Customer.Name, "customer.name")
	v.MaxLen(r.Customer.Name, 200, "customer.name")
	v.Required(r.Customer.Email, "customer.email")
	if r.Customer.Email != "" {
		addr, err := mail.ParseAddress(r.Customer.Email)
		v.Check(err == nil && addr.Address == r.Customer.Email, "customer.email", "must be a valid e-mail address")
	}
	v.Required(r.Channel, "channel")
	if r.Channel != "" {
		v.Check(domain.ValidChannel(r.Channel), "channel", "must be one of "+strings.Join(domain.Channels, ", "))
	}
	v.Required(r.Product, "product")
	v.MaxLen(r.Product, 100, "product")
	v.Required(r.Description, "description")
	v.MaxLen(r.Description, 10000, "description")
	v.MaxLen(r.DesiredOutcome, 2000, "desired_outcome")
	v.Check(len(key) <= MaxIdempotencyKey, "Idempotency-Key", "must be at most 200 characters")
	return v.Problem()
}

func (h HTTP) submit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, replayed, err := submit(r.Context(), h.App, req, r.Header.Get("Idempotency-Key"), auth.ActorFrom(r.Context()))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/v1/complaints/"+out.ID)
	httpx.WriteJSON(w, http.StatusCreated, out)
}

// submit validates a submission and receives it. A refusal is a
// *httpx.Problem naming the field at fault.
func submit(ctx context.Context, a *app.Intake, req submitRequest, key string, actor eventlog.Actor) (submitResponse, bool, error) {
	if p := validateSubmission(req, key); p != nil {
		return submitResponse{}, false, p
	}
	res, err := a.Submit(ctx, app.Submission{
		CustomerID: req.Customer.ID, CustomerName: req.Customer.Name, CustomerEmail: req.Customer.Email,
		Channel: req.Channel, Product: req.Product, Description: req.Description,
		DesiredOutcome: req.DesiredOutcome, IdempotencyKey: key, Actor: actor,
	})
	if errors.Is(err, domain.ErrSubmissionDiffers) {
		return submitResponse{}, false, &httpx.Problem{Type: httpx.TypeIdempotent, Status: http.StatusUnprocessableEntity,
			Title: "Idempotency key already used for a different complaint", Detail: err.Error(),
			Errors: []httpx.FieldError{{Field: "Idempotency-Key", Detail: "was used with a different body"}}}
	}
	if err != nil {
		return submitResponse{}, false, err
	}
	c := res.Complaint
	return submitResponse{
		ID: c.ID, Reference: c.Reference, Status: domain.StatusAcknowledged,
		Acknowledgement: acknowledgementJSON{Message: c.Acknowledgement, RespondBy: c.RespondBy},
		CustomerToken:   res.CustomerToken,
	}, res.Replayed, nil
}

type caseJSON = api.ComplaintCase

type redressJSON = api.ComplaintRedress

type followUpJSON = api.ComplaintFollowUp

type viewJSON = api.Complaint

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	out, err := view(r.Context(), h.App, r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// view is the complaint's current view as the API shows it, personal data
// opened. An unknown complaint is a *httpx.Problem (not found).
func view(ctx context.Context, a *app.Intake, id string) (viewJSON, error) {
	v, err := a.View(ctx, id)
	if errors.Is(err, app.ErrComplaintNotFound) {
		return viewJSON{}, httpx.NotFound("no complaint " + id)
	}
	if err != nil {
		return viewJSON{}, err
	}
	name, email, err := a.OpenPersonalData(ctx, v)
	if err != nil {
		return viewJSON{}, err
	}
	out := viewJSON{
		ID: v.ID, Reference: v.Reference, Status: v.Status,
		Customer: customerJSON{ID: v.CustomerID, Name: name, Email: email},
		Channel:  v.Channel, Product: v.Product, Description: v.Description, DesiredOutcome: v.DesiredOutcome,
		ReceivedAt: v.ReceivedAt, Acknowledgement: acknowledgementJSON{Message: v.Acknowledgement, RespondBy: v.RespondBy},
	}
	if v.CaseOpened {
		out.Case = &caseJSON{Team: v.Team, RootCause: v.RootCause, Summary: v.Summary}
		if !v.ResolvedAt.IsZero() {
			out.Case.Outcome = v.Outcome.APIName()
			out.Case.ResolvedAt = &v.ResolvedAt
		}
	}
	if v.RedressDecided {
		out.Redress = &redressJSON{Kind: v.RedressKind.APIName(), AmountMinor: v.AmountMinor, Currency: v.Currency, Issued: v.RedressIssued}
	}
	if v.Answered {
		out.FollowUp = &followUpJSON{CSAT: v.CSAT, Effort: v.Effort, Resolved: &v.ResolvedByWord, AnsweredAt: &v.AnsweredAt}
	}
	if !v.ClosedAt.IsZero() {
		out.ClosedAt = &v.ClosedAt
	}
	return out, nil
}

type stepJSON = api.Step

var timelineJSON = protojson.MarshalOptions{UseProtoNames: true}

func (h HTTP) timeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	steps, err := h.App.Timeline(r.Context(), id)
	if errors.Is(err, app.ErrComplaintNotFound) {
		httpx.WriteProblem(w, r, httpx.NotFound("no complaint "+id))
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := api.Timeline{ComplaintID: id, Steps: make([]stepJSON, 0, len(steps))}
	for _, s := range steps {
		m := s.Message
		if rec, ok := m.(*complaintsv1.ComplaintReceived); ok {
			// Personal data stays sealed: the timeline is for audit, not contact.
			rec = proto.Clone(rec).(*complaintsv1.ComplaintReceived)
			rec.CustomerName, rec.CustomerEmail = nil, nil
			m = rec
		}
		data, err := timelineJSON.Marshal(m)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		out.Steps = append(out.Steps, stepJSON{
			Type: es.ShortType(s.Event.Type), Service: s.Event.Metadata.Service, Actor: string(s.Event.Metadata.Actor), RecordedAt: s.Event.Metadata.RecordedAt,
			EventID: s.Event.ID, Stream: s.Event.Stream, Position: uint64(s.Event.Position), Data: data,
		})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
