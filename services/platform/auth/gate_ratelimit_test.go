package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// rateRig is a gate in front of a few routes, on a clock that moves only
// when the test says so. Every request is served in-process, from the
// address the test names.
type rateRig struct {
	t    *testing.T
	gate *auth.Gate
	h    http.Handler
	now  time.Time
}

// Staff and system tokens of the rig, besides the customer tokens its gate
// issues.
const (
	agent1Token  = "agent-1-token"
	agent2Token  = "agent-2-token"
	webFormToken = "web-form-token"
)

func newRateRig(t *testing.T, cfg auth.Config) *rateRig {
	t.Helper()
	cfg.DevTokens = "false"
	cfg.SignsCustomerTokens = true
	cfg.Extra = []auth.Verifier{auth.StaticTokens{
		agent1Token:  {Subject: "agent-1", Roles: []auth.Role{auth.RoleAgent}},
		agent2Token:  {Subject: "agent-2", Roles: []auth.Role{auth.RoleAgent}},
		webFormToken: {Subject: "web-form", Roles: []auth.Role{auth.RoleIntakeSystem}},
	}}
	gate, err := auth.NewGate(context.Background(), cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gate.Close() })
	rig := &rateRig{t: t, gate: gate, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	auth.SetRateClock(gate, func() time.Time { return rig.now })
	ok := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, string(auth.ActorFrom(r.Context())))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/complaints", auth.Require(ok, auth.RoleIntakeSystem))
	mux.HandleFunc("GET /v1/cases/{id}", auth.Require(ok, auth.RoleAgent))
	mux.HandleFunc("GET /v1/followups/{id}", auth.RequireOwnComplaint(ok, "id", auth.RoleAgent))
	mux.HandleFunc("GET /healthz", ok)
	rig.h = gate.Handler(mux)
	return rig
}

// customer issues a capability token of customerID for complaintID.
func (rig *rateRig) customer(customerID, complaintID string) string {
	rig.t.Helper()
	token, err := rig.gate.Customers.Issue(customerID, complaintID)
	if err != nil {
		rig.t.Fatal(err)
	}
	return token
}

// send serves one request from peer (host:port) with an optional bearer
// token and header pairs.
func (rig *rateRig) send(peer, method, path, token string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = peer
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	rig.h.ServeHTTP(w, r)
	return w
}

// expect fails unless w answered status; a 429 must also be the
// rate-limited problem with Retry-After retryAfter, naming limit.
func expect(t *testing.T, what string, w *httptest.ResponseRecorder, status int, retryAfter, limit string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("%s: %d %s, want %d", what, w.Code, w.Body, status)
	}
	if status != http.StatusTooManyRequests {
		return
	}
	var p httpx.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Header().Get("Content-Type") != "application/problem+json" ||
		p.Type != httpx.TypeRateLimited || p.Status != 429 || w.Header().Get("Retry-After") != retryAfter ||
		!strings.Contains(p.Detail, "over the request rate of "+limit) {
		t.Fatalf("%s: Retry-After %q, %q, problem %+v (%v); want Retry-After %s naming %q",
			what, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"), p, err, retryAfter, limit)
	}
}

const (
	aProxy    = "203.0.113.9:40000"
	elsewhere = "198.51.100.20:40000"
)

func TestDefaultRatesHoldEachKindOfCallerToItsBurst(t *testing.T) {
	rig := newRateRig(t, auth.Config{})
	customer := rig.customer("cust-1", "c1")
	for _, tc := range []struct {
		kind, method, path, token string
		burst                     int
		retryAfter, limit         string
	}{
		{"customer", "GET", "/v1/followups/c1", customer, 20, "1", "a customer (1 a second, 20 at once)"},
		{"staff", "GET", "/v1/cases/c1", agent1Token, 500, "1", "a member of staff (50 a second, 500 at once)"},
		{"system", "POST", "/v1/complaints", webFormToken, 2000, "1", "a company system (200 a second, 2000 at once)"},
		{"anonymous", "GET", "/healthz", "", 50, "1", "a client address without a valid token (5 a second, 50 at once)"},
	} {
		for i := range tc.burst {
			expect(t, fmt.Sprintf("%s request %d", tc.kind, i), rig.send(aProxy, tc.method, tc.path, tc.token), http.StatusOK, "", "")
		}
		expect(t, tc.kind+" past the burst", rig.send(aProxy, tc.method, tc.path, tc.token), http.StatusTooManyRequests, tc.retryAfter, tc.limit)
	}
}

