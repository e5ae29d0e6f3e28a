package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/adapters"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
)

// streamTypes lists the short types of a stream's events.
func (c *component) streamTypes(t *testing.T, stream string) []string {
	t.Helper()
	events, err := c.log.ReadStream(context.Background(), stream, 0)
	if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, es.ShortType(e.Type))
	}
	return out
}

// record appends an event of another service, as it would arrive, and
// returns it as recorded.
func (c *component) record(t *testing.T, stream, complaintID, service string, m proto.Message) eventlog.RecordedEvent {
	t.Helper()
	data, err := es.Encode(uuid.NewString(), m, eventlog.Metadata{ComplaintID: complaintID, Service: service, RecordedAt: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.log.Append(context.Background(), stream, eventlog.Any(), data); err != nil {
		t.Fatal(err)
	}
	events, _ := c.log.ReadStream(context.Background(), stream, 0)
	return events[len(events)-1]
}

func effortOf(t *testing.T, r response) map[string]any {
	t.Helper()
	e, ok := r.body["effort"].(map[string]any)
	if !ok {
		t.Fatalf("no effort in %v", r.body)
	}
	return e
}

func TestASecondSubmissionWhileOpenIsARepeatContact(t *testing.T) {
	c := start(t)
	first := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	if first.status != http.StatusCreated || first.body["repeat_contact"] != nil {
		t.Fatalf("first: %d %v", first.status, first.body)
	}
	id := first.body["id"].(string)
	before := time.Now().UTC()
	time.Sleep(2 * time.Millisecond) // so that as_of falls between the two

	again := complaint()
	again["channel"] = "phone"
	again["description"] = "I am calling because it is still down"
	second := c.do(t, "POST", "/v1/complaints", "crm-token", again, "Idempotency-Key", "call-1")
	if second.status != http.StatusOK || second.body["id"] != id || second.body["repeat_contact"] != true ||
		second.body["reference"] != first.body["reference"] {
		t.Fatalf("repeat: %d %v", second.status, second.body)
	}
	// A retry of the repeat contact records nothing new.
	retry := c.do(t, "POST", "/v1/complaints", "crm-token", again, "Idempotency-Key", "call-1")
	if retry.status != http.StatusOK || retry.body["id"] != id || retry.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %v %v", retry.status, retry.header, retry.body)
	}
	// Another product is another complaint.
	tv := complaint()
	tv["product"] = "tv"
	if r := c.do(t, "POST", "/v1/complaints", "crm-token", tv); r.status != http.StatusCreated || r.body["id"] == id {
		t.Fatalf("other product: %d %v", r.status, r.body)
	}

	view := c.do(t, "GET", "/v1/complaints/"+id, "agent-token", nil)
	e := effortOf(t, view)
	if e["contacts"] != 2.0 || e["repeat_contacts"] != 1.0 || e["channel_switches"] != 1.0 {
		t.Fatalf("effort %v", e)
	}
	types := c.streamTypes(t, "complaint-"+id)
	if strings.Join(types, ",") != "ComplaintReceived,ComplaintAcknowledged,NotificationRequested,RepeatContactRecorded" {
		t.Fatalf("complaint stream %v", types)
	}
	if types := c.streamTypes(t, "customer-cust-1"); len(types) != 2 { // two complaints opened
		t.Fatalf("customer stream %v", types)
	}

	// As of before the repeat contact, the view shows none.
	old := c.do(t, "GET", "/v1/complaints/"+id+"?as_of="+url.QueryEscape(before.Format(time.RFC3339Nano)), "agent-token", nil)
	if e := effortOf(t, old); old.status != http.StatusOK || e["repeat_contacts"] != 0.0 {
		t.Fatalf("as of: %d %v", old.status, old.body)
	}
	tl := c.do(t, "GET", "/v1/complaints/"+id+"/timeline?as_of="+url.QueryEscape(before.Format(time.RFC3339Nano)), "agent-token", nil)
	if steps, _ := tl.body["steps"].([]any); len(steps) != 3 {
		t.Fatalf("timeline as of: %v", tl.body)
	}
	early := c.do(t, "GET", "/v1/complaints/"+id+"?as_of=2000-01-01T00:00:00Z", "agent-token", nil)
	if early.status != http.StatusNotFound {
		t.Fatalf("as of before receipt: %d %v", early.status, early.body)
	}
	for _, path := range []string{"/v1/complaints/" + id + "?as_of=yesterday", "/v1/complaints/" + id + "/timeline?as_of=2026-13-01"} {
		bad := c.do(t, "GET", path, "agent-token", nil)
		if bad.status != http.StatusBadRequest || fieldOf(bad) != "as_of" || bad.body["help"] != httpx.Help() || bad.body["action"] == "" {
			t.Fatalf("%s: %d %v", path, bad.status, bad.body)
		}
	}
}

func TestSimultaneousSubmissionsOfOneCustomerOpenOneComplaint(t *testing.T) {
	c := start(t)
	const n = 8
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := complaint()
			body["description"] = "attempt " + string(rune('a'+i))
			results[i] = c.do(t, "POST", "/v1/complaints", "crm-token", body)
		}()
	}
	wg.Wait()
	created, ids := 0, map[any]bool{}
	for _, r := range results {
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			if r.body["repeat_contact"] != true {
				t.Fatalf("200 without repeat_contact: %v", r.body)
			}
		default:
			t.Fatalf("answered %d %v", r.status, r.body)
		}
		ids[r.body["id"]] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Fatalf("%d complaints created, %d ids", created, len(ids))
	}
	for id := range ids {
		e := effortOf(t, c.do(t, "GET", "/v1/complaints/"+id.(string), "agent-token", nil))
		if e["repeat_contacts"] != float64(n-1) {
			t.Fatalf("effort %v", e)
		}
	}
}

