package system_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// chaosSize is the chaos test's size: CHAOS=long (make chaos) measures the
// throughput and CPU of one and of two instances of each service and puts
// more complaints in flight around each kill; the short form (make test)
// keeps a few in flight.
type chaosSize struct {
	long     bool
	inFlight int
	// warm is how many complaints close before a kill.
	warm int
	// measured is how many complaints each throughput phase walks (long
	// form only).
	measured int
}

func chaosSizeFromEnv() chaosSize {
	if os.Getenv("CHAOS") == "long" {
		return chaosSize{long: true, inFlight: 32, warm: 200, measured: 1000}
	}
	return chaosSize{inFlight: 6, warm: 6}
}

// Under load, one instance of a service is killed with SIGKILL and started
// again; then the node leading the log's stream is killed with SIGKILL and
// started again on its store. Every acknowledged complaint reaches closed,
// no effect is recorded twice, no reaction comes before its cause, and
// every clock fires at most once and none is left running past its due
// time.
//
// The service instances and the three NATS nodes are processes of their
// own (TestServiceInstanceProcess, TestNATSNodeProcess), so both kills are
// SIGKILL: the killed node steps down from nothing, its clients' connections
// drop when the kernel closes them, and the other two elect new leaders for
// what it led once they have missed its heartbeats. Which node leads the
// log's stream is asked of the cluster (the stream's info), as a client
// would.
func TestChaosKillAnInstanceAndANodeUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster and ten service processes")
	}
	size := chaosSizeFromEnv()
	cluster := natsservertest.ProvisionedClusterForTest(t, natsservertest.NodeProcesses("TestNATSNodeProcess"))
	nc := cluster.Connect()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	f := newFleet(t, cluster.URL(), fleetConfig(t))
	startPaySim(t, nc)

	var rows []chaosRow
	if size.long {
		f.start(1)
		rows = append(rows, measure(t, f, cluster, size, "one instance of each service"))
		for _, s := range fleetServices {
			f.waitHealthy(f.launch(s))
		}
		rows = append(rows, measure(t, f, cluster, size, "two instances of each service"))
	} else {
		f.start(2)
	}

	w := newWalker(t, f.addr)
	if !size.long {
		// A complaint held by the killed instance waits for AckWait (30s)
		// and PinnedTTL (5s); a walk that waits four times that is stuck.
		w.within = 2 * time.Minute
	}
	stop := make(chan struct{})
	loaded := make(chan struct{})
	go func() { defer close(loaded); w.load(size.inFlight, 0, stop) }()
	warm := func() {
		target := w.figures().Closed + size.warm
		waitUntil(t, fmt.Sprintf("%d complaints closed", target), 5*time.Minute, func() bool { return w.figures().Closed >= target })
	}

	// An instance of resolution, holding its durable, killed.
	warm()
	victim := f.alive("resolution")[0]
	pinnedBefore := pinnedClient(t, js, "resolution-lifecycle")
	f.kill(victim)
	killed := time.Now()
	t.Logf("%s killed (SIGKILL) with %d complaints acknowledged", victim, w.figures().Acknowledged)
	instanceKill := w.recovery(t, killed)
	pinnedAfter := pinnedClient(t, js, "resolution-lifecycle")
	t.Logf("after the kill of %s: %s; the durable's pin moved: %v", victim, instanceKill, pinnedBefore != pinnedAfter)
	f.restart(victim)

	// The node leading the log's stream killed, and started again on its
	// store and ports.
	warm()
	leader := cluster.StreamLeader(natswire.StreamName)
	cluster.Kill(leader)
	killed = time.Now()
	t.Logf("node %d (leader of %s) killed (SIGKILL) with %d complaints acknowledged", leader+1, natswire.StreamName, w.figures().Acknowledged)
	nodeKill := w.recovery(t, killed)
	t.Logf("after the kill of node %d: %s; %s now leads %s", leader+1, nodeKill, nodeName(cluster.StreamLeader(natswire.StreamName)), natswire.StreamName)
	restarted := time.Now()
	cluster.Restart(leader)
	cluster.WaitForStreamCurrent(natswire.StreamName)
	t.Logf("node %d restarted, and %s current on every node, after %s", leader+1, natswire.StreamName, time.Since(restarted).Round(10*time.Millisecond))

	warm()
	close(stop)
	<-loaded
	fig := w.figures()
	a := auditLog(t, nc, w.acknowledged())
	rows = append(rows,
		chaosRow{what: "SIGKILL " + victim.String(), walks: fig, audit: a, recovery: instanceKill},
		chaosRow{what: "SIGKILL of " + nodeName(leader), recovery: nodeKill})
	t.Logf("chaos: %d submitted, %d acknowledged, %d closed, %d lost, %d duplicated, %d order violations; "+
		"recovery after the instance kill %s, after the node kill %s",
		fig.Started, fig.Acknowledged, a.Closed, len(a.Lost), len(a.Duplicated), len(a.OrderViolations), instanceKill, nodeKill)
	t.Logf("log: %s", a)
	if size.long {
		t.Logf("\n%s", chaosTable(rows))
	}
	if fig.Stuck > 0 {
		logTimelines(t, nc, w)
	}
	// A confirmation of issuance refused as 404 (the redress read from a
	// lagging follower) once left complaints waiting for ever after
	// RedressIssuanceRequested: named, so that it is recognised if it
	// comes back.
	if awaiting := a.awaitingConfirmation; len(awaiting) > 0 {
		t.Logf("%d complaints wait after RedressIssuanceRequested, their confirmation refused: %v", len(awaiting), awaiting)
	}
	if a.problems() > 0 {
		t.Fatalf("the log shows problems: %s", a)
	}
}

