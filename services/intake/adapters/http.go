// Package adapters holds intake's APIs: HTTP (http.go) and request/reply
// on NATS (nats.go). Every HTTP route names the roles it admits.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"

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
	// The timeline is the staff's audit trail (agent ids, triage, escalation
	// reasons, approvals, the rules that decided): a customer token is
	// refused it, and sees its complaint through the customer view.
	mux.HandleFunc("GET /v1/complaints/{id}/timeline", auth.Require(h.timeline, readers...))
	mux.HandleFunc("DELETE /v1/customers/{id}/personal-data", auth.Require(h.erase, auth.RoleAdmin))
	mux.HandleFunc("GET /v1/customers/{id}/personal-data", auth.Require(h.personalData, auth.RoleAuditor))
}

type customerJSON = api.Customer

type submitRequest = api.SubmitRequest

type acknowledgementJSON = api.Acknowledgement

type submitResponse = api.Complaint

// Bounds of a submission's fields.
const (
	// MaxIdempotencyKey bounds the Idempotency-Key header.
	MaxIdempotencyKey   = 200
	MaxCustomerID       = 128
	MaxName             = 200
	MaxEmail            = 254
	MaxPhone            = 32
	MaxProduct          = 100
	MaxDescription      = 10000
	MaxDesiredOutcome   = 2000
	MaxVulnerability    = 2000
	MaxDisputedAmount   = 1_000_000_000_000 // minor units
	MaxErasureReason    = 200
	minPhoneDigits      = 6
	maxPhoneDigits      = 15
	customerIDCharacter = "letters, digits, '-' or '_'"
)

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// validateSubmission names every field of r at fault.
func validateSubmission(r submitRequest, key string) *httpx.Problem {
	var v httpx.Validator
	if r.Customer.ID != "" {
		v.Check(eventlog.ValidID(r.Customer.ID), "customer.id", fmt.Sprintf("must be 1 to %d %s", MaxCustomerID, customerIDCharacter))
	}
	v.Required(r.Customer.Name, "customer.name")
	v.MaxLen(r.Customer.Name, MaxName, "customer.name")
	if r.Customer.Email == "" && r.Customer.Phone == "" {
		v.Check(false, "customer.email", "is required (or customer.phone)")
	}
	if r.Customer.Email != "" {
		addr, err := mail.ParseAddress(r.Customer.Email)
		v.Check(err == nil && addr.Address == r.Customer.Email && len(r.Customer.Email) <= MaxEmail, "customer.email", "must be a valid e-mail address")
	}
	if r.Customer.Phone != "" {
		digits := len(strings.TrimPrefix(domain.NormalisePhone(r.Customer.Phone), "+"))
		v.Check(len(r.Customer.Phone) <= MaxPhone && digits >= minPhoneDigits && digits <= maxPhoneDigits &&
			strings.Trim(r.Customer.Phone, "+0123456789 ()-.") == "",
			"customer.phone", "must be a phone number: 6 to 15 digits, optionally with a leading + and spaces, brackets, dots or hyphens")
	}
	v.Required(r.Channel, "channel")
	if r.Channel != "" {
		v.Check(domain.ValidChannel(r.Channel), "channel", "must be one of "+strings.Join(domain.Channels, ", "))
	}
	v.Required(r.Product, "product")
	v.MaxLen(r.Product, MaxProduct, "product")
	v.Required(r.Description, "description")
	v.MaxLen(r.Description, MaxDescription, "description")
	v.MaxLen(r.DesiredOutcome, MaxDesiredOutcome, "desired_outcome")
	if d := r.DisputedAmount; d != nil {
		v.Check(d.AmountMinor > 0 && d.AmountMinor <= MaxDisputedAmount, "disputed_amount.amount_minor",
			fmt.Sprintf("must be between 1 and %d (minor units)", int64(MaxDisputedAmount)))
		v.Check(currencyCode.MatchString(d.Currency), "disputed_amount.currency", "must be an ISO 4217 code of three upper-case letters, e.g. GBP")
	}
	if x := r.Vulnerability; x != nil {
		v.MaxLen(x.Detail, MaxVulnerability, "vulnerability.detail")
		v.Check(x.Vulnerable || x.Detail == "", "vulnerability.detail", "is only given when vulnerable is true")
	}
	v.Check(len(key) <= MaxIdempotencyKey, "Idempotency-Key", fmt.Sprintf("must be at most %d characters", MaxIdempotencyKey))
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
	status := http.StatusCreated
	if out.RepeatContact {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, out)
}