// rateLimitedCounts installs a meter provider for the test and returns
// what it counted in RateLimitedMetric, by kind of caller.
func rateLimitedCounts(t *testing.T) func() map[string]int64 {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	return func() map[string]int64 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != auth.RateLimitedMetric {
					continue
				}
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					kind, _ := dp.Attributes.Value(attribute.Key("caller"))
					got[kind.AsString()] += dp.Value
				}
			}
		}
		return got
	}
}

func TestOneTokenOverItsRateLeavesEveryOtherCallerAlone(t *testing.T) {
	counted := rateLimitedCounts(t)
	rig := newRateRig(t, auth.Config{Rates: auth.Rates{Staff: 1, StaffBurst: 3, System: 1, SystemBurst: 3, Anonymous: 1, AnonymousBurst: 3}})
	// Every caller comes through the same proxy address: a token is its
	// own bucket wherever it comes from.
	for range 3 {
		expect(t, "agent-1 within its burst", rig.send(aProxy, "GET", "/v1/cases/c1", agent1Token), http.StatusOK, "", "")
	}
	expect(t, "agent-1 over its burst", rig.send(aProxy, "GET", "/v1/cases/c1", agent1Token), http.StatusTooManyRequests, "1", "a member of staff (1 a second, 3 at once)")
	for range 3 {
		expect(t, "agent-2 beside agent-1", rig.send(aProxy, "GET", "/v1/cases/c1", agent2Token), http.StatusOK, "", "")
		expect(t, "the intake system beside agent-1", rig.send(aProxy, "POST", "/v1/complaints", webFormToken), http.StatusOK, "", "")
		expect(t, "a health check beside agent-1", rig.send(aProxy, "GET", "/healthz", ""), http.StatusOK, "", "")
	}
	rig.now = rig.now.Add(999 * time.Millisecond)
	expect(t, "agent-1 1ms before a request is back", rig.send(aProxy, "GET", "/v1/cases/c1", agent1Token), http.StatusTooManyRequests, "1", "a member of staff")
	rig.now = rig.now.Add(time.Millisecond)
	expect(t, "agent-1 a second later", rig.send(aProxy, "GET", "/v1/cases/c1", agent1Token), http.StatusOK, "", "")
	expect(t, "agent-1 right after", rig.send(aProxy, "GET", "/v1/cases/c1", agent1Token), http.StatusTooManyRequests, "1", "a member of staff")
	if got := counted(); len(got) != 1 || got["staff"] != 3 {
		t.Fatalf("429s counted %v, want staff: 3", got)
	}
}

func TestACustomerIsOneBucketAcrossTheirComplaints(t *testing.T) {
	rig := newRateRig(t, auth.Config{Rates: auth.Rates{Customer: 0.1, CustomerBurst: 2}})
	first, second, other := rig.customer("cust-1", "c1"), rig.customer("cust-1", "c2"), rig.customer("cust-2", "c3")
	expect(t, "cust-1 on c1", rig.send(aProxy, "GET", "/v1/followups/c1", first), http.StatusOK, "", "")
	expect(t, "cust-1 on c2", rig.send(elsewhere, "GET", "/v1/followups/c2", second), http.StatusOK, "", "")
	expect(t, "cust-1 on c1 again", rig.send(aProxy, "GET", "/v1/followups/c1", first), http.StatusTooManyRequests, "10", "a customer (0.1 a second, 2 at once)")
	expect(t, "cust-1 on c2 again", rig.send(elsewhere, "GET", "/v1/followups/c2", second), http.StatusTooManyRequests, "10", "a customer")
	// Over the rate is refused before the route: not a 403 for the wrong
	// complaint either.
	expect(t, "cust-1 on another's complaint", rig.send(aProxy, "GET", "/v1/followups/c3", first), http.StatusTooManyRequests, "10", "a customer")
	for range 2 {
		expect(t, "cust-2 beside cust-1", rig.send(aProxy, "GET", "/v1/followups/c3", other), http.StatusOK, "", "")
	}
	expect(t, "staff beside the customers", rig.send(aProxy, "GET", "/v1/followups/c1", agent1Token), http.StatusOK, "", "")
}