// nodeName is how the test names node i of the cluster.
func nodeName(i int) string { return fmt.Sprintf("node %d", i+1) }

// recovery are the times the system took to carry on after a kill at
// killed: until a submission was acknowledged again, until a complaint
// submitted after the kill closed, and until every complaint acknowledged
// before it had closed.
type recovery struct {
	acknowledged, closed, caughtUp time.Duration
}

func (r recovery) String() string {
	return fmt.Sprintf("first acknowledgement after %s, first closure of a later complaint after %s, every earlier complaint closed after %s",
		r.acknowledged.Round(10*time.Millisecond), r.closed.Round(10*time.Millisecond), r.caughtUp.Round(10*time.Millisecond))
}

// recovery waits until the load has carried on after a kill at killed, and
// says how long it took. Nothing is asserted of the times.
func (w *walker) recovery(t *testing.T, killed time.Time) recovery {
	t.Helper()
	var r recovery
	waitUntil(t, "the load to carry on after the kill", 10*time.Minute, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		r = recovery{}
		caughtUp := true
		for _, wk := range w.walks {
			switch {
			case wk.id == "":
			case wk.acknowledged.After(killed):
				if d := wk.acknowledged.Sub(killed); r.acknowledged == 0 || d < r.acknowledged {
					r.acknowledged = d
				}
				if d := wk.closedAt.Sub(killed); !wk.closedAt.IsZero() && (r.closed == 0 || d < r.closed) {
					r.closed = d
				}
			case wk.closedAt.IsZero():
				// A walk that gave up is stuck for good: the audit tells.
				caughtUp = caughtUp && wk.err != nil
			default:
				r.caughtUp = max(r.caughtUp, wk.closedAt.Sub(killed))
			}
		}
		return r.closed > 0 && caughtUp
	})
	return r
}

// pinnedClient is the client a durable is pinned to now ("" when none).
func pinnedClient(t *testing.T, js jetstream.JetStream, durable string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, natswire.StreamName, durable)
	if err != nil {
		return ""
	}
	for _, g := range c.CachedInfo().PriorityGroups {
		if g.PinnedClientID != "" {
			return g.PinnedClientID
		}
	}
	return ""
}

