package adapters

import (
	"bytes"
	"context"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// Subjects of resolution's request/reply API on NATS, for the company's
// other systems (a telephony platform, a CRM, a chatbot answering for the
// customer). A request is the JSON body of the matching HTTP route with the
// complaint's "id" added (and "request_id" for an answer, "team" and the
// query's parameters for a queue); the reply is the HTTP answer's body. An
// Idempotency-Key header means what it means over HTTP. Every request
// carries a bearer token in its Authorization header and is checked with the
// staff roles of the matching HTTP route (ADR 0036; customers answer and
// reopen over HTTP with their own token); its subject is the actor recorded
// and, as over HTTP, the default agent, reviewer or contact.
const (
	SubjectShow               = "complaints.resolution.show"
	SubjectAssign             = "complaints.resolution.assign"
	SubjectClaim              = "complaints.resolution.claim"
	SubjectEscalate           = "complaints.resolution.escalate"
	SubjectReview             = "complaints.resolution.review"
	SubjectRequestInformation = "complaints.resolution.request-information"
	SubjectAnswer             = "complaints.resolution.answer"
	SubjectContact            = "complaints.resolution.contact"
	SubjectResolve            = "complaints.resolution.resolve"
	SubjectReopen             = "complaints.resolution.reopen"
	SubjectQueue              = "complaints.resolution.queue"
)

// Subjects lists every request subject resolution answers.
var Subjects = []string{SubjectShow, SubjectAssign, SubjectClaim, SubjectEscalate, SubjectReview, SubjectRequestInformation,
	SubjectAnswer, SubjectContact, SubjectResolve, SubjectReopen, SubjectQueue}

// subjectRoles are the roles each request subject admits: those of its HTTP
// route, customers aside.
var subjectRoles = map[string][]auth.Role{
	SubjectShow:               {auth.RoleAgent, auth.RoleAuditor},
	SubjectAssign:             {auth.RoleAgent},
	SubjectClaim:              {auth.RoleAgent},
	SubjectEscalate:           {auth.RoleAgent},
	SubjectReview:             {auth.RoleApprover},
	SubjectRequestInformation: {auth.RoleAgent},
	SubjectAnswer:             {auth.RoleAgent},
	SubjectContact:            {auth.RoleAgent},
	SubjectResolve:            {auth.RoleAgent},
	SubjectReopen:             {auth.RoleAgent},
	SubjectQueue:              {auth.RoleAgent, auth.RoleAuditor},
}

// NATS serves resolution's request/reply API as a NATS service
// ("resolution", queue group "resolution"); errors are answered as intake's
// are (ADR 0008): Nats-Service-Error-Code, Nats-Service-Error and a
// problem+json body.
type NATS struct {
	App *app.Resolution
	// Verifier checks the bearer token of each request: the process's
	// verifier chain, the HTTP API's. Without one every request is refused.
	Verifier auth.Verifier
	// MaxInFlight bounds the requests handled at once (default 64).
	MaxInFlight int
	// Meter counts the refused requests (natsreply.Metrics); nil means the
	// global provider.
	Meter metric.MeterProvider
}

type (
	idRequest struct {
		ID string `json:"id"`
	}
	natsAssign struct {
		ID string `json:"id"`
		api.AssignRequest
	}
	natsClaim struct {
		ID string `json:"id"`
		api.ClaimRequest
	}
	natsEscalate struct {
		ID string `json:"id"`
		api.EscalateRequest
	}
	natsReview struct {
		ID string `json:"id"`
		api.ReviewRequest
	}
	natsRequestInformation struct {
		ID string `json:"id"`
		api.InformationRequestRequest
	}
	natsAnswer struct {
		ID        string `json:"id"`
		RequestID string `json:"request_id"`
		api.InformationAnswer
	}
	natsContact struct {
		ID string `json:"id"`
		api.ContactRequest
	}
	natsResolve struct {
		ID string `json:"id"`
		api.ResolveRequest
	}
	natsReopen struct {
		ID string `json:"id"`
		api.ReopenRequest
	}
	natsQueue struct {
		Team       string `json:"team"`
		Status     string `json:"status,omitempty"`
		Priority   int    `json:"priority,omitempty"`
		Flag       string `json:"flag,omitempty"`
		Agent      string `json:"agent,omitempty"`
		Unassigned bool   `json:"unassigned,omitempty"`
		Cursor     string `json:"cursor,omitempty"`
		Limit      int    `json:"limit,omitempty"`
	}
)

// Parts of the requests that name a complaint: its id and the HTTP body.
func (r natsAssign) parts() (string, api.AssignRequest)     { return r.ID, r.AssignRequest }
func (r natsClaim) parts() (string, api.ClaimRequest)       { return r.ID, r.ClaimRequest }
func (r natsEscalate) parts() (string, api.EscalateRequest) { return r.ID, r.EscalateRequest }
func (r natsReview) parts() (string, api.ReviewRequest)     { return r.ID, r.ReviewRequest }
func (r natsRequestInformation) parts() (string, api.InformationRequestRequest) {
	return r.ID, r.InformationRequestRequest
}
func (r natsContact) parts() (string, api.ContactRequest) { return r.ID, r.ContactRequest }
func (r natsResolve) parts() (string, api.ResolveRequest) { return r.ID, r.ResolveRequest }
func (r natsReopen) parts() (string, api.ReopenRequest)   { return r.ID, r.ReopenRequest }

// Serve registers the endpoints on nc. Stop the returned service to stop
// serving; requests in flight finish first.
func (n NATS) Serve(nc *nats.Conn) (micro.Service, error) {
	a := n.App
	handlers := map[string]natsHandler{
		SubjectShow:               n.show,
		SubjectAssign:             onCase[natsAssign](a, assignOp),
		SubjectClaim:              onCase[natsClaim](a, claimOp),
		SubjectEscalate:           onCase[natsEscalate](a, escalateOp),
		SubjectReview:             onCase[natsReview](a, reviewOp),
		SubjectRequestInformation: onCase[natsRequestInformation](a, requestInformationOp),
		SubjectAnswer:             n.answer,
		SubjectContact:            onCase[natsContact](a, contactOp),
		SubjectResolve:            onCase[natsResolve](a, resolveOp),
		SubjectReopen:             onCase[natsReopen](a, reopenOp),
		SubjectQueue:              n.queue,
	}
	endpoints := make([]natsreply.Endpoint, 0, len(Subjects))
	for _, subject := range Subjects {
		handle := handlers[subject]
		endpoints = append(endpoints, natsreply.Endpoint{Subject: subject, Roles: subjectRoles[subject],
			Handle: func(ctx context.Context, r micro.Request, p auth.Principal) (any, error) {
				return handle(ctx, r, natsCaller(r, p))
			}})
	}
	return natsreply.Start(nc, natsreply.Service{Name: app.ServiceName, Description: "Works complaint cases: queues, claims, transfers, escalations, reviews, information requests, contacts, resolutions, reopens", Verifier: n.Verifier, MaxInFlight: n.MaxInFlight, Meter: n.Meter}, endpoints...)
}

// natsHandler answers one request of a caller.
type natsHandler func(ctx context.Context, r micro.Request, cl caller) (any, error)

// onCase serves an operation on a complaint's case: the request is the
// operation's HTTP body with the complaint's "id" added.
func onCase[N interface{ parts() (string, Req) }, Req, Res any](
	a *app.Resolution, op func(context.Context, *app.Resolution, caller, string, Req) (Res, error),
) natsHandler {
	return func(ctx context.Context, r micro.Request, cl caller) (any, error) {
		var req N
		if p := natsreply.Decode(r, &req); p != nil {
			return nil, p
		}
		id, body := req.parts()
		if p := requireID(id); p != nil {
			return nil, p
		}
		return op(ctx, a, cl, id, body)
	}
}

func (n NATS) show(ctx context.Context, r micro.Request, _ caller) (any, error) {
	var req idRequest
	if p := decodeWithID(r.Data(), &req, &req.ID); p != nil {
		return nil, p
	}
	return showOp(ctx, n.App, req.ID)
}

func (n NATS) answer(ctx context.Context, r micro.Request, cl caller) (any, error) {
	var req natsAnswer
	if p := decodeWithID(r.Data(), &req, &req.ID); p != nil {
		return nil, p
	}
	if req.RequestID == "" {
		return nil, httpx.Invalid(httpx.FieldError{Field: "request_id", Detail: "is required"})
	}
	return answerOp(ctx, n.App, cl, req.ID, req.RequestID, req.InformationAnswer)
}

func (n NATS) queue(_ context.Context, r micro.Request, _ caller) (any, error) {
	var req natsQueue
	if p := natsreply.Decode(r, &req); p != nil {
		return nil, p
	}
	q := queueQuery{Team: req.Team, Status: req.Status, Flag: req.Flag, Agent: req.Agent, Cursor: req.Cursor}
	if req.Priority != 0 {
		q.Priority = strconv.Itoa(req.Priority)
	}
	if req.Limit != 0 {
		q.Limit = strconv.Itoa(req.Limit)
	}
	if req.Unassigned {
		q.Unassigned = "true"
	}
	return queueOp(n.App, q)
}

// natsCaller is the caller of a NATS request made by p.
func natsCaller(r micro.Request, p auth.Principal) caller {
	return caller{actor: p.Actor(), subject: p.Subject, key: r.Headers().Get("Idempotency-Key"), channel: "nats"}
}

// decodeWithID decodes a request and checks that it names a complaint.
func decodeWithID(data []byte, dst any, id *string) *httpx.Problem {
	if p := httpx.Decode(bytes.NewReader(data), dst); p != nil {
		return p
	}
	return requireID(*id)
}

// requireID checks that a request names a complaint.
func requireID(id string) *httpx.Problem {
	var v httpx.Validator
	v.Required(id, "id")
	return v.Problem()
}
