package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

func TestRolesAndCustomerTokens(t *testing.T) {
	v := auth.StaticTokens{
		"agent-token":    {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
		"auditor-token":  {Subject: "audit", Roles: []auth.Role{auth.RoleAuditor}},
		"customer-token": {Subject: "cust-1", Roles: []auth.Role{auth.RoleCustomer}, ComplaintID: "c1"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/cases/{id}/resolution", auth.Require(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, string(auth.ActorFrom(r.Context())))
	}, auth.RoleAgent))
	mux.HandleFunc("POST /v1/followups/{id}/answer", auth.RequireOwnComplaint(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, string(auth.ActorFrom(r.Context())))
	}, "id", auth.RoleAgent))
	srv := httptest.NewServer(auth.Authenticate(v, mux))
	defer srv.Close()

	for _, tc := range []struct {
		path, token string
		status      int
		body        string
	}{
		{"/v1/cases/c1/resolution", "", http.StatusUnauthorized, ""},
		{"/v1/cases/c1/resolution", "nonsense", http.StatusUnauthorized, ""},
		{"/v1/cases/c1/resolution", "auditor-token", http.StatusForbidden, ""},
		{"/v1/cases/c1/resolution", "agent-token", http.StatusOK, "agent:agent-7"},
		{"/v1/cases/c1/resolution", "customer-token", http.StatusForbidden, ""},
		{"/v1/followups/c1/answer", "customer-token", http.StatusOK, "customer:cust-1"},
		{"/v1/followups/c2/answer", "customer-token", http.StatusForbidden, ""},
		{"/v1/followups/c2/answer", "agent-token", http.StatusOK, "agent:agent-7"},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s with %q: status %d, want %d (%s)", tc.path, tc.token, resp.StatusCode, tc.status, b)
			continue
		}
		if tc.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s with %q: content type %q", tc.path, tc.token, resp.Header.Get("Content-Type"))
		}
		if tc.body != "" && string(b) != tc.body {
			t.Errorf("%s with %q: body %q, want %q", tc.path, tc.token, b, tc.body)
		}
	}
}

// Authorize checks a request that is not HTTP (a NATS request) with the
// same verifier and roles as Require: no header, a malformed one or an
// unknown token is a 401, a token of another role (a customer's too) a 403,
// each with the reason it is counted under; the right role passes, as the
// actor its route would record.
func TestAuthorizeChecksARequestLikeItsRoute(t *testing.T) {
	v := auth.StaticTokens{
		"agent-token":    {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
		"payments-token": {Subject: "payments-gateway", Roles: []auth.Role{auth.RolePayments}},
		"intake-token":   {Subject: "crm", Roles: []auth.Role{auth.RoleIntakeSystem}},
		"customer-token": {Subject: "cust-1", Roles: []auth.Role{auth.RoleCustomer}, ComplaintID: "c1"},
	}
	for _, tc := range []struct {
		header string
		roles  []auth.Role
		status int
		reason string
		actor  string
	}{
		{"", []auth.Role{auth.RolePayments}, 401, auth.ReasonNoToken, ""},
		{"Basic cGF5bWVudHM6", []auth.Role{auth.RolePayments}, 401, auth.ReasonMalformed, ""},
		{"Bearer nonsense", []auth.Role{auth.RolePayments}, 401, auth.ReasonInvalidToken, ""},
		{"Bearer intake-token", []auth.Role{auth.RolePayments}, 403, auth.ReasonMissingRole, ""},
		{"Bearer customer-token", []auth.Role{auth.RoleAgent}, 403, auth.ReasonMissingRole, ""},
		{"Bearer payments-token", []auth.Role{auth.RolePayments}, 0, "", "system:payments-gateway"},
		{"Bearer agent-token", []auth.Role{auth.RoleAgent}, 0, "", "agent:agent-7"},
	} {
		p, refused := auth.Authorize(context.Background(), v, tc.header, "complaints.test", tc.roles...)
		switch {
		case tc.status == 0 && refused != nil:
			t.Errorf("%q: refused %+v", tc.header, refused.Problem)
		case tc.status == 0 && string(p.Actor()) != tc.actor:
			t.Errorf("%q: actor %q, want %q", tc.header, p.Actor(), tc.actor)
		case tc.status != 0 && (refused == nil || refused.Problem.Status != tc.status || refused.Reason != tc.reason):
			t.Errorf("%q: refused %+v, want %d %s", tc.header, refused, tc.status, tc.reason)
		}
	}
	if _, refused := auth.Authorize(context.Background(), nil, "Bearer agent-token", "complaints.test", auth.RoleAgent); refused == nil || refused.Problem.Status != 401 {
		t.Errorf("without a verifier: %+v, want a 401", refused)
	}
}
