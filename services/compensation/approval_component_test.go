package compensation_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// postKeyed posts body with an Idempotency-Key and returns the answer's
// status, body and headers.
func (c *component) postKeyed(path, token, key string, body any) (int, map[string]any, http.Header) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	rec := httptest.NewRecorder()
	c.http.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		c.t.Fatalf("POST %s: %d %q is not JSON", path, rec.Code, rec.Body.String())
	}
	return rec.Code, out, rec.Result().Header
}

// An approval retried with its Idempotency-Key (a lost answer) is answered
// as the first was, records nothing twice, and says it is a replay; the key
// cannot carry another decision.
func TestARetriedApprovalWithItsKeyIsAnsweredAsTheFirst(t *testing.T) {
	dir := t.TempDir()
	file := `version: "acme-3"
auto_approve_limit_minor: 3000
rules:
  - id: outage-distress
    outcome: upheld
    root_causes: [network.*]
    kind: distress_and_inconvenience
    amount_minor: 5000
    currency: EUR
`
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	id := uuid.NewString()
	if _, err := c.resolve(id, complaintsv1.Outcome_OUTCOME_UPHELD, "broadband", "network.outage"); err != nil {
		t.Fatal(err)
	}
	path := "/v1/redress/" + id + "/approval"
	code, first, h := c.postKeyed(path, "approver-token", "approve-1", map[string]any{"decision": "approve"})
	if code != 200 || first["status"] != "issuing" || first["approved_by"] != "agent:boss-1" || h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("approval: %d %v %v", code, first, h)
	}
	recorded := types(c.redressEvents(id))

	code, again, h := c.postKeyed(path, "approver-token", "approve-1", map[string]any{"decision": "approve"})
	if code != 200 || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retried approval: %d %v %v, want 200 replayed", code, again, h)
	}
	if again["status"] != first["status"] || again["approved_by"] != first["approved_by"] || again["amount_minor"] != first["amount_minor"] {
		t.Fatalf("the retry answered %v, the first %v", again, first)
	}
	if got := types(c.redressEvents(id)); strings.Join(got, ",") != strings.Join(recorded, ",") {
		t.Fatalf("events after the retry %v, before %v", got, recorded)
	}

	// The same key for another decision, or by another approver, is a
	// reused key; a new key is a second approval.
	code, out, _ := c.postKeyed(path, "approver-token", "approve-1", map[string]any{"decision": "reject", "reason": "changed my mind"})
	if code != 422 || out["type"] != "https://complaintflow.dev/problems/idempotency-key-reused" {
		t.Fatalf("a rejection under the approval's key: %d %v", code, out)
	}
	if code, out, _ := c.postKeyed(path, "resolver-approver-token", "approve-1", map[string]any{"decision": "approve"}); code != 422 {
		t.Fatalf("another approver under the same key: %d %v", code, out)
	}
	if code, out, _ := c.postKeyed(path, "approver-token", "approve-2", map[string]any{"decision": "approve"}); code != 409 {
		t.Fatalf("a second approval under a new key: %d %v", code, out)
	}
	if got := types(c.redressEvents(id)); strings.Join(got, ",") != strings.Join(recorded, ",") {
		t.Fatalf("events after the refusals %v, before %v", got, recorded)
	}
}
