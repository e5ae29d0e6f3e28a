package adapters

import (
	"bytes"
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
)

// Subjects of intake's request/reply API on NATS, for the company's other
// systems. Requests and replies are the JSON bodies of the HTTP API. Every
// request carries a bearer token in its Authorization header and is checked
// with the roles of the matching HTTP route (ADR 0036); its subject is the
// actor recorded.
const (
	// SubjectSubmit receives a complaint: the body of POST /v1/complaints,
	// with an optional Idempotency-Key header. The reply is the HTTP answer's
	// body, with the header Idempotent-Replayed: true for a retry. A
	// submission from a customer with a complaint about the same product
	// open is recorded on it as a repeat contact: the reply is then that
	// complaint, with "repeat_contact": true.
	SubjectSubmit = "complaints.intake.submit"
	// SubjectShow answers a complaint's current view: the request is
	// {"id": "<complaint id>"} (optionally "as_of": "<RFC 3339>"), the reply
	// the body of GET /v1/complaints/{id}.
	SubjectShow = "complaints.intake.show"
)

// Roles of the request subjects: those of POST /v1/complaints and of
// GET /v1/complaints/{id} (customers answer over HTTP, not NATS).
var (
	submitters = []auth.Role{auth.RoleIntakeSystem}
	showers    = []auth.Role{auth.RoleIntakeSystem, auth.RoleAgent, auth.RoleAuditor, auth.RoleAdmin}
)

// An error reply carries the headers Nats-Service-Error-Code (the HTTP
// status the same error would have, e.g. "400") and Nats-Service-Error (the
// problem's title), and a problem+json body naming the fields at fault.

// NATS serves intake's request/reply API as a NATS service ("intake"), in the
// queue group "intake" so that replicas share the requests.
type NATS struct {
	App *app.Intake
	// Verifier checks the bearer token of each request: the process's
	// verifier chain, the HTTP API's. Without one every request is refused.
	Verifier auth.Verifier
	// MaxInFlight bounds the requests handled at once (default 64).
	MaxInFlight int
	// Meter counts the refused requests (natsreply.Metrics); nil means the
	// global provider.
	Meter metric.MeterProvider
}

// Serve registers the endpoints on nc. Stop the returned service to stop
// serving; requests in flight finish first.
func (n NATS) Serve(nc *nats.Conn) (micro.Service, error) {
	return natsreply.Start(nc, natsreply.Service{Name: app.ServiceName, Description: "Receives complaints and shows their current view", Verifier: n.Verifier, MaxInFlight: n.MaxInFlight, Meter: n.Meter},
		natsreply.Endpoint{Subject: SubjectSubmit, Roles: submitters, Handle: n.submit},
		natsreply.Endpoint{Subject: SubjectShow, Roles: showers, Handle: n.show},
	)
}

// decodeSubmit reads a submit request's data; submit validates it.
func decodeSubmit(data []byte) (submitRequest, *httpx.Problem) {
	var req submitRequest
	p := httpx.Decode(bytes.NewReader(data), &req)
	return req, p
}

func (n NATS) submit(ctx context.Context, r micro.Request, caller auth.Principal) (any, error) {
	req, p := decodeSubmit(r.Data())
	if p != nil {
		return nil, p
	}
	out, replayed, err := submit(ctx, n.App, req, r.Headers().Get("Idempotency-Key"), caller.Actor())
	if err != nil {
		return nil, err
	}
	if replayed {
		return natsreply.Reply{Body: out, Headers: micro.Headers{"Idempotent-Replayed": {"true"}}}, nil
	}
	return out, nil
}

type showRequest struct {
	ID string `json:"id"`
	// AsOf, RFC 3339, folds the view only up to that instant.
	AsOf string `json:"as_of,omitempty"`
}

// decodeShow reads and validates a show request's data.
func decodeShow(data []byte) (showRequest, *httpx.Problem) {
	var req showRequest
	if p := httpx.Decode(bytes.NewReader(data), &req); p != nil {
		return req, p
	}
	var v httpx.Validator
	v.Required(req.ID, "id")
	if req.AsOf != "" {
		_, err := time.Parse(time.RFC3339Nano, req.AsOf)
		v.Check(err == nil, "as_of", "must be an RFC 3339 date and time, e.g. 2026-11-26T09:30:00Z")
	}
	return req, v.Problem()
}

func (n NATS) show(ctx context.Context, r micro.Request, _ auth.Principal) (any, error) {
	req, p := decodeShow(r.Data())
	if p != nil {
		return nil, p
	}
	var at time.Time
	if req.AsOf != "" {
		at, _ = time.Parse(time.RFC3339Nano, req.AsOf)
	}
	return view(ctx, n.App, req.ID, at)
}
