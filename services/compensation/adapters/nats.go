package adapters

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
)

// SubjectConfirm receives the payment systems' confirmations: the request
// is an api.IssuanceConfirmation (complaint_id, issuance_id, status issued
// or failed, reason, external_reference), the reply an
// api.IssuanceConfirmed. Only the payment systems' NATS user may send one
// (natsauth.Payments), with a bearer token of the payments role in its
// Authorization header, as over HTTP (ADR 0036); the token's subject is the
// actor recorded. An error reply carries Nats-Service-Error-Code (the HTTP
// status the same error would have: 401 without a valid token, 403 with
// another role) and a problem+json body.
const SubjectConfirm = "complaints.compensation.confirm"

// NATS serves compensation's request/reply endpoint as a NATS service
// ("compensation"), in the queue group "compensation" so that replicas share
// the requests.
type NATS struct {
	App *app.Compensation
	// Verifier checks the bearer token of each confirmation: the process's
	// verifier chain, the HTTP API's. Without one every request is refused.
	Verifier auth.Verifier
	// MaxInFlight bounds the confirmations handled at once (default 64).
	MaxInFlight int
	// Meter counts the refused requests (natsreply.Metrics); nil means the
	// global provider.
	Meter metric.MeterProvider
}

// Serve registers the endpoint on nc.
func (n NATS) Serve(nc *nats.Conn) (micro.Service, error) {
	// Confirmations of one complaint that race are serialised by its
	// stream's expected revision.
	return natsreply.Start(nc, natsreply.Service{Name: app.ServiceName, Description: "Records the payment systems' confirmations of redress issuances", Verifier: n.Verifier, MaxInFlight: n.MaxInFlight, Meter: n.Meter},
		natsreply.Endpoint{Subject: SubjectConfirm, Roles: confirmers, Handle: n.confirm})
}

func (n NATS) confirm(ctx context.Context, r micro.Request, caller auth.Principal) (any, error) {
	var req api.IssuanceConfirmation
	if p := httpx.DecodeBytes(r.Data(), &req); p != nil {
		return nil, p
	}
	return confirm(ctx, n.App, req, caller.Actor())
}

// confirm validates and records a confirmation, for HTTP and NATS alike.
func confirm(ctx context.Context, a *app.Compensation, req api.IssuanceConfirmation, actor eventlog.Actor) (api.IssuanceConfirmed, error) {
	var v httpx.Validator
	v.Required(req.ComplaintID, "complaint_id")
	v.CheckID(req.ComplaintID, "complaint_id")
	v.Required(req.IssuanceID, "issuance_id")
	v.CheckID(req.IssuanceID, "issuance_id")
	v.Check(req.Status == "issued" || req.Status == "failed", "status", "must be issued or failed")
	v.Check(req.Status != "failed" || strings.TrimSpace(req.Reason) != "", "reason", "a failure needs a reason")
	v.CheckText(req.Reason, "reason")
	v.MaxLen(req.Reason, 2000, "reason")
	v.CheckText(req.ExternalReference, "external_reference")
	v.MaxLen(req.ExternalReference, 200, "external_reference")
	v.Check(req.Attempt >= 0, "attempt", "must not be negative")
	if p := v.Problem(); p != nil {
		return api.IssuanceConfirmed{}, p
	}
	red, dup, err := a.Confirm(ctx, app.Confirmation{ComplaintID: req.ComplaintID, IssuanceID: req.IssuanceID,
		Issued: req.Status == "issued", Reason: req.Reason, ExternalReference: req.ExternalReference, Attempt: req.Attempt, Actor: actor})
	if err != nil {
		return api.IssuanceConfirmed{}, err
	}
	status := domain.Requested.String()
	if is := red.Issuances[req.IssuanceID]; is != nil {
		status = is.Status.String()
	}
	return api.IssuanceConfirmed{ComplaintID: req.ComplaintID, IssuanceID: req.IssuanceID, Status: status,
		Duplicate: dup, RedressStatus: red.Status.String()}, nil
}
