package system_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// refusedByServer is what attempt returns when the server refused the
// request's publish (a permission violation): no service saw it.
const refusedByServer = "refused by the server"

// attempt sends one request on subject as the NATS user user, with token as
// its bearer token (none when empty), under the generated permissions, and
// says how it ended: refusedByServer, the error reply's
// Nats-Service-Error-Code, or "" for an answer that is not an error.
func attempt(t *testing.T, s *host.System, user, subject, token string, body any) string {
	t.Helper()
	violations := make(chan error, 4)
	nc, err := s.ConnectAs(user, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			violations <- err
		}
	}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	defer nc.Close()
	inbox := nc.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(subject)
	m.Reply = inbox
	m.Data, _ = json.Marshal(body)
	if token != "" {
		m.Header.Set("Authorization", "Bearer "+token)
	}
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	outcome := ""
	testkit.Eventually(t, user+" on "+subject+": an answer or the server's refusal", func() bool {
		select {
		case <-violations:
			outcome = refusedByServer
			return true
		default:
		}
		reply, err := sub.NextMsg(20 * time.Millisecond)
		if errors.Is(err, nats.ErrTimeout) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		outcome = reply.Header.Get("Nats-Service-Error-Code")
		return true
	})
	return outcome
}

// actorsOf are the actors of a stream's events by event type.
func actorsOf(t *testing.T, s *host.System, stream string) map[string]eventlog.Actor {
	t.Helper()
	events, err := s.Log().ReadStream(context.Background(), stream, eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]eventlog.Actor{}
	for _, e := range events {
		out[e.Type] = e.Metadata.Actor
	}
	return out
}

// Confirming a redress issuance is the payment system's alone: another
// company system ("outside"), with or without an intake-system token, is
// refused by the server; the payment system's NATS user without a token,
// or with a token of another role, is refused by compensation; over HTTP an
// intake-system or admin token is refused. None of them changes the
// issuance or its stream. Then the payment system, with its own user and
// token, confirms it, recorded as the payment system.
func TestOnlyThePaymentSystemConfirmsAnIssuance(t *testing.T) {
	s, a := startWithoutSimulator(t)
	id := submitAndResolve(t, a, "upheld")
	red := a.eventually("/v1/redress/"+id, func(b map[string]any) bool {
		is, _ := b["issuances"].([]any)
		return len(is) > 0
	})
	first, _ := red["issuances"].([]any)[0].(map[string]any)
	issuance, _ := first["issuance_id"].(string)
	redressStream := "complaints.events.redress." + id
	before := subjectMessages(t, s, redressStream)
	failed := map[string]any{"complaint_id": id, "issuance_id": issuance, "status": "failed", "reason": "payee unknown"}

	unchanged := func(what string) {
		t.Helper()
		if n := subjectMessages(t, s, redressStream); n != before {
			t.Fatalf("%s: the redress stream holds %d messages, %d before", what, n, before)
		}
		var now map[string]any
		a.call(http.MethodGet, "/v1/redress/"+id, nil, http.StatusOK, &now)
		if is, _ := now["issuances"].([]any)[0].(map[string]any); is["status"] != "requested" {
			t.Fatalf("%s: the issuance is %v, want still requested", what, is["status"])
		}
	}
	for _, c := range []struct {
		name, user, token, want string
	}{
		{"another system without a token", natsauth.Outside, "", refusedByServer},
		{"another system with an intake-system token", natsauth.Outside, testTokens["intake-system"], refusedByServer},
		{"the payment system's user without a token", natsauth.Payments, "", "401"},
		{"the payment system's user with a token no one issued", natsauth.Payments, "not-a-token-anyone-issued", "401"},
		{"the payment system's user with an intake-system token", natsauth.Payments, testTokens["intake-system"], "403"},
		{"the payment system's user with an admin token", natsauth.Payments, testTokens["admin"], "403"},
	} {
		if got := attempt(t, s, c.user, "complaints.compensation.confirm", c.token, failed); got != c.want {
			t.Fatalf("%s: confirming ended %q, want %q", c.name, got, c.want)
		}
		unchanged(c.name)
	}
	path := "/v1/redress/" + id + "/issuances/" + issuance + "/confirmation"
	for _, role := range []string{"intake-system", "admin"} {
		if code, _, body := a.as(testTokens[role]).do(http.MethodPost, path, failed, nil); code != http.StatusForbidden {
			t.Fatalf("HTTP confirmation with an %s token answered %d %s, want 403", role, code, body)
		}
		unchanged("HTTP confirmation as " + role)
	}

	issued := map[string]any{"complaint_id": id, "issuance_id": issuance, "status": "issued", "external_reference": "PAY-1"}
	if got := attempt(t, s, natsauth.Payments, "complaints.compensation.confirm", testTokens["payments"], issued); got != "" {
		t.Fatalf("the payment system's confirmation ended %q", got)
	}
	a.eventually("/v1/redress/"+id, func(b map[string]any) bool {
		is, _ := b["issuances"].([]any)[0].(map[string]any)
		return is["status"] == "issued"
	})
	if actor := actorsOf(t, s, "redress-"+id)["complaints.v1.RedressIssued"]; actor != "system:dev-payments" {
		t.Fatalf("the issuance was recorded as %q, want system:dev-payments", actor)
	}
}

// A NATS request acts with the caller's token and role, as over HTTP:
// resolving a case over NATS without a token, with a token no one issued,
// or with the token of a role that may not resolve (an intake system, the
// payment system, the complaint's own customer), is refused and leaves the
// case as it was; with an agent's token it resolves, recorded as that
// agent, not as an anonymous "system:nats".
func TestANATSRequestActsWithTheCallersRole(t *testing.T) {
	s, a := startWithoutSimulator(t)
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)
	caseStream := "complaints.events.case." + sub.ID
	before := subjectMessages(t, s, caseStream)
	resolve := map[string]any{"id": sub.ID, "outcome": "upheld", "root_cause": "network.outage", "summary": "Fixed"}

	for _, c := range []struct{ name, token, want string }{
		{"without a token", "", "401"},
		{"with a token no one issued", "not-a-token-anyone-issued", "401"},
		{"with an intake-system token", testTokens["intake-system"], "403"},
		{"with the payment system's token", testTokens["payments"], "403"},
		{"with the complaint's customer token", sub.CustomerToken, "403"},
	} {
		if got := attempt(t, s, natsauth.Outside, "complaints.resolution.resolve", c.token, resolve); got != c.want {
			t.Fatalf("resolving over NATS %s ended %q, want %q", c.name, got, c.want)
		}
		if n := subjectMessages(t, s, caseStream); n != before {
			t.Fatalf("resolving over NATS %s: the case's stream holds %d messages, %d before", c.name, n, before)
		}
	}
	var open map[string]any
	a.call(http.MethodGet, "/v1/cases/"+sub.ID, nil, http.StatusOK, &open)
	if open["status"] == "resolved" {
		t.Fatalf("the refused requests resolved the case: %v", open)
	}

	if got := attempt(t, s, natsauth.Outside, "complaints.resolution.resolve", testTokens["agent"], resolve); got != "" {
		t.Fatalf("resolving over NATS with an agent's token ended %q", got)
	}
	if actor := actorsOf(t, s, "case-"+sub.ID)["complaints.v1.CaseResolved"]; actor != "agent:dev-agent" {
		t.Fatalf("the resolution was recorded as %q, want agent:dev-agent", actor)
	}
}