func TestRequestsWithoutAValidTokenAreLimitedByAddress(t *testing.T) {
	rig := newRateRig(t, auth.Config{Rates: auth.Rates{Anonymous: 1, AnonymousBurst: 3}})
	expect(t, "a health check", rig.send(aProxy, "GET", "/healthz", ""), http.StatusOK, "", "")
	expect(t, "no token", rig.send(aProxy, "GET", "/v1/cases/c1", ""), http.StatusUnauthorized, "", "")
	expect(t, "a forged token", rig.send(aProxy, "GET", "/v1/cases/c1", "forged"), http.StatusUnauthorized, "", "")
	const limit = "a client address without a valid token (1 a second, 3 at once)"
	expect(t, "a forged token over the address's rate", rig.send(aProxy, "GET", "/v1/cases/c1", "forged"), http.StatusTooManyRequests, "1", limit)
	expect(t, "a health check over the address's rate", rig.send(aProxy, "GET", "/healthz", ""), http.StatusTooManyRequests, "1", limit)
	expect(t, "a customer link that does not verify, over the address's rate", rig.send(aProxy, "GET", "/v1/followups/c1", "eyJhbGciOiJFZERTQSJ9.e30.c2ln"), http.StatusTooManyRequests, "1", limit)
	// A valid token from the same address is its caller's, not the
	// address's.
	for range 5 {
		expect(t, "an agent behind the same address", rig.send(aProxy, "GET", "/v1/cases/c1", agent1Token), http.StatusOK, "", "")
	}
	for range 3 {
		expect(t, "a health check from elsewhere", rig.send(elsewhere, "GET", "/healthz", ""), http.StatusOK, "", "")
	}
}

func TestForwardedForIsTakenOnlyFromATrustedProxy(t *testing.T) {
	one := auth.Rates{Anonymous: 1, AnonymousBurst: 1}
	t.Run("no proxy trusted: a client cannot pick its bucket", func(t *testing.T) {
		rig := newRateRig(t, auth.Config{Rates: one})
		expect(t, "first", rig.send(aProxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.1"), http.StatusOK, "", "")
		expect(t, "a new X-Forwarded-For", rig.send(aProxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.2"), http.StatusTooManyRequests, "1", "a client address")
		expect(t, "a new Forwarded", rig.send(aProxy, "GET", "/healthz", "", "Forwarded", "for=192.0.2.3"), http.StatusTooManyRequests, "1", "a client address")
	})
	t.Run("a trusted proxy: each client behind it is its own bucket", func(t *testing.T) {
		rig := newRateRig(t, auth.Config{Rates: one, TrustedProxies: []string{"10.0.0.0/8"}})
		const proxy = "10.0.0.2:41000"
		expect(t, "client 1", rig.send(proxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.1"), http.StatusOK, "", "")
		expect(t, "client 2", rig.send(proxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.2"), http.StatusOK, "", "")
		expect(t, "client 1 again", rig.send(proxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.1"), http.StatusTooManyRequests, "1", "a client address")
		expect(t, "client 1 writing an address of its own before its real one",
			rig.send(proxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.99, 192.0.2.1"), http.StatusTooManyRequests, "1", "a client address")
		expect(t, "client 1 through a second trusted proxy",
			rig.send(proxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.1, 10.9.9.9"), http.StatusTooManyRequests, "1", "a client address")
		expect(t, "client 1 in a Forwarded header the proxy does not write",
			rig.send(proxy, "GET", "/healthz", "", "Forwarded", "for=192.0.2.77"), http.StatusOK, "", "")
		expect(t, "the proxy's own bucket, spent just now", rig.send(proxy, "GET", "/healthz", ""), http.StatusTooManyRequests, "1", "a client address")
		expect(t, "a peer that is no trusted proxy", rig.send(aProxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.3"), http.StatusOK, "", "")
		expect(t, "the same peer, another header", rig.send(aProxy, "GET", "/healthz", "", "X-Forwarded-For", "192.0.2.4"), http.StatusTooManyRequests, "1", "a client address")
	})
}

func TestRateLimitsOffAndTheRetiredSingleRate(t *testing.T) {
	rig := newRateRig(t, auth.Config{Rates: auth.Rates{Off: -1}})
	for i := range 1000 {
		if w := rig.send(aProxy, "GET", "/healthz", ""); w.Code != http.StatusOK {
			t.Fatalf("request %d with HTTP_RATE_LIMIT=-1: %d", i, w.Code)
		}
	}
	for _, cfg := range []auth.Config{
		{Rates: auth.Rates{Off: 10000}},
		{Rates: auth.Rates{OldBurst: 20000}},
		{TrustedProxies: []string{"proxy.example"}},
		{ProxyHeader: "X-Real-IP"},
	} {
		cfg.DevTokens = "true"
		if _, err := auth.NewGate(context.Background(), cfg, t.TempDir()); err == nil {
			t.Errorf("a gate was built with %+v", cfg)
		}
	}
}
