package adapters

import (
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// A key that matches a field only when case is ignored is an unknown field
// on NATS as on HTTP: otherwise {"customer":{"ID":...}} would fill the
// customer id past the id checks.
func TestNATSRequestsMatchKeysExactly(t *testing.T) {
	submit := func(key string) string {
		return strings.Replace(`{"customer":{"KEY":"c\u0001","name":"Ada","email":"ada@example.com"},"channel":"web","product":"broadband","description":"slow"}`, "KEY", key, 1)
	}
	decodeSubmitProblem := func(data []byte) *httpx.Problem { _, p := decodeSubmit(data); return p }
	decodeShowProblem := func(data []byte) *httpx.Problem { _, p := decodeShow(data); return p }
	for _, tc := range []struct {
		name, data, field, detail string
		decode                    func([]byte) *httpx.Problem
	}{
		{"submit: upper-case customer id", submit("ID"), "customer.ID", "is not a known field", decodeSubmitProblem},
		{"submit: the exact key is checked as an id", submit("id"), "customer.id", "must not contain control characters", decodeSubmitProblem},
		{"submit: folded top-level key", `{"Channel":"web"}`, "Channel", "is not a known field", decodeSubmitProblem},
		{"show: upper-case id", `{"ID":"x\n"}`, "ID", "is not a known field", decodeShowProblem},
		{"show: folded as_of", `{"id":"x","As_Of":"2026-01-01T00:00:00Z"}`, "As_Of", "is not a known field", decodeShowProblem},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.decode([]byte(tc.data))
			if p == nil || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Detail != tc.detail {
				t.Fatalf("got %+v, want a 400 naming %s: %s", p, tc.field, tc.detail)
			}
			checkProblemReply(t, p, "complaints.intake")
		})
	}
}