// submit validates a submission and receives it: a new complaint, or a
// repeat contact on the customer's open one (RepeatContact set). A refusal
// is a *httpx.Problem naming the field at fault.
func submit(ctx context.Context, a *app.Intake, req submitRequest, key string, actor eventlog.Actor) (submitResponse, bool, error) {
	if p := validateSubmission(req, key); p != nil {
		return submitResponse{}, false, p
	}
	s := app.Submission{
		CustomerID: req.Customer.ID, CustomerName: req.Customer.Name, CustomerEmail: req.Customer.Email, CustomerPhone: req.Customer.Phone,
		Channel: req.Channel, Product: req.Product, Description: req.Description,
		DesiredOutcome: req.DesiredOutcome, IdempotencyKey: key, Actor: actor,
	}
	if d := req.DisputedAmount; d != nil {
		s.DisputedAmountMinor, s.Currency = d.AmountMinor, d.Currency
	}
	if x := req.Vulnerability; x != nil {
		s.Vulnerable, s.VulnerabilityDetail = x.Vulnerable, x.Detail
	}
	res, err := a.Submit(ctx, s)
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
		CustomerToken:   res.CustomerToken, RepeatContact: res.RepeatContact, RecontactOf: c.RecontactOf,
	}, res.Replayed, nil
}

type caseJSON = api.ComplaintCase

type redressJSON = api.ComplaintRedress

type followUpJSON = api.ComplaintFollowUp

type viewJSON = api.Complaint

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	at, p := httpx.AsOf(r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	if p, _ := auth.PrincipalFrom(r.Context()); p.Has(auth.RoleCustomer) {
		out, err := customerView(r.Context(), h.App, r.PathValue("id"), at)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, out)
		return
	}
	out, err := view(r.Context(), h.App, r.PathValue("id"), at)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// customerView is the complaint as its customer sees it: an allow-list of
// what the customer may know, built from the view field by field, so that
// nothing of the staff's working (agent ids, triage, escalations, notes,
// approvals, the rules that decided) reaches them, nor personal data a
// leaked link would expose.
func customerView(ctx context.Context, a *app.Intake, id string, at time.Time) (api.CustomerComplaint, error) {
	v, err := a.View(ctx, id, at)
	if errors.Is(err, app.ErrComplaintNotFound) {
		return api.CustomerComplaint{}, httpx.NotFound("no complaint " + id)
	}
	if err != nil {
		return api.CustomerComplaint{}, err
	}
	out := api.CustomerComplaint{
		ID: v.ID, Reference: v.Reference, Status: v.Status, Now: v.Now(), ReceivedAt: v.ReceivedAt, RespondBy: v.RespondBy,
		InformationRequests: make([]api.CustomerInformationRequest, 0, len(v.OpenRequests)), Survey: v.Survey(),
	}
	if v.CaseOpened && (v.Team != "" || v.AgentDisplayName != "") {
		out.HandledBy = &api.CaseOwner{Team: v.Team, Name: v.AgentDisplayName}
	}
	for _, q := range v.OpenRequests {
		out.InformationRequests = append(out.InformationRequests, api.CustomerInformationRequest{RequestID: q.ID, Question: q.Question, RequestedAt: q.RequestedAt})
	}
	if !v.ResolvedAt.IsZero() {
		out.Outcome = v.Outcome.APIName()
		out.ResolvedAt = &v.ResolvedAt
	}
	if v.RedressDecided {
		out.Redress = &api.CustomerRedress{Issued: v.RedressIssued}
		for _, it := range v.RedressItems {
			out.Redress.Items = append(out.Redress.Items, api.CustomerRedressItem{Kind: it.Kind.APIName(), AmountMinor: it.AmountMinor, Currency: it.Currency})
		}
	}
	if !v.ClosedAt.IsZero() {
		out.ClosedAt = &v.ClosedAt
	}
	return out, nil
}

