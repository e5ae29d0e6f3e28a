// Package auth says who is calling the HTTP APIs and the NATS request
// subjects, and what they may do.
//
// Every request carries a bearer token (on NATS, in an Authorization header
// as over HTTP: ADR 0036). A Verifier turns it into a
// Principal: who the caller is (an agent id, a company system's name, a
// customer acting on their own complaint) and which roles they hold. Each
// route declares the roles it needs with Require; a request without a valid
// token gets 401, one whose principal lacks the role 403, both as
// problem+json. The principal becomes the actor stamped on the events the
// request causes (ActorFrom). A NATS request is checked by Authorize, with
// the same verifier and the same roles as its HTTP route.
//
// Verifiers, tried in this order by the Chain a Gate builds: StaticTokens
// (the development tokens written on first start, and tests),
// CustomerTokens (per-complaint capability tokens, signed JWTs), and in
// production OIDC (JWTs verified against the identity provider's JWKS).
// Every 401 and 403 is logged and counted without personal data.
//
// A process builds it all with NewGate and wraps its mux with
// Gate.Handler.
package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// Role is what a caller may do.
type Role string

// The roles of the complaint process.
const (
	// RoleIntakeSystem: company systems that submit complaints (web form,
	// e-mail gateway, call-centre system) and read them back.
	RoleIntakeSystem Role = "intake-system"
	// RoleAgent: complaint handlers working cases.
	RoleAgent Role = "agent"
	// RoleApprover: approves redress above an agent's limit.
	RoleApprover Role = "approver"
	// RoleProcessOwner: reads reports, owns preventive actions.
	RoleProcessOwner Role = "process-owner"
	// RoleAuditor: reads everything, changes nothing.
	RoleAuditor Role = "auditor"
	// RoleAdmin: operates the system (erasure, dead letters, rebuilds).
	RoleAdmin Role = "admin"
	// RolePayments: the company's payment and voucher systems, which
	// confirm redress issuances; nothing else may confirm one.
	RolePayments Role = "payments"
	// RoleCustomer: a customer acting on their own complaint through the
	// per-complaint capability token returned at submission.
	RoleCustomer Role = "customer"
)

// Known reports whether r is one of the roles above.
func (r Role) Known() bool { return r == RoleCustomer || slices.Contains(TokenRoles, r) }

// StaffRoles are the roles of the people and company systems that work
// complaints, in order: the routes any of them may read admit these.
var StaffRoles = []Role{RoleIntakeSystem, RoleAgent, RoleApprover, RoleProcessOwner, RoleAuditor, RoleAdmin}

// TokenRoles are the roles development tokens are issued for, in order:
// the staff's and the payment system's.
var TokenRoles = append(slices.Clone(StaffRoles), RolePayments)

// systemRoles are the roles of company systems, not people.
var systemRoles = []Role{RoleIntakeSystem, RolePayments}

// Principal is an authenticated caller.
type Principal struct {
	// Subject identifies the caller: an agent id, a system's name, a
	// customer id. Never a name or an e-mail address.
	Subject string
	Roles   []Role
	// ComplaintID is set for customers: the one complaint their capability
	// token opens.
	ComplaintID string
}

// Has reports whether p holds role.
func (p Principal) Has(role Role) bool { return slices.Contains(p.Roles, role) }

// Actor is the principal as an event's actor: customers as customers, company
// systems (holding only system roles: intake-system, payments) as systems,
// every other staff role as an agent.
func (p Principal) Actor() eventlog.Actor {
	system := len(p.Roles) > 0 && !slices.ContainsFunc(p.Roles, func(r Role) bool { return !slices.Contains(systemRoles, r) })
	switch {
	case p.Has(RoleCustomer):
		return eventlog.NewActor(eventlog.ActorCustomer, p.Subject)
	case system:
		return eventlog.NewActor(eventlog.ActorSystem, p.Subject)
	default:
		return eventlog.NewActor(eventlog.ActorAgent, p.Subject)
	}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller of the request ctx belongs to.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// ActorFrom is the actor of the request ctx belongs to; empty when the
// request is not authenticated.
func ActorFrom(ctx context.Context) eventlog.Actor {
	if p, ok := PrincipalFrom(ctx); ok {
		return p.Actor()
	}
	return ""
}

// Verifier turns a bearer token into a principal.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Authenticate verifies the bearer token of every request that has one and
// puts its principal in the request's context. It refuses nothing itself:
// routes say what they need with Require, so unauthenticated routes
// (/healthz) stay open. A token that fails verification leaves the request
// unauthenticated, and Require answers it 401 naming why, once the route
// (and so its pattern, for the audit) is known.
func Authenticate(v Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, reason := verifyHeader(r.Context(), v, h)
		if reason != "" {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), failureKey{}, reason)))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// verifyHeader turns an Authorization header into a principal, or says
// why it cannot (ReasonMalformed, ReasonInvalidToken).
func verifyHeader(ctx context.Context, v Verifier, header string) (Principal, string) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Principal{}, ReasonMalformed
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		return Principal{}, ReasonInvalidToken
	}
	return p, ""
}