func TestAComplaintAfterClosureIsARecontactAndAReopenTakesRepeatContactsAgain(t *testing.T) {
	c := start(t)
	first := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	id := first.body["id"].(string)
	// Follow-up closes it. No consumer tells the index: the next submission
	// finds the closure in the log and indexes it first.
	c.record(t, "followup-"+id, id, "followup", &complaintsv1.ComplaintClosed{ComplaintId: id, Reason: "no-response",
		ClosedAt: timestamppb.New(now.Add(-time.Hour)), CustomerId: "cust-1", Product: "broadband"})
	if types := c.streamTypes(t, "customer-cust-1"); len(types) != 1 {
		t.Fatalf("customer stream before the next submission: %v", types)
	}
	second := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	if second.status != http.StatusCreated || second.body["id"] == id || second.body["recontact_of"] != id {
		t.Fatalf("after closure: %d %v", second.status, second.body)
	}
	newID := second.body["id"].(string)
	if v := c.do(t, "GET", "/v1/complaints/"+newID, "agent-token", nil); v.body["recontact_of"] != id {
		t.Fatalf("view: %v", v.body)
	}
	// The old complaint is reopened (an agent found it was not fixed):
	// repeat contacts go to the newest open complaint about the product.
	reopened := c.record(t, "case-"+id, id, "resolution", &complaintsv1.CaseReopened{ComplaintId: id, Reason: "not fixed",
		ReopenedAt: timestamppb.New(now.Add(2 * time.Hour)), Reopens: 1})
	index := adapters.OnCaseReopened(c.app)
	for range 2 { // redelivered: indexed once
		if err := index(context.Background(), reopened); err != nil {
			t.Fatal(err)
		}
	}
	if types := c.streamTypes(t, "customer-cust-1"); strings.Join(types, ",") != "CustomerComplaintIndexed,CustomerComplaintIndexed,CustomerComplaintIndexed,CustomerComplaintIndexed" {
		t.Fatalf("customer stream %v", types)
	}
	third := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	if third.status != http.StatusOK || third.body["id"] != newID {
		t.Fatalf("third: %d %v", third.status, third.body)
	}
}

func TestACustomerWithoutAnIDIsMatchedByTheFingerprintOfTheirEmail(t *testing.T) {
	c := start(t)
	body := complaint()
	body["customer"] = map[string]any{"name": "Ann Lee", "email": "Ann@Example.com"}
	first := c.do(t, "POST", "/v1/complaints", "crm-token", body)
	if first.status != http.StatusCreated {
		t.Fatalf("first: %d %v", first.status, first.body)
	}
	body["customer"] = map[string]any{"name": "Ann Lee", "email": "ann@example.com"}
	second := c.do(t, "POST", "/v1/complaints", "crm-token", body)
	if second.status != http.StatusOK || second.body["id"] != first.body["id"] {
		t.Fatalf("second: %d %v", second.status, second.body)
	}
	view := c.do(t, "GET", "/v1/complaints/"+first.body["id"].(string), "agent-token", nil)
	cust := view.body["customer"].(map[string]any)
	if id, _ := cust["id"].(string); !strings.HasPrefix(id, "fp-") || cust["email"] != "Ann@Example.com" {
		t.Fatalf("customer %v", cust)
	}
	// The log holds the fingerprint, never the address.
	events, _ := c.log.ReadTimeline(context.Background(), first.body["id"].(string))
	for _, e := range events {
		if strings.Contains(strings.ToLower(string(e.Data)), "ann@example.com") {
			t.Fatalf("%s holds the clear address", e.Type)
		}
	}
}

