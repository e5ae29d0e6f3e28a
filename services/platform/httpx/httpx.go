// Package httpx holds the HTTP conventions every service's API follows: JSON
// bodies, and errors as RFC 9457 problem details naming the field at fault.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// FieldError names one field at fault in a request.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem is an RFC 9457 problem detail: the one type every service answers
// errors with, over HTTP and NATS, and the Go client (tools/client) returns.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// Action says what the caller can do next (see Complete).
	Action string `json:"action,omitempty"`
	// Help is where to get help: a URL or a contact, from the host's HELP_URL.
	Help string `json:"help,omitempty"`
}

// Error reads "<status> <title>: <detail> (<field>: <detail>; ...)".
func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", p.Status, p.Title)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for i, fe := range p.Errors {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(fe.Field + ": " + fe.Detail)
	}
	if len(p.Errors) > 0 {
		b.WriteString(")")
	}
	return b.String()
}

// Field returns the detail for a field at fault, and whether it is named.
func (p *Problem) Field(name string) (string, bool) {
	for _, fe := range p.Errors {
		if fe.Field == name {
			return fe.Detail, true
		}
	}
	return "", false
}

// Problem types.
const (
	TypeValidation = "https://complaintflow.dev/problems/validation"
	TypeNotFound   = "https://complaintflow.dev/problems/not-found"
	TypeConflict   = "https://complaintflow.dev/problems/conflict"
	TypeIdempotent = "https://complaintflow.dev/problems/idempotency-key-reused"
	TypeInternal   = "https://complaintflow.dev/problems/internal"
	TypeBadRequest = "https://complaintflow.dev/problems/malformed-request"
	// TypeUnsupportedMediaType is a body that is not application/json.
	TypeUnsupportedMediaType = "https://complaintflow.dev/problems/unsupported-media-type"
	// TypeRateLimited is a client over its request rate.
	TypeRateLimited = "https://complaintflow.dev/problems/rate-limited"
	// TypeUnauthenticated is a request without a valid bearer token (401).
	TypeUnauthenticated = "https://complaintflow.dev/problems/unauthenticated"
	// TypeForbidden is a token without the role the operation needs (403).
	TypeForbidden = "https://complaintflow.dev/problems/forbidden"
	// TypeUnacceptable is a well-formed request that the complaint policy
	// refuses (a rule, not the syntax, says no).
	TypeUnacceptable = "https://complaintflow.dev/problems/refused-by-policy"
)

// Invalid is a 400 naming the fields at fault.
func Invalid(errs ...FieldError) *Problem {
	return &Problem{Type: TypeValidation, Title: "The request has invalid fields", Status: http.StatusBadRequest, Errors: errs}
}

// NotFound is a 404.
func NotFound(detail string) *Problem {
	return &Problem{Type: TypeNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: detail}
}

// Conflict is a 409: the request contradicts what has already happened.
func Conflict(detail string, errs ...FieldError) *Problem {
	return &Problem{Type: TypeConflict, Title: "Conflicts with the complaint's current state", Status: http.StatusConflict, Detail: detail, Errors: errs}
}

// Refused answers a command the complaint rules refused: 404 when what it is
// about does not exist (yet), 422 for a value the policy does not accept, 409
// when it contradicts what already happened. err is the refusal with any
// detail wrapped around it. None of these is worth retrying unchanged.
func Refused(r *decider.Refusal, err error) *Problem {
	detail := err.Error()
	switch r.Kind {
	case decider.Missing:
		return NotFound(detail)
	case decider.Unacceptable:
		field := r.Field
		if field == "" {
			field = "body"
		}
		return &Problem{Type: TypeUnacceptable, Title: "Refused by the complaint policy", Status: http.StatusUnprocessableEntity,
			Detail: detail, Errors: []FieldError{{Field: field, Detail: r.Reason}}}
	default:
		var errs []FieldError
		if r.Field != "" {
			errs = append(errs, FieldError{Field: r.Field, Detail: r.Reason})
		}
		return Conflict(detail, errs...)
	}
}

// Validator collects field errors.
type Validator struct{ errs []FieldError }

// Check records a field error when ok is false.
func (v *Validator) Check(ok bool, field, detail string) {
	if !ok {
		v.errs = append(v.errs, FieldError{Field: field, Detail: detail})
	}
}

// Required records an error when s is blank.
func (v *Validator) Required(s, field string) {
	v.Check(strings.TrimSpace(s) != "", field, "is required")
}

// MaxLen records an error when s is longer than n bytes.
func (v *Validator) MaxLen(s string, n int, field string) {
	v.Check(len(s) <= n, field, fmt.Sprintf("must be at most %d characters", n))
}

// Problem returns the collected errors as a 400, or nil.
func (v *Validator) Problem() *Problem {
	if len(v.errs) == 0 {
		return nil
	}
	return Invalid(v.errs...)
}

func malformed(detail string) *Problem {
	return &Problem{Type: TypeBadRequest, Title: "Malformed request", Status: http.StatusBadRequest, Detail: detail}
}

// WriteJSON writes v with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	p.Complete()
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteError writes err as a problem: a *Problem as it is, anything else as a
// 500 whose detail is logged, not shown.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteProblem(w, r, ProblemFor(r.Context(), err, r.Method+" "+r.URL.Path))
}

// ProblemFor is the problem to answer err with: a *Problem as it is, anything
// else an internal error, logged with where it happened (a route or a
// subject) and not shown to the caller.
func ProblemFor(ctx context.Context, err error, where string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p.Complete()
	}
	if r, ok := decider.AsRefusal(err); ok {
		return Refused(r, err).Complete()
	}
	slog.ErrorContext(ctx, "request failed", "request", where, "err", err)
	return (&Problem{Type: TypeInternal, Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "the request could not be completed; it is safe to retry"}).Complete()
}
