package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/system/paysim"
)

// fleetRegimes are clocks in seconds, so that the timers fire while a
// fleet test runs: the regulatory final response is due 20s after
// receipt (warned 10s before), the internal resolution service level 30s
// after. A complaint walked without trouble is resolved well before; one
// held up by a kill may breach them.
const fleetRegimes = `version: "fleet-seconds"
default: uk-fca
slas:
  - {name: resolution, kind: internal, within: 30s, warn_before: 10s, met_by: resolved}
regimes:
  - name: uk-fca
    clocks:
      - {name: final-response, kind: regulatory, within: 20s, warn_before: 10s, met_by: final-response}
`

// fleetConfig is the fleet's policy directory: the fast follow-up (the
// survey at once) and fleetRegimes.
func fleetConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	followup, err := os.ReadFile(filepath.Join(fastPolicies, "followup.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"followup.yaml": followup, "regimes.yaml": []byte(fleetRegimes)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startPaySim runs the company's simulated payment system against the
// cluster, over a connection to every node.
func startPaySim(t *testing.T, nc *nats.Conn) *paysim.Sim {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sim, err := paysim.Start(ctx, nc, paysim.Options{Token: testTokens[string(auth.RolePayments)]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop(); cancel() })
	return sim
}

// Two instances of every service, each a process of its own connected to
// every node of a 3-node cluster (streams at three replicas): complaints
// walked through either instance's API all close, with no effect twice and
// no reaction before its cause; each durable is pinned to one instance;
// and every view over HTTP answers the same on either instance.
func TestTwoInstancesOfEveryServiceOnAThreeNodeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster and ten service processes")
	}
	cluster := natsservertest.ProvisionedClusterForTest(t)
	nc := cluster.Connect()
	f := newFleet(t, cluster.URL(), fleetConfig(t))
	f.start(2)
	startPaySim(t, nc)

	w := newWalker(t, f.addr)
	w.within = 2 * time.Minute // no kill here: nothing waits for a redelivery
	w.load(8, 24, nil)
	fig := w.figures()
	t.Logf("%d complaints walked through two instances of each service: %d acknowledged, %d closed in %s",
		fig.Started, fig.Acknowledged, fig.Closed, fig.Duration.Round(time.Millisecond))
	a := auditLog(t, nc, w.acknowledged())
	t.Logf("log: %s", a)
	// A confirmation of issuance answered 404 by the compensation instance
	// that did not decide the redress (read from a lagging follower) once
	// left complaints waiting here for ever: named, so that it is
	// recognised if it comes back.
	if len(a.awaitingConfirmation) > 0 {
		t.Logf("%d complaints wait after RedressIssuanceRequested, their confirmation refused: %v",
			len(a.awaitingConfirmation), a.awaitingConfirmation)
	}
	if len(a.Lost) > 0 {
		logTimelines(t, nc, w)
		t.Fatalf("%d of %d complaints did not close: %v", len(a.Lost), fig.Started, w.stuck())
	}
	if a.problems() > 0 {
		t.Fatalf("the log shows problems: %s", a)
	}

	// One instance of each service works each durable; the other waits.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(durables, "intake-indexes-customers") {
		c, err := js.Consumer(context.Background(), natswire.StreamName, d)
		if err != nil {
			t.Fatalf("durable %s: %v", d, err)
		}
		info := c.CachedInfo()
		pinned := ""
		for _, g := range info.PriorityGroups {
			pinned = g.PinnedClientID
		}
		if pinned == "" || info.NumAckPending != 0 || info.NumPending != 0 {
			t.Fatalf("durable %s: pinned %q, %d pending, %d unacknowledged", d, pinned, info.NumPending, info.NumAckPending)
		}
	}

	// Every view answers the same on either instance, once each has
	// folded the same events.
	ids := w.acknowledged()
	var paths []string
	for _, id := range ids[:min(len(ids), 6)] {
		paths = append(paths, "/v1/complaints/"+id, "/v1/complaints/"+id+"/timeline", "/v1/cases/"+id, "/v1/clocks/"+id,
			"/v1/redress/"+id, "/v1/followups/"+id)
	}
	paths = append(paths, "/v1/queues/network-support", "/v1/root-causes", "/v1/redress?status=awaiting_approval", "/v1/redress-budgets",
		"/v1/reports/redress", "/v1/reports/silent-customers", "/v1/reports/root-causes", "/v1/reports/effort",
		"/v1/reports/regulatory", "/v1/systemic-issues", "/v1/preventive-actions")
	for _, path := range paths {
		instances := f.all(serviceOf(path))
		answers := make([][]byte, len(instances))
		statuses := make([]int, len(instances))
		same := func() bool {
			for n, i := range instances {
				statuses[n], answers[n] = getFrom(i.addr, path)
			}
			return statuses[0] == http.StatusOK && statuses[1] == http.StatusOK && bytes.Equal(answers[0], answers[1])
		}
		deadline := time.Now().Add(time.Minute)
		for !same() {
			if time.Now().After(deadline) {
				t.Fatalf("%s answers differently on the two instances:\n%d %s\n%d %s", path, statuses[0], answers[0], statuses[1], answers[1])
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(answers[0]) < 3 {
			t.Fatalf("%s answers %s on both instances", path, answers[0])
		}
	}
	t.Logf("%d views answer the same on both instances", len(paths))
}

// getFrom is GET path from the instance at addr, with the role's test token.
func getFrom(addr, path string) (int, []byte) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+testTokens[string(roleFor(http.MethodGet, path))])
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil
	}
	// Compact, so that only what the answer says is compared, without
	// the moment it was made (a report's generated_at).
	var v any
	if json.Unmarshal(data, &v) != nil {
		return resp.StatusCode, data
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "generated_at")
	}
	b, _ := json.Marshal(v)
	return resp.StatusCode, b
}
