package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// TestGateChainsDevCustomerAndOIDCTokensAndAuditsDenials runs the whole
// gate the way a host builds it: development tokens, a customer token
// issued at submission, an identity provider's token; and checks that each
// 401 and 403 is logged without the token and counted by route and reason.
func TestGateChainsDevCustomerAndOIDCTokensAndAuditsDenials(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	var logs bytes.Buffer
	prevLog := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prevLog) })

	idp := newProvider(t)
	dir := t.TempDir()
	gate, err := auth.NewGate(context.Background(), auth.Config{
		Meter:     sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		DevTokens: "true", SignsCustomerTokens: true,
		OIDC: auth.OIDCConfig{Issuer: testIssuer, JWKSURL: idp.srv.URL, Audience: testAudience},
	}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	if gate.DevTokensFile != filepath.Join(dir, auth.DevTokensFile) {
		t.Fatalf("dev tokens file %q", gate.DevTokensFile)
	}
	dev, err := auth.ReadDevTokens(gate.DevTokensFile)
	if err != nil {
		t.Fatal(err)
	}
	customer, err := gate.Customers.Issue("cust-1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	sso := idp.sign("rsa-1", nil)

	mux := http.NewServeMux()
	echo := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, string(auth.ActorFrom(r.Context())))
	}
	mux.HandleFunc("POST /v1/complaints", auth.Require(echo, auth.RoleIntakeSystem))
	mux.HandleFunc("POST /v1/cases/{id}/resolution", auth.Require(echo, auth.RoleAgent))
	mux.HandleFunc("POST /v1/followups/{id}/answer", auth.RequireOwnComplaint(echo, "id", auth.RoleAgent))
	mux.HandleFunc("GET /healthz", echo)
	srv := httptest.NewServer(gate.Handler(mux))
	defer srv.Close()

	for _, tc := range []struct {
		method, path, header string
		status               int
		body                 string
	}{
		{"POST", "/v1/complaints", "Bearer " + dev[auth.RoleIntakeSystem], 200, "system:dev-intake-system"},
		{"POST", "/v1/cases/c1/resolution", "Bearer " + dev[auth.RoleAgent], 200, "agent:dev-agent"},
		{"POST", "/v1/cases/c1/resolution", "Bearer " + sso, 200, "agent:agent-7"},
		{"POST", "/v1/followups/c1/answer", "Bearer " + customer, 200, "customer:cust-1"},
		{"GET", "/healthz", "", 200, ""},
		{"GET", "/healthz", "Bearer forged-token-value", 200, ""},
		{"POST", "/v1/complaints", "", 401, ""},
		{"POST", "/v1/complaints", "Basic dXNlcjpwYXNz", 401, ""},
		{"POST", "/v1/complaints", "Bearer forged-token-value", 401, ""},
		{"POST", "/v1/complaints", "Bearer " + dev[auth.RoleAuditor], 403, ""},
		{"POST", "/v1/cases/c1/resolution", "Bearer " + customer, 403, ""},
		{"POST", "/v1/followups/c2/answer", "Bearer " + customer, 403, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.body != "" && string(b) != tc.body) {
			t.Errorf("%s %s with %.20q: %d %s, want %d %s", tc.method, tc.path, tc.header, resp.StatusCode, b, tc.status, tc.body)
		}
		if tc.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: content type %q", tc.path, resp.Header.Get("Content-Type"))
		}
	}

	want := map[[3]string]int64{
		{"POST /v1/complaints", auth.ReasonNoToken, "401"}:                   1,
		{"POST /v1/complaints", auth.ReasonMalformed, "401"}:                 1,
		{"POST /v1/complaints", auth.ReasonInvalidToken, "401"}:              1,
		{"POST /v1/complaints", auth.ReasonMissingRole, "403"}:               1,
		{"POST /v1/cases/{id}/resolution", auth.ReasonMissingRole, "403"}:    1,
		{"POST /v1/followups/{id}/answer", auth.ReasonOtherComplaint, "403"}: 1,
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[[3]string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != auth.DeniedMetric {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v := func(k string) string { a, _ := dp.Attributes.Value(attribute.Key(k)); return a.AsString() }
				got[[3]string{v("http.route"), v("reason"), v("http.response.status_code")}] += dp.Value
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("counted %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%v counted %d, want %d", k, got[k], n)
		}
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d log lines, want 6:\n%s", len(lines), logs.String())
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["msg"] != "request denied" || rec["route"] == "" || rec["reason"] == "" {
			t.Errorf("log line %s", line)
		}
		for _, secret := range []string{"forged-token-value", "dXNlcjpwYXNz", customer, dev[auth.RoleAuditor], "cust-1"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line holds %.12q…: %s", secret, line)
			}
		}
	}
}

func TestGateWithoutStaffTokensRefusesToStart(t *testing.T) {
	if _, err := auth.NewGate(context.Background(), auth.Config{DevTokens: "false"}, t.TempDir()); err == nil {
		t.Fatal("a gate no staff can pass was built")
	}
	if _, err := auth.NewGate(context.Background(), auth.Config{DevTokens: "maybe"}, t.TempDir()); err == nil {
		t.Fatal("AUTH_DEV_TOKENS=maybe accepted")
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("OIDC_JWKS_URL", "https://id.example.test/keys")
	t.Setenv("OIDC_ROLES_CLAIM", "realm_access.roles")
	t.Setenv("HTTP_RATE_STAFF", "7.5")
	t.Setenv("HTTP_RATE_CUSTOMER_BURST", "3")
	t.Setenv("HTTP_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
	cfg, err := auth.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OIDC.JWKSURL != "https://id.example.test/keys" || cfg.OIDC.RolesClaim != "realm_access.roles" || cfg.OIDC.SubjectClaim != "sub" ||
		cfg.DevTokens != "auto" || cfg.CustomerTokenTTL == 0 {
		t.Fatalf("config %+v", cfg)
	}
	if cfg.Rates != (auth.Rates{Staff: 7.5, CustomerBurst: 3}) || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != " 192.0.2.7" ||
		cfg.ProxyHeader != "X-Forwarded-For" {
		t.Fatalf("rates %+v, trusted proxies %q, header %q", cfg.Rates, cfg.TrustedProxies, cfg.ProxyHeader)
	}
}
