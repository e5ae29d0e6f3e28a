package adapters

import (
	"context"
	"encoding/json"
	"net/mail"
	"testing"

	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// FuzzSubmitRequest decodes and validates arbitrary submit request data and
// Idempotency-Key headers as the NATS handler does before submitting: no
// panic, every refusal is a problem reply (a validation problem names its
// fields), and an accepted request holds every required field.
func FuzzSubmitRequest(f *testing.F) {
	f.Add([]byte(`{"customer":{"id":"cust-1","name":"Ada","email":"ada@example.com"},"channel":"web","product":"broadband","description":"slow","desired_outcome":"refund"}`), "key-1")
	f.Add([]byte(`{"customer":{"id":"cust-1","name":"Ada","email":"Ada <ada@example.com>"},"channel":"fax","product":"broadband","description":"slow"}`), "")
	f.Add([]byte(`{"customer":{"id":1},"channel":"web"}`), "")
	f.Add([]byte(`{"customer":{"id":"c","nick":"x"}}`), "")
	f.Add([]byte(`{"description":"\u0000"}`), "")
	f.Add([]byte(`{} {}`), "")
	f.Add([]byte(`[`), "")
	f.Add([]byte(``), "")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		req, p := decodeSubmit(data)
		if p == nil {
			p = validateSubmission(req, key)
		}
		if p == nil {
			// A customer is known by an id, or else by the e-mail address or
			// phone number given (their fingerprint): one of those two is
			// required, and an e-mail address given must be one.
			c := req.Customer
			emailOK := c.Email == ""
			if !emailOK {
				addr, err := mail.ParseAddress(c.Email)
				emailOK = err == nil && addr.Address == c.Email
			}
			if c.Name == "" || (c.Email == "" && c.Phone == "") || !emailOK || !domain.ValidChannel(req.Channel) ||
				req.Product == "" || req.Description == "" || len(key) > MaxIdempotencyKey {
				t.Fatalf("accepted an invalid submission %+v (key %q)", req, key)
			}
			return
		}
		checkProblemReply(t, p, "complaints.intake.submit")
	})
}

// FuzzShowRequest decodes and validates arbitrary show request data: no
// panic, every refusal is a problem reply, an accepted request names an id.
func FuzzShowRequest(f *testing.F) {
	f.Add([]byte(`{"id":"0193e6a0-0000-7000-8000-000000000002"}`))
	f.Add([]byte(`{"id":""}`))
	f.Add([]byte(`{"id":42}`))
	f.Add([]byte(`{"id":"a","reference":"b"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"id"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, p := decodeShow(data)
		if p == nil {
			if req.ID == "" {
				t.Fatalf("accepted a show request without id: %q", data)
			}
			return
		}
		checkProblemReply(t, p, "complaints.intake.show")
	})
}

// checkProblemReply checks that p is answered as a client error problem,
// naming a field when it is a validation problem, as replyProblem sends it.
func checkProblemReply(t *testing.T, p *httpx.Problem, subject string) {
	t.Helper()
	reply := httpx.ProblemFor(context.Background(), p, subject)
	if reply.Status < 400 || reply.Status > 499 || reply.Title == "" || reply.Type == "" {
		t.Fatalf("refusal is not a client-error problem: %+v", reply)
	}
	if reply.Type == httpx.TypeValidation {
		if len(reply.Errors) == 0 {
			t.Fatalf("validation problem names no field: %+v", reply)
		}
		for _, fe := range reply.Errors {
			if fe.Field == "" || fe.Detail == "" {
				t.Fatalf("validation problem with an unnamed field: %+v", reply)
			}
		}
	} else if reply.Detail == "" {
		t.Fatalf("problem without detail: %+v", reply)
	}
	body, err := json.Marshal(reply)
	if err != nil {
		t.Fatalf("problem reply does not marshal: %v", err)
	}
	var back httpx.Problem
	if err := json.Unmarshal(body, &back); err != nil || back.Status != reply.Status || len(back.Errors) != len(reply.Errors) {
		t.Fatalf("problem reply does not read back: %v %s", err, body)
	}
}