type failureKey struct{}

// unauthenticated answers a request that has no principal: 401 saying
// whether the token was missing, malformed or not valid.
func unauthenticated(w http.ResponseWriter, r *http.Request, need string) {
	reason, _ := r.Context().Value(failureKey{}).(string)
	p, reason := missingPrincipal(reason, "this route needs a bearer token "+need)
	deny(w, r, p, reason, nil)
}

// missingPrincipal is the 401 of a request without a principal, for the
// reason its token failed (none: it had no token).
func missingPrincipal(reason, noToken string) (*httpx.Problem, string) {
	switch reason {
	case ReasonMalformed:
		return Unauthenticated("the Authorization header must be \"Bearer <token>\""), reason
	case ReasonInvalidToken:
		return Unauthenticated("the bearer token is not valid (unknown, expired or not for this API)"), reason
	}
	return Unauthenticated(noToken), ReasonNoToken
}

// holdsOneOf is the 403 of a principal that holds none of roles, or nil.
func holdsOneOf(p Principal, roles []Role, what string) (*httpx.Problem, string) {
	if slices.ContainsFunc(roles, p.Has) {
		return nil, ""
	}
	return Forbidden(what + " needs one of the roles " + list(roles)), ReasonMissingRole
}

// Require lets a request through only when its caller holds one of roles:
// 401 without credentials, 403 with the wrong ones. Both are logged and
// counted (see DeniedMetric).
func Require(h http.HandlerFunc, roles ...Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			unauthenticated(w, r, "with one of the roles "+list(roles))
			return
		}
		if problem, reason := holdsOneOf(p, roles, "this route"); problem != nil {
			deny(w, r, problem, reason, p.Roles)
			return
		}
		h(w, r)
	}
}

// RequireOwnComplaint is Require for routes a customer may also call: staff
// with one of roles pass, and so does a customer whose capability token is
// for the complaint named by the path value pathKey.
func RequireOwnComplaint(h http.HandlerFunc, pathKey string, roles ...Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			unauthenticated(w, r, "(the complaint's customer token or one with one of the roles "+list(roles)+")")
			return
		}
		if p.Has(RoleCustomer) {
			if p.ComplaintID == "" || p.ComplaintID != r.PathValue(pathKey) {
				deny(w, r, Forbidden("a customer token opens only its own complaint"), ReasonOtherComplaint, p.Roles)
				return
			}
			h(w, r)
			return
		}
		if problem, reason := holdsOneOf(p, roles, "this route"); problem != nil {
			problem.Detail = "this route needs the complaint's customer token or one of the roles " + list(roles)
			deny(w, r, problem, reason, p.Roles)
			return
		}
		h(w, r)
	}
}

// Refusal is a request refused for its caller: the problem to answer (401
// or 403) and the reason it is logged and counted under.
type Refusal struct {
	Problem *httpx.Problem
	Reason  string
	// Held are the roles the caller held (none when unauthenticated).
	Held []Role
}

// Authorize is Require for a transport other than HTTP (a NATS request,
// ADR 0036): it verifies header, the request's Authorization value
// ("Bearer <token>"), with v, and lets the caller through only when it holds
// one of roles. A customer token holds no staff role, so it opens no
// request Authorize guards. The refusal says why, in the same words and
// under the same reasons as HTTP's.
func Authorize(ctx context.Context, v Verifier, header, subject string, roles ...Role) (Principal, *Refusal) {
	if header == "" {
		p, reason := missingPrincipal("", subject+" needs a bearer token with one of the roles "+list(roles)+
			" in its Authorization header")
		return Principal{}, &Refusal{Problem: p, Reason: reason}
	}
	if v == nil {
		return Principal{}, &Refusal{Problem: Unauthenticated("no token can be verified here"), Reason: ReasonInvalidToken}
	}
	p, reason := verifyHeader(ctx, v, header)
	if reason != "" {
		problem, reason := missingPrincipal(reason, "")
		return Principal{}, &Refusal{Problem: problem, Reason: reason}
	}
	if problem, reason := holdsOneOf(p, roles, subject); problem != nil {
		return Principal{}, &Refusal{Problem: problem, Reason: reason, Held: p.Roles}
	}
	return p, nil
}

func list(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// Problem types of authentication and authorisation.
const (
	TypeUnauthenticated = "https://complaintflow.dev/problems/unauthenticated"
	TypeForbidden       = "https://complaintflow.dev/problems/forbidden"
)

// Unauthenticated is a 401.
func Unauthenticated(detail string) *httpx.Problem {
	return &httpx.Problem{Type: TypeUnauthenticated, Title: "Authentication required", Status: http.StatusUnauthorized, Detail: detail}
}

// Forbidden is a 403.
func Forbidden(detail string) *httpx.Problem {
	return &httpx.Problem{Type: TypeForbidden, Title: "Not allowed", Status: http.StatusForbidden, Detail: detail}
}
