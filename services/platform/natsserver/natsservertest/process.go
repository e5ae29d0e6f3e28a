package natsservertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// The nodes of a cluster as processes of their own (NodeProcesses): the
// test binary started again with NodeEnv holding the node's configuration,
// running only a test that calls ServeNodeProcess. A test can then kill a
// node with SIGKILL: it vanishes as a crashed machine does, without
// stepping down from what it leads, and what it had not written to its
// store is gone. Restarted, it comes back on the same store and ports.

// NodeEnv holds the configuration of the node a child process of the test
// binary runs (JSON).
const NodeEnv = "COMPLAINTS_TEST_NATS_NODE"

// ServeNodeProcess is the body of the test a node process runs (see
// NodeProcesses): when NodeEnv is set it runs the node it names until its
// standard input closes (the test that started it is gone, or stops it),
// and exits; otherwise it skips.
func ServeNodeProcess(t *testing.T) {
	raw := os.Getenv(NodeEnv)
	if raw == "" {
		t.Skip("a node of a cluster, run by the cluster tests as a process of its own")
	}
	os.Exit(serveNode(raw))
}

func serveNode(raw string) int {
	var cfg nodeConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, NodeEnv+":", err)
		return 2
	}
	srv, err := server.NewServer(cfg.options())
	if err != nil {
		fmt.Fprintln(os.Stderr, "node", cfg.Name+":", err)
		return 2
	}
	// Its log goes to standard error, which the test keeps in a file.
	srv.ConfigureLogger()
	go srv.Start()
	if !srv.ReadyForConnections(clusterWait) {
		fmt.Fprintln(os.Stderr, "node", cfg.Name, "not ready")
		srv.Shutdown()
		return 1
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Shutdown()
	srv.WaitForShutdown()
	return 0
}

func (n *clusterNode) logPath() string { return filepath.Join(n.dir, "node.log") }

// startProcess starts node n as a process and waits until it takes
// clients.
func (c *Cluster) startProcess(n *clusterNode) {
	c.t.Helper()
	raw, err := json.Marshal(c.config(n))
	if err != nil {
		c.t.Fatal(err)
	}
	p, err := StartChild(c.processTest, []string{NodeEnv + "=" + string(raw)}, n.logPath())
	if err != nil {
		c.t.Fatal(err)
	}
	n.proc = p
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port))
	c.eventually("node "+n.name+" taking clients on "+addr, func() bool {
		select {
		case <-p.Exited():
			n.proc = nil
			c.t.Fatalf("natsservertest: node %s exited: %s\n%s", n.name, p.State(), tail(n.logPath()))
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		_ = conn.Close()
		return true
	})
}

// Kill kills node i with SIGKILL and waits until it is gone. Its store
// stays, as its last synced writes left it. Node processes only
// (NodeProcesses).
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	n := c.nodes[i]
	if n.proc == nil {
		c.t.Fatalf("natsservertest: node %s is not a running process", n.name)
	}
	if err := n.proc.Kill(); err != nil {
		c.t.Fatal(err)
	}
	c.retire(n)
}

// stopProcess closes node n's standard input, so that it shuts down, and
// kills it if it has not after a while.
func (c *Cluster) stopProcess(n *clusterNode) {
	n.proc.Stop(30 * time.Second)
	c.retire(n)
}

func (c *Cluster) retire(n *clusterNode) {
	c.retired += n.proc.CPU()
	n.proc = nil
}

func (c *Cluster) shutdownProcesses() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if p := n.proc; p != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.Stop(30 * time.Second)
			}()
		}
	}
	wg.Wait()
	for _, n := range c.nodes {
		n.proc = nil
		if c.t.Failed() {
			c.t.Logf("log of node %s (end):\n%s", n.name, tail(n.logPath()))
		}
	}
}

// CPU is the user and system CPU time the node processes have used so far,
// those killed or stopped included (zero for nodes in process).
func (c *Cluster) CPU() time.Duration {
	total := c.retired
	for _, n := range c.nodes {
		if n.proc != nil {
			total += n.proc.CPU()
		}
	}
	return total
}

// ProcessCPU is the user and system CPU time of a running process, from
// /proc (zero where there is none): what a test that runs processes of its
// own (nodes, service instances) reports their cost with.
func ProcessCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// processesCurrent: of the node processes, one is the meta leader, every
// running one names it, and it sees every node online and current, as its
// monitoring endpoint (/jsz) says.
func (c *Cluster) processesCurrent() bool {
	var leader *server.MetaClusterInfo
	leaders := map[string]bool{}
	for _, n := range c.nodes {
		if n.proc == nil {
			continue
		}
		jsz, ok := monitor(n)
		if !ok || jsz.Meta == nil || jsz.Meta.Leader == "" {
			return false
		}
		leaders[jsz.Meta.Leader] = true
		if jsz.Meta.Leader == n.name {
			leader = jsz.Meta
		}
	}
	if leader == nil || len(leaders) != 1 {
		return false
	}
	current := 1
	for _, r := range leader.Replicas {
		if r.Current && !r.Offline {
			current++
		}
	}
	return current == len(c.nodes)
}

// monitor is node n's JetStream information, from its monitoring port.
func monitor(n *clusterNode) (server.JSInfo, bool) {
	var jsz server.JSInfo
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(n.monitorPort)) + "/jsz")
	if err != nil {
		return jsz, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jsz, false
	}
	return jsz, json.NewDecoder(resp.Body).Decode(&jsz) == nil
}

// tail is the end of the file at path, without the attempts to reach a
// node that is down (one a second for each route, they would fill it).
func tail(path string) string {
	raw, _ := os.ReadFile(path)
	var b []byte
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		if !strings.Contains(line, "Error trying to connect to route") {
			b = append(b, line...)
		}
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
