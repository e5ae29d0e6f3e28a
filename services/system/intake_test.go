package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	wire "github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// customerIndex returns the changes intake's customer index holds for a
// customer, as "<change>:<complaint id>".
func customerIndex(t *testing.T, log eventlog.Log, customerID string) []string {
	t.Helper()
	events, err := log.ReadStream(context.Background(), "customer-"+customerID, 0)
	if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		m, err := es.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *complaintsv1.CustomerComplaintIndexed:
			out = append(out, m.Change+":"+m.ComplaintId)
		case *complaintsv1.CustomerPersonalDataErased:
			out = append(out, "erased")
		}
	}
	return out
}

// filesHolding lists the files under dir whose bytes contain s.
func filesHolding(t *testing.T, dir string, s string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRepeatContactsRecontactsAndErasureWithTheWholeSystem(t *testing.T) {
	dir := t.TempDir()
	s := startSystem(t, dir)
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	a := api{t: t, addr: oneAddress(s.Addr())}

	// A repeat contact, through another channel, while the complaint is open.
	var first, repeat submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &first)
	again := map[string]any{}
	for k, v := range sampleComplaint {
		again[k] = v
	}
	again["channel"] = "phone"
	again["description"] = "Calling again: still no service"
	status, header, body := a.do(http.MethodPost, "/v1/complaints", again, map[string]string{"Idempotency-Key": "call-centre-1"})
	if status != http.StatusOK || header.Get("Location") != "/v1/complaints/"+first.ID {
		t.Fatalf("repeat contact: %d %s", status, body)
	}
	mustUnmarshal(t, body, &repeat)
	if repeat.ID != first.ID {
		t.Fatalf("repeat contact answered %+v", repeat)
	}
	view := a.eventually("/v1/complaints/"+first.ID, func(b map[string]any) bool { return b["case"] != nil })
	effort := view["effort"].(map[string]any)
	if effort["contacts"] != 2.0 || effort["repeat_contacts"] != 1.0 || effort["channel_switches"] != 1.0 {
		t.Fatalf("effort %v", effort)
	}

	// Two simultaneous submissions about another product open one complaint.
	tv := map[string]any{}
	for k, v := range sampleComplaint {
		tv[k] = v
	}
	tv["product"] = "tv"
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	ids := make([]string, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _, b := a.tryDo(http.MethodPost, "/v1/complaints", tv)
			var sub submitted
			_ = jsonUnmarshal(b, &sub)
			statuses[i], ids[i] = st, sub.ID
		}()
	}
	wg.Wait()
	created := 0
	for i, st := range statuses {
		if st == http.StatusCreated {
			created++
		} else if st != http.StatusOK {
			t.Fatalf("simultaneous submission answered %d", st)
		}
		if ids[i] != ids[0] {
			t.Fatalf("simultaneous submissions landed on %v", ids)
		}
	}
	if created != 1 {
		t.Fatalf("%d of the simultaneous submissions opened a complaint", created)
	}

	// The broadband complaint is resolved and closed; the customer comes
	// back about broadband within the window: a new complaint, a recontact.
	a.eventually("/v1/cases/"+first.ID, nil)
	a.call(http.MethodPost, "/v1/cases/"+first.ID+"/resolution", map[string]any{
		"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange fault fixed", "agent": "a-7",
	}, http.StatusOK, nil)
	a.eventually("/v1/followups/"+first.ID, nil)
	a.as(first.CustomerToken).call(http.MethodPost, "/v1/followups/"+first.ID+"/answer", map[string]any{
		"csat": 4, "effort": 3, "resolved": true,
	}, http.StatusOK, nil)
	a.eventually("/v1/complaints/"+first.ID, func(b map[string]any) bool { return b["status"] == "closed" })
	var recontact map[string]any
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &recontact)
	if recontact["recontact_of"] != first.ID || recontact["id"] == first.ID {
		t.Fatalf("recontact: %v", recontact)
	}
	testkit.EventuallyNil(t, func() error {
		idx := customerIndex(t, s.Log(), "c-1")
		if len(idx) == 4 && idx[0] == "opened:"+first.ID && idx[2] == "closed:"+first.ID && idx[3] == "opened:"+recontact["id"].(string) {
			return nil
		}
		return fmt.Errorf("customer index %v", idx)
	})

	// Subject access, then erasure: views show [erased], counts stay, and
	// no file of the log ever held the name or the e-mail address.
	auditor, admin := a.as(testTokens["auditor"]), a.as(testTokens["admin"])
	var held wire.PersonalData
	auditor.call(http.MethodGet, "/v1/customers/c-1/personal-data", nil, http.StatusOK, &held)
	if held.Erased || len(held.Complaints) != 3 || held.Complaints[0].Customer.Name != "Ann Lee" ||
		len(held.Complaints[0].RepeatContacts) != 1 {
		t.Fatalf("subject access: %+v", held)
	}
	var erased wire.PersonalDataErased
	admin.call(http.MethodDelete, "/v1/customers/c-1/personal-data?reason=customer-request", nil, http.StatusOK, &erased)
	if len(erased.ComplaintIDs) != 3 {
		t.Fatalf("erasure: %+v", erased)
	}
	var after wire.Complaint
	a.call(http.MethodGet, "/v1/complaints/"+first.ID, nil, http.StatusOK, &after)
	if after.Customer.Name != "[erased]" || after.Customer.Email != "[erased]" || after.Effort.RepeatContacts != 1 {
		t.Fatalf("view after erasure: %+v", after)
	}
	var tl wire.Timeline
	a.call(http.MethodGet, "/v1/complaints/"+first.ID+"/timeline", nil, http.StatusOK, &tl)
	if len(tl.Steps) < 10 {
		t.Fatalf("timeline after erasure: %d steps", len(tl.Steps))
	}
	held = wire.PersonalData{}
	auditor.call(http.MethodGet, "/v1/customers/c-1/personal-data", nil, http.StatusOK, &held)
	if !held.Erased || held.Complaints[0].Customer.Name != "[erased]" {
		t.Fatalf("subject access after erasure: %+v", held)
	}
	auditor.call(http.MethodGet, "/v1/customers/nobody/personal-data", nil, http.StatusNotFound, nil)
	if idx := customerIndex(t, s.Log(), "c-1"); idx[len(idx)-1] != "erased" {
		t.Fatalf("customer index after erasure %v", idx)
	}
	s.Stop() // the scan reads the files as a stopped server left them
	stopped = true
	if found := filesHolding(t, dir, "No service for 3 days"); len(found) == 0 {
		t.Fatal("the scan finds nothing: the log's files are not where it looks")
	}
	customer := sampleComplaint["customer"].(map[string]any)
	for _, secret := range []string{customer["name"].(string), customer["email"].(string)} {
		if found := filesHolding(t, dir, secret); len(found) != 0 {
			t.Errorf("%q in clear in %v", secret, found)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return errors.New("empty body")
	}
	return json.Unmarshal(b, v)
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// TestIntakeAnswersAsDocumented checks intake's new answers against
// docs/api/intake.openapi.yaml: a repeat contact (200), the optional fields
// of a submission, a view as of an instant, subject access and erasure.
func TestIntakeAnswersAsDocumented(t *testing.T) {
	_, ops := oaLoad(t)
	dataDir := t.TempDir()
	s := startSystem(t, dataDir)
	defer s.Stop()
	c := &oaClient{t: t, base: "http://" + s.Addr(), ops: ops, seen: map[string]map[int]bool{}}
	as := func(role string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + testTokens[role]}
	}
	full := map[string]any{
		"customer":        map[string]any{"id": "c-doc", "name": "Ann Lee", "email": "ann@example.com", "phone": "+44 20 7946 0000"},
		"channel":         "web",
		"product":         "broadband",
		"description":     "No service for 3 days",
		"desired_outcome": "a refund",
		"disputed_amount": map[string]any{"amount_minor": 4599, "currency": "GBP"},
		"vulnerability":   map[string]any{"vulnerable": true, "detail": "recently bereaved"},
	}
	r := c.call("POST /v1/complaints", oaBody(t, full), nil)
	if r.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	id, _ := r.json()["id"].(string)
	full["channel"] = "email"
	if r := c.call("POST /v1/complaints", oaBody(t, full), map[string]string{"Idempotency-Key": "doc-repeat"}); r.status != http.StatusOK || r.json()["repeat_contact"] != true {
		t.Fatalf("repeat contact: %d %s", r.status, r.body)
	}
	bad := map[string]any{"customer": map[string]any{"name": "Bo", "email": "bo@example.com"}, "channel": "web", "product": "spaceship", "description": "d"}
	if r := c.call("POST /v1/complaints", oaBody(t, bad), nil); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown product: %d %s", r.status, r.body)
	}
	view := c.eventually("GET /v1/complaints/{id}", func(b map[string]any) bool { return b["case"] != nil }, id)
	if e := view["effort"].(map[string]any); e["repeat_contacts"] != 1.0 {
		t.Fatalf("effort %v", e)
	}
	// The customer's token gets the customer view, as documented, and is
	// refused the timeline.
	customer := map[string]string{"Authorization": "Bearer " + r.json()["customer_token"].(string)}
	if cv := c.call("GET /v1/complaints/{id}", nil, customer, id); cv.status != http.StatusOK || cv.json()["now"] == nil ||
		bytes.Contains(cv.body, []byte(`"agent"`)) || bytes.Contains(cv.body, []byte("Ann Lee")) {
		t.Fatalf("customer view: %d %s", cv.status, cv.body)
	}
	if tl := c.call("GET /v1/complaints/{id}/timeline", nil, customer, id); tl.status != http.StatusForbidden {
		t.Fatalf("timeline with the customer token: %d %s", tl.status, tl.body)
	}
	c.call("GET /v1/complaints/{id}", nil, nil, id+"?as_of="+time.Now().UTC().Format(time.RFC3339Nano))
	if r := c.call("GET /v1/complaints/{id}", nil, nil, id+"?as_of=yesterday"); r.status != http.StatusBadRequest {
		t.Fatalf("bad as_of: %d %s", r.status, r.body)
	}
	c.call("GET /v1/complaints/{id}/timeline", nil, nil, id+"?as_of="+time.Now().UTC().Format(time.RFC3339Nano))
	if r := c.call("GET /v1/customers/{id}/personal-data", nil, as("auditor"), "c-doc"); r.status != http.StatusOK {
		t.Fatalf("subject access: %d %s", r.status, r.body)
	}
	if r := c.call("DELETE /v1/customers/{id}/personal-data", nil, as("admin"), "c-doc"); r.status != http.StatusOK {
		t.Fatalf("erasure: %d %s", r.status, r.body)
	}
	if r := c.call("DELETE /v1/customers/{id}/personal-data", nil, as("admin"), "c-doc"); r.status != http.StatusOK {
		t.Fatalf("erasure again: %d %s", r.status, r.body)
	} else if r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("erasure again is not a replay: %v", r.header)
	}
	if r := c.call("GET /v1/customers/{id}/personal-data", nil, as("auditor"), "c-doc"); r.status != http.StatusOK || r.json()["erased"] != true {
		t.Fatalf("subject access after erasure: %d %s", r.status, r.body)
	}
	if r := c.call("GET /v1/customers/{id}/personal-data", nil, as("auditor"), "nobody"); r.status != http.StatusNotFound {
		t.Fatalf("unknown customer: %d %s", r.status, r.body)
	}
	if r := c.call("GET /v1/customers/{id}/personal-data", nil, nil, "c-doc"); r.status != http.StatusForbidden {
		t.Fatalf("as an agent: %d %s", r.status, r.body)
	}
}
