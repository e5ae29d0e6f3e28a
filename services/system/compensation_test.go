package system_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/system"
	"github.com/complaintflow/complaintflow/services/system/paysim"
)

// fastRedress is a redress policy for tests: an approval escalates after a
// second, a failed issuance is retried after 200ms.
const fastRedress = `version: "system-test"
currency: GBP
auto_approve_limit_minor: 10000
approval:
  levels: [{role: approver, limit_minor: 100000}, {role: admin, limit_minor: 1000000}]
  escalate_after: 1s
issuance: {max_attempts: 5, retry_after: 200ms}
rules:
  - id: outage
    outcome: upheld
    products: [broadband]
    items: [{kind: account_credit, amount_minor: 2500}, {kind: refund, amount_minor: 1000}, {kind: apology}]
  - id: big
    outcome: partly_upheld
    items: [{kind: distress_and_inconvenience, amount_minor: 50000}]
  - id: sorry
    outcome: rejected
    kind: apology
`

// startWithoutSimulator starts the whole system with the fast redress
// policy and without the in-process payment simulator: the test runs its
// own, as the NATS user "payments" a real payment system would have.
func startWithoutSimulator(t *testing.T) (*host.System, api) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(fastRedress), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	writeTestTokens(t, data)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: data, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-test", system.Services(intake.Config{Regime: "default", ConfigDir: dir}, system.WithoutPaySim())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s, api{t: t, addr: oneAddress(s.Addr())}
}

func startSimulator(t *testing.T, s *host.System, o paysim.Options) *paysim.Sim {
	t.Helper()
	o.Token = testTokens[string(auth.RolePayments)]
	nc, err := s.ConnectAs(natsauth.Payments)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sim, err := paysim.Start(context.Background(), nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Stop)
	return sim
}

// submitAndResolve submits the sample complaint and resolves it.
func submitAndResolve(t *testing.T, a api, outcome string) string {
	t.Helper()
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)
	a.call(http.MethodPost, "/v1/cases/"+sub.ID+"/resolution", map[string]any{
		"outcome": outcome, "root_cause": "network.outage", "summary": "Exchange fault fixed", "agent": "a-7",
	}, http.StatusOK, nil)
	return sub.ID
}

// redressSteps counts the complaint's redress events by type.
func redressSteps(t *testing.T, a api, id string) map[string]int {
	t.Helper()
	var tl timeline
	a.call(http.MethodGet, "/v1/complaints/"+id+"/timeline", nil, http.StatusOK, &tl)
	n := map[string]int{}
	for _, s := range tl.Steps {
		n[s.Type]++
	}
	return n
}

func wantOnce(t *testing.T, a api, id string, issuances int) {
	t.Helper()
	n := redressSteps(t, a, id)
	if n["RedressDecided"] != 1 || n["RedressIssuanceRequested"] != issuances || n["RedressIssued"] != issuances || n["RedressSettled"] != 1 {
		t.Fatalf("complaint %s: redress steps %v, want one decision, %d requests, %d issued, one settlement", id, n, issuances, issuances)
	}
}

// The payment system answers every request twice, and a second consumer
// replays every request event (a redelivery): each item is requested once
// and issued once, and the redress settles once.
func TestIssuanceIsRequestedAndConfirmedOnceDespiteDuplicates(t *testing.T) {
	s, a := startWithoutSimulator(t)
	sim := startSimulator(t, s, paysim.Options{AnswerTwice: true})
	id := submitAndResolve(t, a, "upheld")
	red := a.eventually("/v1/redress/"+id, func(b map[string]any) bool { return b["status"] == "issued" })
	if red["total_minor"] != 3500.0 || len(red["issuances"].([]any)) != 2 {
		t.Fatalf("redress %v", red)
	}
	// The same request events delivered again, to another consumer.
	again := startSimulator(t, s, paysim.Options{Durable: "paysim-replay", AnswerTwice: true})
	testkit.Eventually(t, "the replaying simulator's four answers", func() bool { return again.Stats().Answers >= 4 })
	if st, st2 := sim.Stats(), again.Stats(); st.Requests != 2 || st.Answers != 4 || st2.Answers != 4 {
		t.Fatalf("simulators: %+v %+v", st, st2)
	}
	wantOnce(t, a, id, 2)

	// The ledger counts it once.
	owner := a.as(testTokens["process-owner"])
	report := owner.eventually("/v1/reports/redress?group=complaint", func(b map[string]any) bool {
		totals, _ := b["totals"].([]any)
		return len(totals) == 1
	})
	if tot := report["totals"].([]any)[0].(map[string]any); tot["key"] != id || tot["amount_minor"] != 3500.0 || tot["items"] != 2.0 {
		t.Fatalf("ledger %v", report)
	}
	// As it stood in 2020: nothing issued yet.
	var then map[string]any
	owner.call(http.MethodGet, "/v1/reports/redress?group=complaint&as_of=2020-01-01T00:00:00Z", nil, http.StatusOK, &then)
	if totals, _ := then["totals"].([]any); len(totals) != 0 {
		t.Fatalf("ledger as of 2020: %v", then)
	}
	// An apology only is settled at once, for follow-up to start.
	rejected := submitAndResolve(t, a, "rejected")
	a.eventually("/v1/redress/"+rejected, func(b map[string]any) bool { return b["status"] == "settled" })
}

