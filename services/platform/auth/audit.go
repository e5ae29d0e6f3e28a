package auth

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// Reasons a request is denied, as logged and counted.
const (
	ReasonNoToken        = "no_token"         // 401: the route needs a token and none came
	ReasonMalformed      = "malformed_header" // 401: Authorization is not "Bearer <token>"
	ReasonInvalidToken   = "invalid_token"    // 401: no verifier vouches for the token
	ReasonMissingRole    = "missing_role"     // 403: the caller lacks every role the route accepts
	ReasonOtherComplaint = "other_complaint"  // 403: a customer token used on another complaint
)

// DeniedMetric counts 401 and 403 answers by route pattern, reason and
// status.
const DeniedMetric = "complaints.http.denied"

// newDeniedCounter makes the DeniedMetric counter on mp.
func newDeniedCounter(mp metric.MeterProvider) metric.Int64Counter {
	c, err := mp.Meter("github.com/complaintflow/complaintflow/services/platform/auth").Int64Counter(DeniedMetric,
		metric.WithDescription("HTTP requests refused with 401 or 403, by route pattern and reason"),
		metric.WithUnit("{request}"))
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return c
}

type deniedKey struct{}

// countingDenials has the denials of the requests next serves counted in c
// (the Gate's counter): a route's Require finds it in the request's
// context. Routes served without a Gate (tests) log their denials only.
func countingDenials(c metric.Int64Counter, next http.Handler) http.Handler {
	if c == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), deniedKey{}, c)))
	})
}

// deny answers p and records the denial: a log line and a count. Neither
// holds the token, the caller's subject or anything else personal: only the
// route pattern, the method, the reason and the roles the caller held.
func deny(w http.ResponseWriter, r *http.Request, p *httpx.Problem, reason string, held []Role) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	ctx := r.Context()
	roles := make([]string, len(held))
	for i, role := range held {
		roles[i] = string(role)
	}
	slog.WarnContext(ctx, "request denied", "status", p.Status, "reason", reason, "route", route,
		"method", r.Method, "roles", roles)
	countDenied(ctx, route, reason, p.Status)
	httpx.WriteProblem(w, r, p)
}

func countDenied(ctx context.Context, route, reason string, status int) {
	if c, _ := ctx.Value(deniedKey{}).(metric.Int64Counter); c != nil {
		c.Add(ctx, 1, metric.WithAttributes(
			attribute.String("http.route", route),
			attribute.String("reason", reason),
			attribute.String("http.response.status_code", strconv.Itoa(status)),
		))
	}
}