func TestValidationNamesTheFieldAndRecordsNothing(t *testing.T) {
	c := start(t)
	with := func(f func(map[string]any)) map[string]any {
		b := complaint()
		f(b)
		return b
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"unknown product", with(func(b map[string]any) { b["product"] = "spaceship" }), 422, "product"},
		{"unknown field", with(func(b map[string]any) { b["priority"] = "high" }), 400, "priority"},
		{"unknown nested field", with(func(b map[string]any) { b["disputed_amount"] = map[string]any{"amount": 5} }), 400, "disputed_amount.amount"},
		{"bad customer id", with(func(b map[string]any) { b["customer"].(map[string]any)["id"] = "cust 1" }), 400, "customer.id"},
		{"no contact", with(func(b map[string]any) { delete(b["customer"].(map[string]any), "email") }), 400, "customer.email"},
		{"bad phone", with(func(b map[string]any) { b["customer"].(map[string]any)["phone"] = "call me" }), 400, "customer.phone"},
		{"zero amount", with(func(b map[string]any) { b["disputed_amount"] = map[string]any{"amount_minor": 0, "currency": "GBP"} }), 400, "disputed_amount.amount_minor"},
		{"bad currency", with(func(b map[string]any) {
			b["disputed_amount"] = map[string]any{"amount_minor": 100, "currency": "pounds"}
		}), 400, "disputed_amount.currency"},
		{"detail without vulnerability", with(func(b map[string]any) { b["vulnerability"] = map[string]any{"vulnerable": false, "detail": "x"} }), 400, "vulnerability.detail"},
		{"long description", with(func(b map[string]any) { b["description"] = strings.Repeat("x", adapters.MaxDescription+1) }), 400, "description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(t, "POST", "/v1/complaints", "crm-token", tc.body)
			if r.status != tc.status || fieldOf(r) != tc.field || r.body["action"] == nil || r.body["help"] == nil {
				t.Fatalf("answered %d (field %q) %v, want %d (field %q)", r.status, fieldOf(r), r.body, tc.status, tc.field)
			}
		})
	}
	big := map[string]any{"description": strings.Repeat("x", httpx.MaxBodyBytes)}
	if r := c.do(t, "POST", "/v1/complaints", "crm-token", big); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", r.status)
	}
	if types := c.streamTypes(t, "customer-cust-1"); len(types) != 0 {
		t.Fatalf("a refused submission was indexed: %v", types)
	}

	full := with(func(b map[string]any) {
		b["customer"].(map[string]any)["phone"] = "+44 20 7946 0000"
		b["disputed_amount"] = map[string]any{"amount_minor": 4599, "currency": "GBP"}
		b["vulnerability"] = map[string]any{"vulnerable": true, "detail": "recently bereaved"}
	})
	r := c.do(t, "POST", "/v1/complaints", "crm-token", full)
	if r.status != http.StatusCreated {
		t.Fatalf("full: %d %v", r.status, r.body)
	}
	v := c.do(t, "GET", "/v1/complaints/"+r.body["id"].(string), "agent-token", nil)
	raw, _ := json.Marshal(v.body)
	for _, want := range []string{`"phone":"+44 20 7946 0000"`, `"amount_minor":4599`, `"currency":"GBP"`, `"detail":"recently bereaved"`, `"product_category":"connectivity"`} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("view lacks %s: %s", want, raw)
		}
	}
}

