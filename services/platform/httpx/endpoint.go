package httpx

import "net/http"

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// IdempotencyKey records an error when key, an Idempotency-Key header, is
// longer than MaxIdempotencyKey.
func (v *Validator) IdempotencyKey(key string) {
	v.Check(len(key) <= MaxIdempotencyKey, "Idempotency-Key", "must be at most 200 characters")
}

// Command is what a command endpoint reads of an HTTP request: the id in
// its path, its JSON body and its Idempotency-Key header.
type Command[Body any] struct {
	ID   string
	Body Body
	Key  string
}

// Endpoint serves a command over HTTP: decode, validate, call, answer. It
// reads the path value idParam (none when ""; a missing or malformed id is
// a 400), then the JSON body (none when Body is struct{}), then the
// Idempotency-Key; check adds the body's field errors (nil: none). The
// first problem found, in that order, is the answer; otherwise do's result
// is, as JSON with status (do may set headers on w), or do's error as a
// problem.
func Endpoint[Body, Res any](status int, idParam string, check func(*Validator, *Body),
	do func(w http.ResponseWriter, r *http.Request, c Command[Body]) (Res, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var c Command[Body]
		var p *Problem
		if idParam != "" {
			c.ID, p = PathID(r, idParam)
		}
		if _, none := any(c.Body).(struct{}); p == nil && !none {
			p = DecodeJSON(w, r, &c.Body)
		}
		var v Validator
		c.Key = r.Header.Get("Idempotency-Key")
		v.IdempotencyKey(c.Key)
		if p == nil {
			if check != nil {
				check(&v, &c.Body)
			}
			p = v.Problem()
		}
		if p != nil {
			WriteProblem(w, r, p)
			return
		}
		out, err := do(w, r, c)
		Reply(w, r, status, out, err)
	}
}

// Reply answers a handler's outcome: err as a problem (WriteError), or out
// as JSON with status.
func Reply(w http.ResponseWriter, r *http.Request, status int, out any, err error) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, status, out)
}
