package httpx

import (
	"strings"
	"sync/atomic"
)

// DefaultHelp is where a problem sends its caller for help when none is
// configured: the API documentation's page on errors.
const DefaultHelp = "https://complaintflow.dev/help/errors"

// help is the `help` member of every problem: a URL or a contact (an e-mail
// address, a phone number), set by the host from its configuration
// (HELP_URL); nil until then, which is DefaultHelp.
var help atomic.Pointer[string]

// SetHelp changes where every problem sends its caller for help (a URL or a
// contact); "" restores DefaultHelp. The host sets it at start from its
// configuration.
func SetHelp(h string) {
	h = strings.TrimSpace(h)
	if h == "" {
		h = DefaultHelp
	}
	help.Store(&h)
}

// Help is where problems currently send their callers for help.
func Help() string {
	if h := help.Load(); h != nil {
		return *h
	}
	return DefaultHelp
}

// actions say what a caller can do next, by problem type. A problem that sets
// its own Action keeps it.
var actions = map[string]string{
	TypeValidation: "Correct the fields named in errors and send the request again.",
	TypeBadRequest: "Send one well-formed JSON object as the body, within the size limit, and try again.",
	TypeNotFound: "Check the id in the path. Steps after a submission (case, redress, follow-up) appear moments later: " +
		"if the complaint was just submitted, retry shortly.",
	TypeConflict: "Read the resource's current state (GET it) and send a request that fits that state; " +
		"sending the same request again will not succeed.",
	TypeIdempotent: "Send the original body again with this Idempotency-Key, or use a new key for a different request.",
	TypeInternal: "Retry later; with the same Idempotency-Key a retry is safe. If it persists, contact support " +
		"quoting the instance and the time.",
	TypeUnsupportedMediaType: "Send the body as JSON with the header Content-Type: application/json.",
	TypeRateLimited:          "Wait for the number of seconds in Retry-After, then send the request again.",
	TypeUnacceptable: "Change the value named in errors to one the complaint policy accepts " +
		"(the policy's lists are in the API documentation), then send the request again.",
	TypeUnauthenticated: "Send a valid bearer token in the Authorization header; " +
		"ask your administrator for one if you have none.",
	TypeForbidden: "Use a token with one of the roles the operation names, " +
		"or ask your administrator for that role.",
}

// DefaultAction is what a problem of a type without its own advice says.
const DefaultAction = "Read detail and errors, correct the request, and contact help if it still fails."

// SetAction registers the advice for a problem type of another package.
// Call it from an init function.
func SetAction(problemType, action string) { actions[problemType] = action }

// Complete fills what every problem carries besides what went wrong: what
// the caller can do next (Action, by type unless set) and where to get help
// (Help). WriteProblem and ProblemFor call it, so every service's problems,
// over HTTP and over NATS, carry both.
func (p *Problem) Complete() *Problem {
	if p.Action == "" {
		if a, ok := actions[p.Type]; ok {
			p.Action = a
		} else {
			p.Action = DefaultAction
		}
	}
	if p.Help == "" {
		p.Help = Help()
	}
	return p
}
