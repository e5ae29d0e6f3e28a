package adapters

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
)

// SubjectAnswer receives survey answers from the company's survey or
// contact-centre systems: the body of POST /v1/followups/{id}/answer plus
// "complaint_id", with an optional Idempotency-Key header. The reply is the
// follow-up as GET /v1/followups/{id} shows it; an error reply carries the
// headers Nats-Service-Error-Code (the HTTP status the same error would
// have) and Nats-Service-Error, and a problem+json body naming the fields at
// fault. The request carries a bearer token in its Authorization header with
// the role POST /v1/followups/{id}/answer admits for staff, agent (ADR 0036;
// a customer answers over HTTP with their own token); its subject is the
// actor recorded.
const SubjectAnswer = "complaints.followup.answer"

// answerers may record an answer over NATS.
var answerers = []auth.Role{auth.RoleAgent}

// NATS serves follow-up's request/reply API as a NATS service ("followup"),
// in the queue group "followup" so that replicas share the requests.
type NATS struct {
	App *app.Followup
	// Verifier checks the bearer token of each request: the process's
	// verifier chain, the HTTP API's. Without one every request is refused.
	Verifier auth.Verifier
	// MaxInFlight bounds the requests handled at once (default 64).
	MaxInFlight int
	// Meter counts the refused requests (natsreply.Metrics); nil means the
	// global provider.
	Meter metric.MeterProvider
}

// Serve registers the endpoint on nc. Stop the returned service to stop
// serving.
func (n NATS) Serve(nc *nats.Conn) (micro.Service, error) {
	return natsreply.Start(nc, natsreply.Service{Name: app.ServiceName, Description: "Records customers' answers to follow-up surveys", Verifier: n.Verifier, MaxInFlight: n.MaxInFlight, Meter: n.Meter},
		natsreply.Endpoint{Subject: SubjectAnswer, Roles: answerers, Handle: n.answer})
}

func (n NATS) answer(ctx context.Context, r micro.Request, caller auth.Principal) (any, error) {
	var msg api.AnswerMessage
	if p := httpx.DecodeBytes(r.Data(), &msg); p != nil {
		return nil, p
	}
	var v httpx.Validator
	v.Required(msg.ComplaintID, "complaint_id")
	if p := v.Problem(); p != nil {
		return nil, p
	}
	key := r.Headers().Get("Idempotency-Key")
	ans, p := validAnswer(api.AnswerRequest{CSAT: msg.CSAT, Effort: msg.Effort, NPS: msg.NPS, Resolved: msg.Resolved,
		Reason: msg.Reason, Comment: msg.Comment}, key)
	if p != nil {
		return nil, p
	}
	f, err := n.App.RecordAnswer(ctx, msg.ComplaintID, caller.Actor(), key, ans)
	if err != nil {
		return nil, err
	}
	return toJSON(f), nil
}
