// Package natsreply is the plumbing every service's request/reply endpoints
// on NATS share (ADR 0008): requests handled concurrently up to a bound, each
// in the requester's trace and bounded in time, and errors answered as the
// HTTP API answers them, an application/problem+json body with the status in
// Nats-Service-Error-Code; only requests whose reply subject is an inbox
// handled at all; and each request's caller checked, as over HTTP, from the
// bearer token in its Authorization header (Caller, ADR 0036).
package natsreply

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// DefaultMaxInFlight bounds the requests one endpoint handles at once when
// its service sets no bound.
const DefaultMaxInFlight = 64

// Timeout bounds the handling of one request.
const Timeout = 30 * time.Second

// Limiter runs the requests of a service's endpoints concurrently, at most
// max at once: a micro endpoint hands requests over one at a time.
type Limiter struct {
	slots   chan struct{}
	metrics *Metrics
}

// NewLimiter returns a limiter of max requests in flight (DefaultMaxInFlight
// when max is not positive), counting its refusals in m (nil: on the global
// meter provider).
func NewLimiter(max int, m *Metrics) *Limiter {
	if max <= 0 {
		max = DefaultMaxInFlight
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Limiter{slots: make(chan struct{}, max), metrics: m}
}

// Metrics count the requests a service refused: for their reply subject
// (RefusedMetric) and for their caller (DeniedMetric).
type Metrics struct {
	refused, denied metric.Int64Counter
}

// NewMetrics makes the counters on mp (the global provider when nil).
func NewMetrics(mp metric.MeterProvider) *Metrics {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter("github.com/complaintflow/complaintflow/services/platform/natsreply")
	var m Metrics
	var err error
	if m.refused, err = meter.Int64Counter(RefusedMetric, metric.WithUnit("{request}"),
		metric.WithDescription("Requests not answered because their reply subject is not an inbox")); err != nil {
		otel.Handle(err)
	}
	if m.denied, err = meter.Int64Counter(DeniedMetric, metric.WithUnit("{request}"),
		metric.WithDescription("NATS requests refused for their caller (no token, a token not valid, a role missing)")); err != nil {
		otel.Handle(err)
	}
	return &m
}

// Handler runs h for each request in its own goroutine, waiting for a slot.
// A request whose reply subject is not an inbox (IsInbox) is refused: h does
// not run, nothing answers, and the refusal is logged and counted.
func (l *Limiter) Handler(h func(micro.Request)) micro.Handler {
	return micro.HandlerFunc(func(r micro.Request) {
		if !IsInbox(r.Reply()) {
			l.metrics.Refuse(r.Subject(), r.Reply())
			return
		}
		l.slots <- struct{}{}
		go func() {
			defer func() { <-l.slots }()
			h(r)
		}()
	})
}

// IsInbox says whether a reply subject is a client's inbox, the only place a
// service answers: "_INBOX.<...>" (a client without a prefix of its own, the
// operator) or "_INBOX_<user>.<...>" (natsauth.InboxPrefix). Anything else —
// an event subject, a key of a bucket, a JetStream API subject — would make
// the service write there with its own rights on the requester's behalf.
func IsInbox(reply string) bool {
	if strings.HasPrefix(reply, "_INBOX.") {
		return len(reply) > len("_INBOX.")
	}
	rest, ok := strings.CutPrefix(reply, "_INBOX_")
	if !ok {
		return false
	}
	user, id, ok := strings.Cut(rest, ".")
	return ok && user != "" && id != "" && !strings.ContainsAny(user, "*>")
}

// RefusedMetric counts the requests refused for their reply subject.
const RefusedMetric = "complaints.nats.replies_refused"

// Refuse logs and counts a request refused for its reply subject. The log
// names the reply subject's first token only: later tokens may carry a
// complaint or customer id.
func (m *Metrics) Refuse(subject, reply string) {
	first, _, _ := strings.Cut(reply, ".")
	if m.refused != nil {
		m.refused.Add(context.Background(), 1, metric.WithAttributes(attribute.String("subject", subject)))
	}
	slog.Warn("NATS request refused: its reply subject is not an inbox", "subject", subject, "reply_prefix", first)
}

// Context is the context a request is handled in: bounded in time and
// inside the requester's trace. Call end with the request's outcome.
func Context(service string, r micro.Request) (ctx context.Context, end func(error)) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	ctx, endTrace := telemetry.RequestTrace(ctx, service, r.Subject(), r.Headers())
	return ctx, func(err error) {
		endTrace(err)
		cancel()
	}
}

// Problem answers with the problem err is (a *httpx.Problem, a refusal of the
// complaint rules, or any other error as a 500); it returns err for the
// trace.
func Problem(ctx context.Context, r micro.Request, err error) error {
	p := httpx.ProblemFor(ctx, err, r.Subject())
	if p.Instance == "" {
		p.Instance = r.Subject()
	}
	body, _ := json.Marshal(p)
	// The error headers micro's Error would set, sent with Respond: Error
	// also records the error on the request, which micro reads once the
	// endpoint's handler returns, while the Limiter still runs the request
	// in a goroutine of its own (a data race). The reply is the same.
	_ = r.Respond(body, micro.WithHeaders(micro.Headers{
		micro.ErrorHeader:     {p.Title},
		micro.ErrorCodeHeader: {strconv.Itoa(p.Status)},
		"Content-Type":        {"application/problem+json"},
	}))
	return err
}

