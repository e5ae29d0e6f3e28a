package client_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/complaintflow/complaintflow/tools/client"
)

// TestEachCallSendsTheTokenOfTheRoleItNeeds checks the bearer token of
// every call against a stand-in API that records them.
func TestEachCallSendsTheTokenOfTheRoleItNeeds(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v1/complaints" {
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("submission sent as %q", ct)
			}
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "status": "acknowledged", "customer_token": "cap-c1"})
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()

	c := client.New(srv.URL, 1)
	c.Auth = client.Credentials{ByRole: map[string]string{
		client.RoleIntakeSystem: "tok-intake", client.RoleAgent: "tok-agent", client.RoleProcessOwner: "tok-owner",
	}}
	ctx := testContext(t)
	sub, err := c.Submit(ctx, sample, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if sub.CustomerToken != "cap-c1" {
		t.Fatalf("submission result has customer token %q", sub.CustomerToken)
	}
	mustOK := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustOK(c.Case(ctx, "c1"))
	mustOK(c.Resolve(ctx, "c1", client.ResolveRequest{Outcome: client.OutcomeUpheld}))
	mustOK(c.Answer(ctx, "c1", client.AnswerRequest{}))
	mustOK(c.Answer(ctx, "c2", client.AnswerRequest{}))
	mustOK(c.RootCauseReport(ctx))

	want := map[string]string{
		"POST /v1/complaints":          "Bearer tok-intake",
		"GET /v1/cases/c1":             "Bearer tok-agent",
		"POST /v1/cases/c1/resolution": "Bearer tok-agent",
		"POST /v1/followups/c1/answer": "Bearer cap-c1",
		"POST /v1/followups/c2/answer": "Bearer tok-agent",
		"GET /v1/reports/root-causes":  "Bearer tok-owner",
	}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s sent %q, want %q", k, seen[k], v)
		}
	}

	// One token for everything overrides the roles, customer steps too.
	c = client.New(srv.URL, 1)
	c.Auth = client.Credentials{Token: "tok-sso"}
	c.CustomerToken("c1", "cap-c1")
	mustOK(c.Answer(ctx, "c1", client.AnswerRequest{}))
	if got := seen["POST /v1/followups/c1/answer"]; got != "Bearer tok-sso" {
		t.Errorf("with COMPLAINTS_TOKEN the answer sent %q", got)
	}

	// No credentials: no header at all.
	mustOK(client.New(srv.URL, 1).Case(ctx, "c1"))
	if got := seen["GET /v1/cases/c1"]; got != "" {
		t.Errorf("without credentials sent %q", got)
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dev-tokens.json")
	if err := os.WriteFile(file, []byte(`{"agent":"tok-agent","intake-system":"tok-intake"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COMPLAINTS_TOKEN", "")
	t.Setenv("COMPLAINTS_TOKENS_FILE", file)
	cr, err := client.LoadCredentials()
	if err != nil || cr.For(client.RoleAgent) != "tok-agent" || cr.For(client.RoleAuditor) != "" {
		t.Fatalf("from the file: %+v, %v", cr, err)
	}
	t.Setenv("COMPLAINTS_TOKEN", "tok-sso")
	if cr, err = client.LoadCredentials(); err != nil || cr.For(client.RoleAgent) != "tok-sso" {
		t.Fatalf("from COMPLAINTS_TOKEN: %+v, %v", cr, err)
	}
	t.Setenv("COMPLAINTS_TOKEN", "")
	t.Setenv("COMPLAINTS_TOKENS_FILE", filepath.Join(dir, "missing.json"))
	if _, err = client.LoadCredentials(); err == nil {
		t.Fatal("a named file that does not exist gave no error")
	}
	// The default file, relative to the working directory, may be absent.
	t.Setenv("COMPLAINTS_TOKENS_FILE", "")
	t.Chdir(dir)
	if cr, err = client.LoadCredentials(); err != nil || cr.Token != "" || len(cr.ByRole) != 0 {
		t.Fatalf("no default file: %+v, %v", cr, err)
	}
	if err := os.Mkdir("data", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(client.DefaultTokensFile, []byte(`not json`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = client.LoadCredentials(); err == nil || !strings.Contains(err.Error(), "dev-tokens.json") {
		t.Fatalf("a broken default file: %v", err)
	}
}

func TestA429IsSentAgainAfterRetryAfter(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"type":"` + client.TypeRateLimited + `","title":"Too many requests","status":429}`))
			return
		}
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"team":"t1"`) {
			t.Errorf("the retry lost its body: %s", body)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"complaint_id":"c1"}`))
	}))
	defer srv.Close()
	cs, err := client.New(srv.URL, 1).Assign(testContext(t), "c1", client.AssignRequest{Team: "t1"})
	if err != nil || cs.ComplaintID != "c1" || calls.Load() != 2 {
		t.Fatalf("case %+v, err %v after %d calls", cs, err, calls.Load())
	}
}
