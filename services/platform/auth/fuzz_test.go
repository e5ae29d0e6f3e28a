package auth_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// fuzzSeed makes the customer-token key the same on every run, so the
// committed corpus holds tokens that verify.
var fuzzSeed = []byte("complaintflow-fuzz-key-32-bytes!")

// FuzzAuthorizationHeader sends arbitrary Authorization headers through
// Authenticate and Require over the static and customer verifiers: no
// panic, and nothing passes but the known staff token and the customer
// token of the complaint asked for.
func FuzzAuthorizationHeader(f *testing.F) {
	customers, err := auth.NewCustomerTokens(ed25519.NewKeyFromSeed(fuzzSeed), 100*365*24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	good, err := customers.Issue("cust-1", "c1")
	if err != nil {
		f.Fatal(err)
	}
	const staff = "agent-token-0123456789"
	v := auth.Chain{auth.StaticTokens{staff: {Subject: "a-1", Roles: []auth.Role{auth.RoleAgent}}}, customers}
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Complaint", r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	}
	mux.HandleFunc("POST /v1/followups/{id}/answer", auth.RequireOwnComplaint(ok, "id", auth.RoleAgent))
	h := auth.Authenticate(v, mux)

	for _, s := range []string{"Bearer " + good, "Bearer " + staff, "bearer  " + good + " ", "Basic dXNlcjpwYXNz", "Bearer",
		"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJjdXN0LTEiLCJjb21wbGFpbnRfaWQiOiJjMSJ9.", "Bearer a.b.c", ""} {
		f.Add(s, "c1")
	}
	f.Fuzz(func(t *testing.T, header, complaint string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/followups/x/answer", nil)
		req.URL.Path = "/v1/followups/" + complaint + "/answer"
		req.Header.Set("Authorization", header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			return
		}
		p, verr := v.Verify(context.Background(), tokenOf(header))
		if verr != nil {
			t.Fatalf("passed with %q though the token does not verify: %v", header, verr)
		}
		if p.Subject == "a-1" {
			return
		}
		if p.Subject != "cust-1" || p.ComplaintID != "c1" || w.Header().Get("Complaint") != "c1" {
			t.Fatalf("passed with %q on complaint %q as %+v", header, complaint, p)
		}
	})
}

// tokenOf is the token of an Authorization header the way Authenticate
// reads it.
func tokenOf(h string) string {
	_, token, _ := strings.Cut(h, " ")
	return strings.TrimSpace(token)
}

// FuzzCustomerToken feeds arbitrary strings to the customer token
// verifier: no panic, and whatever passes names a customer and a
// complaint.
func FuzzCustomerToken(f *testing.F) {
	customers, err := auth.NewCustomerTokens(ed25519.NewKeyFromSeed(fuzzSeed), 100*365*24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := customers.Issue("cust-1", "c1")
	for _, s := range []string{good, good + "x", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "", "...."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := customers.Verify(context.Background(), token)
		if err != nil {
			return
		}
		if p.Subject == "" || p.ComplaintID == "" || len(p.Roles) != 1 || p.Roles[0] != auth.RoleCustomer {
			t.Fatalf("%q verified as %+v", token, p)
		}
	})
}