// DeniedMetric counts the requests refused for their caller (401, 403), by
// subject, reason (auth.ReasonNoToken, ...) and status: the NATS side of
// auth.DeniedMetric.
const DeniedMetric = "complaints.nats.denied"

// Caller is who sends request r, checked as the matching HTTP route checks
// it (ADR 0036): the bearer token of its Authorization header, verified by
// v (the process's verifier chain, the HTTP API's), must hold one of roles.
// Otherwise the error is the problem to answer with Problem (401 without a
// token or with one that is not valid, 403 with the wrong role), and the
// denial is logged and counted in m's DeniedMetric (nil m: on the global
// provider), without the token or the caller's subject. The NATS user only
// decides which subjects a client may reach; the token says who it is and
// what it may do.
func Caller(ctx context.Context, v auth.Verifier, r micro.Request, m *Metrics, roles ...auth.Role) (auth.Principal, error) {
	p, refused := auth.Authorize(ctx, v, r.Headers().Get("Authorization"), r.Subject(), roles...)
	if refused == nil {
		return p, nil
	}
	held := make([]string, len(refused.Held))
	for i, role := range refused.Held {
		held[i] = string(role)
	}
	slog.WarnContext(ctx, "request denied", "status", refused.Problem.Status, "reason", refused.Reason,
		"subject", r.Subject(), "roles", held)
	if m == nil {
		m = NewMetrics(nil)
	}
	if m.denied != nil {
		m.denied.Add(ctx, 1, metric.WithAttributes(attribute.String("subject", r.Subject()),
			attribute.String("reason", refused.Reason),
			attribute.String("status", strconv.Itoa(refused.Problem.Status))))
	}
	return auth.Principal{}, refused.Problem
}

// Endpoint is one request subject of a service: the roles whose callers it
// admits (as the matching HTTP route does) and what it answers an admitted
// caller's request with. Handle returns the reply, sent as JSON, or the
// error to answer as a problem (a *httpx.Problem for a request at fault).
type Endpoint struct {
	Subject string
	Roles   []auth.Role
	Handle  func(ctx context.Context, r micro.Request, caller auth.Principal) (any, error)
}

// Reply is a reply with headers: an Endpoint's Handle returns one where
// the reply says more than its body (Idempotent-Replayed on a retry).
type Reply struct {
	Body    any
	Headers micro.Headers
}

// Service is a service's request/reply API on NATS.
type Service struct {
	// Name names the NATS service and its queue group, so that replicas
	// share the requests.
	Name        string
	Description string
	// Verifier checks the bearer token of each request; without one every
	// request is refused.
	Verifier auth.Verifier
	// MaxInFlight bounds the requests handled at once (NewLimiter).
	MaxInFlight int
	// Meter counts the refused requests (Metrics); nil means the global
	// provider.
	Meter metric.MeterProvider
}

// Start adds service s on nc and serves its endpoints (Serve). Stop the
// returned service to stop serving; requests in flight finish first.
func Start(nc *nats.Conn, s Service, endpoints ...Endpoint) (micro.Service, error) {
	svc, err := micro.AddService(nc, micro.Config{Name: s.Name, Version: "1.0.0", Description: s.Description, QueueGroup: s.Name})
	if err != nil {
		return nil, err
	}
	if err := Serve(svc, s.Name, s.Verifier, NewLimiter(s.MaxInFlight, NewMetrics(s.Meter)), endpoints...); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	return svc, nil
}

// Serve adds endpoints to svc, each named after its subject's last token.
// Every request is handled through l, in its own Context, its caller
// checked by Caller with v, and answered with Handle's reply or Problem.
func Serve(svc micro.Service, service string, v auth.Verifier, l *Limiter, endpoints ...Endpoint) error {
	for _, e := range endpoints {
		h := l.Handler(func(r micro.Request) {
			ctx, end := Context(service, r)
			p, err := Caller(ctx, v, r, l.metrics, e.Roles...)
			if err != nil {
				end(Problem(ctx, r, err))
				return
			}
			out, err := e.Handle(ctx, r, p)
			if err != nil {
				end(Problem(ctx, r, err))
				return
			}
			if rep, ok := out.(Reply); ok {
				end(r.RespondJSON(rep.Body, micro.WithHeaders(rep.Headers)))
				return
			}
			end(r.RespondJSON(out))
		})
		name := e.Subject[strings.LastIndexByte(e.Subject, '.')+1:]
		if err := svc.AddEndpoint(name, h, micro.WithEndpointSubject(e.Subject)); err != nil {
			return err
		}
	}
	return nil
}

// Decode reads request r's JSON data into dst with httpx.Decode's checks,
// the size bound included.
func Decode(r micro.Request, dst any) *httpx.Problem {
	return httpx.Decode(bytes.NewReader(r.Data()), dst)
}