// measure walks size.measured complaints through the fleet as it is, with
// size.inFlight in flight, and returns their throughput and CPU, both taken
// at the last closure: a complaint left waiting for ever (the known defect
// below) would otherwise count the walker's polling of it.
func measure(t *testing.T, f *fleet, cluster *natsservertest.Cluster, size chaosSize, what string) chaosRow {
	t.Helper()
	w := newWalker(t, f.addr)
	w.within = 2 * time.Minute
	servicesBefore, nodesBefore, selfBefore := f.cpu(), cluster.CPU(), selfCPU()
	done := make(chan struct{})
	go func() { defer close(done); w.load(size.inFlight, size.measured, nil) }()
	row := chaosRow{what: what}
	for closed := 0; ; {
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
			if n := w.figures().Closed; n > closed {
				closed = n
				row.servicesCPU, row.nodesCPU, row.selfCPU = f.cpu()-servicesBefore, cluster.CPU()-nodesBefore, selfCPU()-selfBefore
			}
			continue
		}
		break
	}
	row.walks = w.figures()
	row.elapsed = row.walks.Duration
	if row.walks.Closed == size.measured {
		row.servicesCPU, row.nodesCPU, row.selfCPU = f.cpu()-servicesBefore, cluster.CPU()-nodesBefore, selfCPU()-selfBefore
	}
	t.Logf("%s: %d complaints closed in %s: %.1f complaints/s; CPU per complaint: services %s, NATS nodes %s, payment simulator with the load driver %s",
		what, row.walks.Closed, row.elapsed.Round(time.Millisecond), row.rate(), row.perComplaint(row.servicesCPU), row.perComplaint(row.nodesCPU), row.perComplaint(row.selfCPU))
	if row.walks.Closed != size.measured {
		t.Errorf("%s: %d of %d complaints closed: %v", what, row.walks.Closed, size.measured, w.stuck())
	}
	return row
}

// chaosRow is one line of the long form's table.
type chaosRow struct {
	what    string
	walks   walkFigures
	audit   audit
	elapsed time.Duration
	// CPU of the service processes, of the node processes, and of the test
	// process (the payment simulator and the load driver).
	servicesCPU, nodesCPU, selfCPU time.Duration
	recovery                       recovery
}

func (r chaosRow) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.walks.Closed) / r.elapsed.Seconds()
}

func (r chaosRow) perComplaint(d time.Duration) string {
	if r.walks.Closed == 0 || d == 0 { // not measured (the chaos phase)
		return "-"
	}
	return (d / time.Duration(r.walks.Closed)).Round(10 * time.Microsecond).String()
}

func chaosTable(rows []chaosRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %-32s | %6s | %6s | %6s | %4s | %5s | %5s | %11s | %11s | %12s | %10s | %11s | %10s |\n",
		"run", "acked", "closed", "lost", "dup", "order", "c/s", "svc CPU/c", "nodes CPU/c", "driver CPU/c", "first ack", "first close", "caught up")
	for _, r := range rows {
		rate := "-"
		if r.elapsed > 0 {
			rate = fmt.Sprintf("%.1f", r.rate())
		}
		rec := func(d time.Duration) string {
			if d == 0 {
				return "-"
			}
			return d.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %-32s | %6d | %6d | %6d | %4d | %5d | %5s | %11s | %11s | %12s | %10s | %11s | %10s |\n",
			r.what, r.walks.Acknowledged, r.walks.Closed, len(r.audit.Lost), len(r.audit.Duplicated), len(r.audit.OrderViolations), rate,
			r.perComplaint(r.servicesCPU), r.perComplaint(r.nodesCPU), r.perComplaint(r.selfCPU), rec(r.recovery.acknowledged), rec(r.recovery.closed), rec(r.recovery.caughtUp))
	}
	return b.String()
}
