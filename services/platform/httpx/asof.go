package httpx

import (
	"net/http"
	"time"
)

// AsOf reads the optional as_of query parameter of a view or report: the
// instant it is answered for, zero when absent. A value that is not an RFC
// 3339 date and time is a problem naming as_of.
func AsOf(r *http.Request) (time.Time, *Problem) {
	s := r.URL.Query().Get("as_of")
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Invalid(FieldError{Field: "as_of", Detail: "must be an RFC 3339 date and time, e.g. 2026-11-26T09:30:00Z"})
	}
	return t, nil
}

// PastAsOf is AsOf for a report answered by replaying the log: an instant in
// the future is a problem naming as_of too.
func PastAsOf(r *http.Request) (time.Time, *Problem) {
	t, p := AsOf(r)
	if p == nil && t.After(time.Now()) {
		return time.Time{}, Invalid(FieldError{Field: "as_of", Detail: "must not be in the future"})
	}
	return t, p
}