func TestErasureAndSubjectAccess(t *testing.T) {
	c := start(t)
	first := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	id := first.body["id"].(string)
	again := complaint()
	again["description"] = "Still nothing"
	c.do(t, "POST", "/v1/complaints", "crm-token", again)

	for _, tc := range []struct{ method, path, token string }{
		{"GET", "/v1/customers/cust-1/personal-data", "agent-token"},
		{"DELETE", "/v1/customers/cust-1/personal-data", "auditor-token"},
		{"DELETE", "/v1/customers/cust-1/personal-data", "agent-token"},
	} {
		if r := c.do(t, tc.method, tc.path, tc.token, nil); r.status != http.StatusForbidden {
			t.Fatalf("%s %s as %s: %d", tc.method, tc.path, tc.token, r.status)
		}
	}
	held := c.do(t, "GET", "/v1/customers/cust-1/personal-data", "auditor-token", nil)
	raw, _ := json.Marshal(held.body)
	if held.status != http.StatusOK || held.body["erased"] != false || !strings.Contains(string(raw), `"name":"Ada Lovelace"`) ||
		!strings.Contains(string(raw), `"said":"Still nothing"`) {
		t.Fatalf("export: %d %s", held.status, raw)
	}
	if r := c.do(t, "GET", "/v1/customers/nobody/personal-data", "auditor-token", nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown customer: %d", r.status)
	}

	erased := c.do(t, "DELETE", "/v1/customers/cust-1/personal-data?reason=customer-request", "admin-token", nil)
	if erased.status != http.StatusOK || erased.body["customer_id"] != "cust-1" {
		t.Fatalf("erase: %d %v", erased.status, erased.body)
	}
	if ids, _ := erased.body["complaint_ids"].([]any); len(ids) != 1 || ids[0] != id {
		t.Fatalf("erased complaints %v", erased.body)
	}
	again2 := c.do(t, "DELETE", "/v1/customers/cust-1/personal-data", "admin-token", nil)
	if again2.status != http.StatusOK || again2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("erase again: %d %v", again2.status, again2.header)
	}
	if types := c.streamTypes(t, "customer-cust-1"); types[len(types)-1] != "CustomerPersonalDataErased" || len(types) != 2 {
		t.Fatalf("customer stream %v", types)
	}
	view := c.do(t, "GET", "/v1/complaints/"+id, "agent-token", nil)
	if cust := view.body["customer"].(map[string]any); cust["name"] != "[erased]" || cust["email"] != "[erased]" {
		t.Fatalf("view after erasure: %v", cust)
	}
	if e := effortOf(t, view); e["repeat_contacts"] != 1.0 {
		t.Fatalf("counts lost: %v", e)
	}
	if tl := c.do(t, "GET", "/v1/complaints/"+id+"/timeline", "auditor-token", nil); len(tl.body["steps"].([]any)) != 4 {
		t.Fatalf("timeline after erasure: %v", tl.body)
	}
	held = c.do(t, "GET", "/v1/customers/cust-1/personal-data", "auditor-token", nil)
	raw, _ = json.Marshal(held.body)
	if held.body["erased"] != true || strings.Contains(string(raw), "Ada") || !strings.Contains(string(raw), `"name":"[erased]"`) {
		t.Fatalf("export after erasure: %s", raw)
	}
	if r := c.do(t, "DELETE", "/v1/customers/nobody/personal-data", "admin-token", nil); r.status != http.StatusNotFound {
		t.Fatalf("erase unknown: %d", r.status)
	}
}

func TestARepeatContactOverNATS(t *testing.T) {
	c := start(t)
	_, natsURL := natsservertest.RunForTest(t)
	nc := natsservertest.ConnectForTest(t, natsURL)
	svc, err := adapters.NATS{App: c.app, Verifier: staff}.Serve(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	request := func(body any, key string) (map[string]any, *nats.Msg) {
		msg := nats.NewMsg(adapters.SubjectSubmit)
		msg.Data, _ = json.Marshal(body)
		msg.Header.Set("Authorization", "Bearer crm-token")
		if key != "" {
			msg.Header.Set("Idempotency-Key", key)
		}
		reply, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.Unmarshal(reply.Data, &out)
		return out, reply
	}
	first, _ := request(complaint(), "")
	second, reply := request(complaint(), "n-2")
	if second["id"] != first["id"] || second["repeat_contact"] != true || reply.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("repeat over NATS: %v %v", second, reply.Header)
	}
	bad := complaint()
	bad["product"] = "spaceship"
	out, reply := request(bad, "")
	if reply.Header.Get("Nats-Service-Error-Code") != "422" || out["help"] == nil || out["action"] == nil {
		t.Fatalf("unknown product over NATS: %v %v", out, reply.Header)
	}
	show := nats.NewMsg(adapters.SubjectShow)
	show.Data = []byte(`{"id":"` + first["id"].(string) + `","as_of":"soon"}`)
	show.Header.Set("Authorization", "Bearer agent-token")
	if reply, err := nc.RequestMsg(show, 5*time.Second); err != nil ||
		reply.Header.Get("Nats-Service-Error-Code") != "400" {
		t.Fatalf("bad as_of over NATS: %v %v", reply, err)
	}
}

func TestAnOpeningWhoseComplaintWasNeverRecordedIsAbandoned(t *testing.T) {
	c := start(t)
	// A submission died after indexing its complaint, a minute ago.
	lost := uuid.NewString()
	c.record(t, "customer-cust-1", lost, "intake", &complaintsv1.CustomerComplaintIndexed{CustomerId: "cust-1", ComplaintId: lost,
		Product: "broadband", Change: "opened", At: timestamppb.New(now.Add(-time.Minute)), Channel: "web"})
	r := c.do(t, "POST", "/v1/complaints", "crm-token", complaint())
	if r.status != http.StatusCreated || r.body["id"] == lost {
		t.Fatalf("submit: %d %v", r.status, r.body)
	}
	if types := c.streamTypes(t, "customer-cust-1"); len(types) != 3 {
		t.Fatalf("customer stream %v", types)
	}
	events, _ := c.log.ReadStream(context.Background(), "customer-cust-1", 0)
	m, _ := es.Decode(events[1])
	if a := m.(*complaintsv1.CustomerComplaintIndexed); a.Change != "abandoned" || a.ComplaintId != lost {
		t.Fatalf("second index event %v", a)
	}
}
