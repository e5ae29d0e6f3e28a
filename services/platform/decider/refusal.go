package decider

import (
	"errors"
	"fmt"
)

// A Refusal is a command that the rules of the complaint process refuse in
// the aggregate's current state. It is permanent: the same command in the
// same state is refused again, so a consumer never retries it and an API
// never calls it "safe to retry". Domain packages declare their refusals as
// package variables, so callers can still match them with errors.Is:
//
//	var ErrCaseNotOpen = decider.NotFound("no case is open for this complaint")
type Refusal struct {
	// Kind says how the command contradicts the rules.
	Kind RefusalKind
	// Field is the command field at fault, named as the APIs name it
	// ("root_cause"), when one is.
	Field string
	// Reason says what happened, in the words of complaint handling.
	Reason string
}

// RefusalKind classifies refusals, so adapters can answer each the same way
// (HTTP 404, 409 or 422; the same codes on NATS).
type RefusalKind int

const (
	// Conflict: the command contradicts what has already happened.
	Conflict RefusalKind = iota
	// Missing: the aggregate the command is about does not exist (yet).
	Missing
	// Unacceptable: a value the rules do not accept (not a malformed
	// request: the request is well formed, the policy says no).
	Unacceptable
)

func (k RefusalKind) String() string {
	switch k {
	case Missing:
		return "missing"
	case Unacceptable:
		return "unacceptable"
	default:
		return "conflict"
	}
}

func (r *Refusal) Error() string {
	if r.Field != "" {
		return r.Field + ": " + r.Reason
	}
	return r.Reason
}

// Conflicts builds a Conflict refusal.
func Conflicts(reason string) *Refusal { return &Refusal{Kind: Conflict, Reason: reason} }

// NotFound builds a Missing refusal.
func NotFound(reason string) *Refusal { return &Refusal{Kind: Missing, Reason: reason} }

// Rejects builds an Unacceptable refusal of one field's value.
func Rejects(field, reason string) *Refusal {
	return &Refusal{Kind: Unacceptable, Field: field, Reason: reason}
}

// Refusef wraps a declared refusal with detail, keeping errors.Is and
// errors.As working: Refusef(ErrUnknownRootCause, "%q", code).
func Refusef(r *Refusal, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{r}, args...)...)
}

// AsRefusal returns the refusal in err's chain, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
