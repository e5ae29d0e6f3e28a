package intake_test

// Component tests: intake's application and adapters on their own, over the
// in-memory event log, a fake vault and static bearer tokens. No NATS server
// except for the request/reply adapter, which is a NATS handler.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/intake/adapters"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/pii"
)

// fakeVault "seals" by reversing the text; a forgotten customer's data
// opens with pii.ErrForgotten, as the real vault's does.
type fakeVault struct {
	mu        sync.Mutex
	forgotten map[string]bool
}

func (v *fakeVault) Seal(_ context.Context, customerID, plaintext string) (*complaintsv1.SealedValue, error) {
	return &complaintsv1.SealedValue{KeyId: customerID, Ciphertext: []byte(reverse(plaintext))}, nil
}

func (v *fakeVault) Open(_ context.Context, s *complaintsv1.SealedValue) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.forgotten[s.GetKeyId()] {
		return "", pii.ErrForgotten
	}
	return reverse(string(s.GetCiphertext())), nil
}

func (v *fakeVault) forget(customerID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.forgotten[customerID] = true
}

func (v *fakeVault) Forget(_ context.Context, customerID string) error {
	v.forget(customerID)
	return nil
}

func (v *fakeVault) KeyID(_ context.Context, customerID string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.forgotten[customerID] {
		return "", nil
	}
	return customerID, nil
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// customerTokens issues "customer:<customer>:<complaint>" and verifies it
// back: the shape of the real issuer's promise without its signatures.
type customerTokens struct{}

func (customerTokens) Issue(customerID, complaintID string) (string, error) {
	return "customer:" + customerID + ":" + complaintID, nil
}

// verifier accepts the static staff tokens and the fake customer tokens.
type verifier struct{ staff auth.StaticTokens }

func (v verifier) Verify(ctx context.Context, token string) (auth.Principal, error) {
	if rest, ok := strings.CutPrefix(token, "customer:"); ok {
		customer, complaint, _ := strings.Cut(rest, ":")
		return auth.Principal{Subject: customer, Roles: []auth.Role{auth.RoleCustomer}, ComplaintID: complaint}, nil
	}
	return v.staff.Verify(ctx, token)
}

var staff = auth.StaticTokens{
	"crm-token":     {Subject: "crm", Roles: []auth.Role{auth.RoleIntakeSystem}},
	"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
	"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	"approver-tok":  {Subject: "appr-1", Roles: []auth.Role{auth.RoleApprover}},
	"admin-token":   {Subject: "root", Roles: []auth.Role{auth.RoleAdmin}},
}

// fingerprintKey keys the fingerprints of the component's customers.
var fingerprintKey = []byte("component-test-fingerprint-key-0123456789")

type component struct {
	log   *memlog.Log
	vault *fakeVault
	app   *app.Intake
	url   string
}

var now = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func start(t *testing.T) *component {
	t.Helper()
	p, err := intake.LoadPolicy("")
	if err != nil {
		t.Fatal(err)
	}
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	vault := &fakeVault{forgotten: map[string]bool{}}
	a, err := app.New(app.Deps{Log: log, Vault: vault, Tokens: customerTokens{}, Policy: p, FingerprintKey: fingerprintKey, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	adapters.HTTP{App: a}.Routes(mux)
	srv := httptest.NewServer(auth.Authenticate(verifier{staff}, mux))
	t.Cleanup(srv.Close)
	return &component{log: log, vault: vault, app: a, url: srv.URL}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (c *component) do(t *testing.T, method, path, token string, body any, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode, header: res.Header}
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	return out
}

func complaint() map[string]any {
	return map[string]any{
		"customer":    map[string]any{"id": "cust-1", "name": "Ada Lovelace", "email": "ada@example.com"},
		"channel":     "web",
		"product":     "broadband",
		"description": "No service for three days",
	}
}

func fieldOf(r response) string {
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["field"].(string)
}

func TestSubmitShowAndTimeline(t *testing.T) {
	c := start(t)
	res := c.do(t, "POST", "/v1/complaints", "crm-token", complaint(), "Idempotency-Key", "k-1")
	if res.status != http.StatusCreated {
		t.Fatalf("submit: %d %v", res.status, res.body)
	}
	id := res.body["id"].(string)
	if res.body["status"] != "acknowledged" || res.body["customer_token"] != "customer:cust-1:"+id ||
		res.header.Get("Location") != "/v1/complaints/"+id {
		t.Fatalf("submit answered %v %v", res.header, res.body)
	}
	ack := res.body["acknowledgement"].(map[string]any)
	if ack["respond_by"] != "2026-12-04T23:59:59Z" || !strings.Contains(ack["message"].(string), "Friday 4 December 2026") {
		t.Fatalf("acknowledgement %v", ack)
	}

	// The events name their actor, and the acknowledgement the regime that set its clock.
	events, err := c.log.ReadTimeline(context.Background(), id)
	if err != nil || len(events) != 3 {
		t.Fatalf("timeline %v, %v", events, err)
	}
	for _, e := range events {
		if e.Metadata.Actor != eventlog.NewActor(eventlog.ActorSystem, "crm") {
			t.Errorf("%s recorded actor %q", e.Type, e.Metadata.Actor)
		}
	}
	m, err := es.Decode(events[1])
	if err != nil {
		t.Fatal(err)
	}
	if ref := m.(*complaintsv1.ComplaintAcknowledged).GetDecidedBy(); ref.GetPolicy() != "regimes" || ref.GetRuleId() != "default" ||
		!strings.HasPrefix(ref.GetVersion(), "2026-11-25+") {
		t.Fatalf("decided by %v", ref)
	}

	// The same submission again is a replay, with the same complaint.
	again := c.do(t, "POST", "/v1/complaints", "crm-token", complaint(), "Idempotency-Key", "k-1")
	if again.status != http.StatusCreated || again.body["id"] != id || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %v %v", again.status, again.header, again.body)
	}

	for _, token := range []string{"crm-token", "agent-token", "auditor-token"} {
		show := c.do(t, "GET", "/v1/complaints/"+id, token, nil)
		cust, _ := show.body["customer"].(map[string]any)
		if show.status != http.StatusOK || show.body["reference"] != res.body["reference"] || cust["name"] != "Ada Lovelace" {
			t.Fatalf("show with %s: %d %v", token, show.status, show.body)
		}
		tl := c.do(t, "GET", "/v1/complaints/"+id+"/timeline", token, nil)
		if steps, _ := tl.body["steps"].([]any); tl.status != http.StatusOK || len(steps) != 3 {
			t.Fatalf("timeline with %s: %d %v", token, tl.status, tl.body)
		}
	}

	// The customer's token opens the customer view, without personal data,
	// and not the timeline (TestACustomerTokenGetsTheCustomerViewAndNoStaffData).
	show := c.do(t, "GET", "/v1/complaints/"+id, res.body["customer_token"].(string), nil)
	if show.status != http.StatusOK || show.body["reference"] != res.body["reference"] || show.body["customer"] != nil ||
		show.body["respond_by"] != "2026-12-04T23:59:59Z" {
		t.Fatalf("show with the customer token: %d %v", show.status, show.body)
	}
	if tl := c.do(t, "GET", "/v1/complaints/"+id+"/timeline", res.body["customer_token"].(string), nil); tl.status != http.StatusForbidden {
		t.Fatalf("timeline with the customer token: %d %v", tl.status, tl.body)
	}

	c.vault.forget("cust-1")
	show = c.do(t, "GET", "/v1/complaints/"+id, "agent-token", nil)
	if cust := show.body["customer"].(map[string]any); cust["name"] != "[erased]" {
		t.Fatalf("after erasure: %v", cust)
	}
}

func TestRefusals(t *testing.T) {
	c := start(t)
	first := c.do(t, "POST", "/v1/complaints", "crm-token", complaint(), "Idempotency-Key", "k-1")
	if first.status != http.StatusCreated {
		t.Fatalf("submit: %d %v", first.status, first.body)
	}
	id := first.body["id"].(string)
	another := complaint()
	another["product"] = "tv"
	other := c.do(t, "POST", "/v1/complaints", "crm-token", another, "Idempotency-Key", "k-2")
	otherToken := other.body["customer_token"].(string)

	bad := complaint()
	bad["channel"] = "pigeon"
	differs := complaint()
	differs["description"] = "Something else entirely"

	cases := []struct {
		name, method, path, token string
		body                      any
		header                    []string
		status                    int
		field                     string
	}{
		{"submit without a token", "POST", "/v1/complaints", "", complaint(), nil, 401, ""},
		{"submit with an unknown token", "POST", "/v1/complaints", "nope", complaint(), nil, 401, ""},
		{"submit as an agent", "POST", "/v1/complaints", "agent-token", complaint(), nil, 403, ""},
		{"submit an unknown channel", "POST", "/v1/complaints", "crm-token", bad, nil, 400, "channel"},
		{"reuse a key for another complaint", "POST", "/v1/complaints", "crm-token", differs, []string{"Idempotency-Key", "k-1"}, 422, "Idempotency-Key"},
		{"show without a token", "GET", "/v1/complaints/" + id, "", nil, nil, 401, ""},
		{"show as an approver", "GET", "/v1/complaints/" + id, "approver-tok", nil, nil, 403, ""},
		{"show another customer's complaint", "GET", "/v1/complaints/" + id, otherToken, nil, nil, 403, ""},
		{"timeline of another customer's complaint", "GET", "/v1/complaints/" + id + "/timeline", otherToken, nil, nil, 403, ""},
		{"show an unknown complaint", "GET", "/v1/complaints/0193e6a0-0000-7000-8000-000000000001", "agent-token", nil, nil, 404, ""},
		{"show a malformed id", "GET", "/v1/complaints/not-an-id", "agent-token", nil, nil, 404, ""},
		{"timeline of an unknown complaint", "GET", "/v1/complaints/0193e6a0-0000-7000-8000-000000000001/timeline", "auditor-token", nil, nil, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.do(t, tc.method, tc.path, tc.token, tc.body, tc.header...)
			if res.status != tc.status || fieldOf(res) != tc.field {
				t.Fatalf("answered %d (field %q) %v, want %d (field %q)", res.status, fieldOf(res), res.body, tc.status, tc.field)
			}
		})
	}
	// Nothing refused was written.
	if events, _ := c.log.ReadTimeline(context.Background(), id); len(events) != 3 {
		t.Fatalf("complaint has %d events after refusals", len(events))
	}
}

func TestSubmitAndShowOverNATS(t *testing.T) {
	c := start(t)
	_, url := natsservertest.RunForTest(t)
	nc := natsservertest.ConnectForTest(t, url)
	svc, err := adapters.NATS{App: c.app, Verifier: staff}.Serve(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	request := func(subject, token string, body []byte) *nats.Msg {
		t.Helper()
		msg := nats.NewMsg(subject)
		msg.Data = body
		if token != "" {
			msg.Header.Set("Authorization", "Bearer "+token)
		}
		reply, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}

	body, _ := json.Marshal(complaint())
	// A submission needs the token of an intake system, as over HTTP.
	for token, code := range map[string]string{"": "401", "nonsense": "401", "agent-token": "403"} {
		if reply := request(adapters.SubjectSubmit, token, body); reply.Header.Get("Nats-Service-Error-Code") != code {
			t.Fatalf("submission with %q answered %v %s, want %s", token, reply.Header, reply.Data, code)
		}
	}
	msg := nats.NewMsg(adapters.SubjectSubmit)
	msg.Data = body
	msg.Header.Set("Idempotency-Key", "nats-1")
	msg.Header.Set("Authorization", "Bearer crm-token")
	reply, err := nc.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(reply.Data, &out); err != nil || reply.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("submit reply %q %v: %v", reply.Data, reply.Header, err)
	}
	id, _ := out["id"].(string)
	events, err := c.log.ReadTimeline(context.Background(), id)
	if err != nil || len(events) != 3 || events[0].Metadata.Actor != "system:crm" {
		t.Fatalf("events %v, %v", events, err)
	}

	// The same key with another body is refused, as over HTTP.
	differs := complaint()
	differs["description"] = "Something else"
	msg = nats.NewMsg(adapters.SubjectSubmit)
	msg.Data, _ = json.Marshal(differs)
	msg.Header.Set("Idempotency-Key", "nats-1")
	msg.Header.Set("Authorization", "Bearer crm-token")
	if reply, err = nc.RequestMsg(msg, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if code := reply.Header.Get("Nats-Service-Error-Code"); code != "422" {
		t.Fatalf("reused key answered %q: %s", code, reply.Data)
	}

	// An unknown complaint is a 404, not an internal error.
	reply = request(adapters.SubjectShow, "agent-token", []byte(`{"id":"0193e6a0-0000-7000-8000-000000000001"}`))
	if code := reply.Header.Get("Nats-Service-Error-Code"); code != "404" {
		t.Fatalf("unknown complaint answered %q: %s", code, reply.Data)
	}
	reply = request(adapters.SubjectShow, "agent-token", []byte(`{"id":"`+id+`"}`))
	if reply.Header.Get("Nats-Service-Error-Code") != "" || !bytes.Contains(reply.Data, []byte("Ada Lovelace")) {
		t.Fatalf("show reply %s", reply.Data)
	}
	// The personal data it shows is not for a token without a role that
	// reads complaints (an approver's), nor for a request without one.
	for token, code := range map[string]string{"": "401", "approver-tok": "403"} {
		reply = request(adapters.SubjectShow, token, []byte(`{"id":"`+id+`"}`))
		if reply.Header.Get("Nats-Service-Error-Code") != code || bytes.Contains(reply.Data, []byte("Ada Lovelace")) {
			t.Fatalf("show with %q answered %v %s, want %s", token, reply.Header, reply.Data, code)
		}
	}
}