// A failing payment system: the issuance is requested again with the same
// id until it is issued.
func TestAFailedIssuanceIsRetriedWithTheSameID(t *testing.T) {
	s, a := startWithoutSimulator(t)
	startSimulator(t, s, paysim.Options{FailEvery: 2})
	id := submitAndResolve(t, a, "upheld")
	red := a.eventually("/v1/redress/"+id, func(b map[string]any) bool { return b["status"] == "issued" })
	n := redressSteps(t, a, id)
	if n["RedressIssuanceFailed"] != 1 || n["RedressIssuanceRequested"] != 3 || n["RedressIssued"] != 2 || n["RedressSettled"] != 1 {
		t.Fatalf("steps %v, redress %v", n, red)
	}
}

// Above the limit the redress waits; the approval escalates by timer; the
// resolver may not approve; another approver does, and it is issued.
func TestApprovalEscalatesByTimerAndFourEyesHold(t *testing.T) {
	s, a := startWithoutSimulator(t)
	startSimulator(t, s, paysim.Options{})
	id := submitAndResolve(t, a, "partly_upheld")
	a.eventually("/v1/redress/"+id, func(b map[string]any) bool {
		return b["status"] == "awaiting_approval" && b["approver_role"] == "admin"
	})
	// The agent who resolved, holding the approver role too, is refused.
	resolver := a.as(testTokens["agent"])
	if code, _, body := resolver.do(http.MethodPost, "/v1/redress/"+id+"/approval", map[string]any{"decision": "approve"}, nil); code != http.StatusForbidden {
		t.Fatalf("an agent approved: %d %s", code, body)
	}
	approver := a.as(testTokens["approver"])
	approver.call(http.MethodPost, "/v1/redress/"+id+"/approval", map[string]any{"decision": "amend", "reason": "fair share",
		"items": []map[string]any{{"kind": "distress_and_inconvenience", "amount_minor": 30000}}}, http.StatusOK, nil)
	red := a.eventually("/v1/redress/"+id, func(b map[string]any) bool { return b["status"] == "issued" })
	if red["total_minor"] != 30000.0 || red["approved_by"] != "agent:dev-approver" {
		t.Fatalf("redress %v", red)
	}
	var budgets map[string]any
	approver.call(http.MethodGet, "/v1/redress-budgets", nil, http.StatusOK, &budgets)
	if _, ok := budgets["budgets"]; !ok {
		t.Fatalf("budgets %v", budgets)
	}
}

// The process is killed (SIGKILL) while cases are being resolved and
// redress decided; after a restart every redress is issued, each item
// requested once and issued once: the decision and its issuance requests
// are appended to the log in one append, and the log is the bus.
func TestRedressSurvivesAKillBetweenDecidingAndIssuing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the all-in-one binary")
	}
	bin := buildAllInOne(t)
	data, policies := t.TempDir(), t.TempDir()
	writeTestTokens(t, data)
	if err := os.WriteFile(filepath.Join(policies, "redress.yaml"), []byte(fastRedress), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(env ...string) (*exec.Cmd, string) {
		return startAllInOne(t, bin, data, append([]string{"CONFIG_DIR=" + policies}, env...)...)
	}
	// First run without the simulator: decisions and requests only.
	cmd, addr := start("PAYSIM=off")
	a := api{t: t, addr: oneAddress(addr)}
	var ids []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := submitAndResolve(t, a, "upheld")
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Kill as soon as the first redress is decided: others are in flight.
	a.eventually("/v1/redress/"+ids[0], nil)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, addr = start("PAYSIM_ANSWER_TWICE=true")
	a = api{t: t, addr: oneAddress(addr)}
	for _, id := range ids {
		a.eventually("/v1/redress/"+id, func(b map[string]any) bool { return b["status"] == "issued" })
		wantOnce(t, a, id, 2)
	}
}

// Compensation on its own, with its own NATS user only, as in production:
// its consumers, timers, ledger projection and confirmation endpoint all
// start within its permissions, and the company's payment system (the user
// "payments", with a token of the payments role) reaches the confirmation
// endpoint, whose refusals name the field or the missing issuance.
func TestCompensationAloneServesConfirmationsWithItsOwnNATSUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the compensation binary")
	}
	bin := filepath.Join(t.TempDir(), "compensation")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/complaintflow/complaintflow/services/compensation/cmd/compensation").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	natsURL, creds := natsauthtest.RunForTest(t)
	data := t.TempDir()
	writeTestTokens(t, data)
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "NATS_URL="+natsURL, "HTTP_ADDR="+addr, "DATA_DIR="+data,
		"NATS_CREDENTIALS_DIR="+natsauthtest.OwnCredentialsForTest(t, creds, "compensation"), "LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitHealthy(t, addr)

	opts, err := natsauth.ClientOptions(creds, natsauth.Payments)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, c := range []struct {
		body, code string
	}{
		{`{"complaint_id":"0193e6a0-0000-7000-8000-000000000009","issuance_id":"iss_x_1-0","status":"issued"}`, "404"},
		{`{"complaint_id":"0193e6a0-0000-7000-8000-000000000009","issuance_id":"iss_x_1-0","status":"paid"}`, "400"},
		{`{"complaint_id":"0193e6a0-0000-7000-8000-000000000009","status":"failed"}`, "400"},
	} {
		m := nats.NewMsg(paysim.SubjectConfirm)
		m.Data = []byte(c.body)
		m.Header.Set("Authorization", "Bearer "+testTokens[string(auth.RolePayments)])
		reply, err := nc.RequestMsg(m, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if got := reply.Header.Get("Nats-Service-Error-Code"); got != c.code {
			t.Fatalf("%s: answered %q %s, want %s", c.body, got, reply.Data, c.code)
		}
	}
	a := api{t: t, addr: oneAddress(addr)}.as(testTokens["process-owner"])
	var report map[string]any
	a.call(http.MethodGet, "/v1/reports/redress?group=product", nil, http.StatusOK, &report)
}