// view is the complaint's current view as the API shows it, personal data
// opened. An unknown complaint is a *httpx.Problem (not found).
func view(ctx context.Context, a *app.Intake, id string, at time.Time) (viewJSON, error) {
	v, err := a.View(ctx, id, at)
	if errors.Is(err, app.ErrComplaintNotFound) {
		return viewJSON{}, httpx.NotFound("no complaint " + id)
	}
	if err != nil {
		return viewJSON{}, err
	}
	pd, err := a.OpenPersonalData(ctx, v)
	if err != nil {
		return viewJSON{}, err
	}
	out := viewJSON{
		ID: v.ID, Reference: v.Reference, Status: v.Status,
		Customer: customerJSON{ID: v.CustomerID, Name: pd.Name, Email: pd.Email, Phone: pd.Phone},
		Channel:  v.Channel, Product: v.Product, ProductCategory: v.ProductCategory,
		Description: v.Description, DesiredOutcome: v.DesiredOutcome, RecontactOf: v.RecontactOf,
		ReceivedAt: v.ReceivedAt, Acknowledgement: acknowledgementJSON{Message: v.Acknowledgement, RespondBy: v.RespondBy},
		DisputedAmount: money(v.DisputedAmountMinor, v.DisputedCurrency), Vulnerability: vulnerability(v.Vulnerable, pd.VulnerabilityDetail),
		Effort: &api.Effort{Contacts: v.Effort.Contacts, RepeatContacts: v.Effort.RepeatContacts, ChannelSwitches: v.Effort.ChannelSwitches,
			Transfers: v.Effort.Transfers, InformationRequests: v.Effort.InformationRequests, Reopens: v.Effort.Reopens},
	}
	for _, c := range v.Clocks {
		out.Clocks = append(out.Clocks, api.ComplaintClock{Name: c.Name, Kind: c.Kind, Due: c.Due, State: c.State, Late: c.Late})
	}
	if v.CaseOpened {
		out.Case = &caseJSON{Team: v.Team, Agent: v.Agent, Severity: v.Severity, Priority: v.Priority, Flags: v.Flags, Tier: v.Tier,
			RootCause: v.RootCause, Summary: v.Summary}
		if !v.ResolvedAt.IsZero() {
			out.Case.Outcome = v.Outcome.APIName()
			out.Case.ResolvedAt = &v.ResolvedAt
		}
	}
	if v.RedressDecided {
		out.Redress = &redressJSON{Kind: v.RedressKind.APIName(), AmountMinor: v.AmountMinor, Currency: v.Currency, Issued: v.RedressIssued}
	}
	if v.Answered {
		out.FollowUp = &followUpJSON{CSAT: v.CSAT, Effort: v.CES, Resolved: &v.ResolvedByWord, AnsweredAt: &v.AnsweredAt}
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
	at, p := httpx.AsOf(r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	steps, err := h.App.Timeline(r.Context(), id, at)
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
			rec.CustomerName, rec.CustomerEmail, rec.CustomerPhone, rec.VulnerabilityDetail = nil, nil, nil, nil
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

func money(minor int64, currency string) *api.Money {
	if minor == 0 && currency == "" {
		return nil
	}
	return &api.Money{AmountMinor: minor, Currency: currency}
}

func vulnerability(vulnerable bool, detail string) *api.Vulnerability {
	if !vulnerable {
		return nil
	}
	return &api.Vulnerability{Vulnerable: true, Detail: detail}
}

// erase crypto-shreds a customer's personal data (admin). The optional
// query parameter reason says why ("customer-request" by default).
func (h HTTP) erase(w http.ResponseWriter, r *http.Request) {
	reason := r.URL.Query().Get("reason")
	if reason == "" {
		reason = "customer-request"
	}
	var v httpx.Validator
	v.MaxLen(reason, MaxErasureReason, "reason")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	out, err := h.App.Erase(r.Context(), r.PathValue("id"), reason, auth.ActorFrom(r.Context()))
	if errors.Is(err, domain.ErrUnknownCustomer) {
		httpx.WriteProblem(w, r, httpx.NotFound("no complaint of customer "+r.PathValue("id")+" is known"))
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	ids := out.ComplaintIDs
	if ids == nil {
		ids = []string{}
	}
	httpx.WriteJSON(w, http.StatusOK, api.PersonalDataErased{CustomerID: out.CustomerID, ComplaintIDs: ids, ErasedAt: out.ErasedAt})
}

// personalData exports what is held about a customer (auditor).
func (h HTTP) personalData(w http.ResponseWriter, r *http.Request) {
	d, err := h.App.PersonalData(r.Context(), r.PathValue("id"))
	if errors.Is(err, domain.ErrUnknownCustomer) {
		httpx.WriteProblem(w, r, httpx.NotFound("no complaint of customer "+r.PathValue("id")+" is known"))
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := api.PersonalData{CustomerID: d.CustomerID, Erased: d.Erased, Complaints: []api.HeldComplaint{}}
	for _, c := range d.Complaints {
		v := c.View
		held := api.HeldComplaint{ID: v.ID, Reference: v.Reference, Status: v.Status, ReceivedAt: v.ReceivedAt,
			Channel: v.Channel, Product: v.Product,
			Customer:    customerJSON{ID: v.CustomerID, Name: c.Personal.Name, Email: c.Personal.Email, Phone: c.Personal.Phone},
			Description: v.Description, DesiredOutcome: v.DesiredOutcome,
			DisputedAmount: money(v.DisputedAmountMinor, v.DisputedCurrency), Vulnerability: vulnerability(v.Vulnerable, c.Personal.VulnerabilityDetail),
			RepeatContacts: []api.RepeatContact{}}
		for _, rc := range c.RepeatContacts {
			held.RepeatContacts = append(held.RepeatContacts, api.RepeatContact{Channel: rc.Channel, Said: rc.Said, ContactedAt: rc.ContactedAt})
		}
		out.Complaints = append(out.Complaints, held)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
