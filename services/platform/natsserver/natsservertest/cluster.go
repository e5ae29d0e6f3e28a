package natsservertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/provision"
)

// ClusterReplicas is how many copies of each stream and bucket a test
// cluster keeps: one on every node of ProvisionedClusterForTest's cluster.
const ClusterReplicas = 3

// clusterWait bounds how long a test waits for the cluster to form, elect a
// leader or catch up. It only stops a test that would otherwise hang: no
// test depends on the cluster being faster than this.
const clusterWait = 2 * time.Minute

// Cluster is a JetStream cluster of embedded servers on loopback, for
// tests: every node has its own store and its own client and route ports,
// the nodes are routed to each other, and a test may stop a node and start
// it again on the same store and ports. The nodes run in the test process,
// or each in a process of its own (NodeProcesses), which a test may kill.
type Cluster struct {
	t     testing.TB
	name  string
	nodes []*clusterNode
	// processTest is the test that runs a node when the test binary is
	// started again (NodeProcesses); "" while the nodes run in process.
	processTest string
	// retired is the CPU used by node processes that have exited.
	retired time.Duration
}

type clusterNode struct {
	name        string
	dir         string
	port        int // client port, kept across restarts
	clusterPort int // route port, kept across restarts
	monitorPort int // HTTP monitoring port of a node process, kept across restarts
	srv         *server.Server
	proc        *Child
}

// running: the node is started and not stopped or killed.
func (n *clusterNode) running() bool { return n.srv != nil || n.proc != nil }

// ClusterOption changes how ClusterForTest runs its nodes.
type ClusterOption func(*Cluster)

// NodeProcesses runs every node as a process of its own, so that a test
// may kill one with SIGKILL (Kill): the test binary started again with
// NodeEnv naming the node, running only the test named test, which must
// call ServeNodeProcess. The provisioning, ports and stores are those of
// the nodes run in process.
func NodeProcesses(test string) ClusterOption {
	return func(c *Cluster) { c.processTest = test }
}

// ClusterForTest starts a cluster of size nodes, waits until JetStream has a
// meta leader that sees every node, and shuts the cluster down when the test
// ends. The streams and buckets are not provisioned (see
// ProvisionedClusterForTest).
//
// Every node is routed to every other from the start (a clustered JetStream
// server refuses to start without routes), so the ports are chosen before
// any node starts: free ones below the range the system hands out to
// outgoing connections (see freePorts). A node keeps its ports, so that a
// restarted node is found at the same addresses by the other nodes and by
// clients given every node's URL.
func ClusterForTest(t testing.TB, size int, opts ...ClusterOption) *Cluster {
	t.Helper()
	if size < 1 {
		t.Fatalf("natsservertest: a cluster of %d nodes", size)
	}
	c := &Cluster{t: t, name: "complaints-test"}
	for _, o := range opts {
		o(c)
	}
	// A node process has a monitoring port too: the test asks it, not the
	// server in process, who leads and who is current.
	perNode := 2
	if c.processTest != "" {
		perNode = 3
	}
	ports := freePorts(t, perNode*size)
	for i := range size {
		n := &clusterNode{name: fmt.Sprintf("n%d", i+1), dir: t.TempDir(), port: ports[perNode*i], clusterPort: ports[perNode*i+1]}
		if c.processTest != "" {
			n.monitorPort = ports[perNode*i+2]
		}
		c.nodes = append(c.nodes, n)
	}
	// After the stores' cleanup in registration, so before it when run.
	t.Cleanup(c.shutdown)
	for _, n := range c.nodes {
		c.start(n)
	}
	c.WaitForPeers()
	return c
}

// Ports freePorts chooses from: below Linux's ephemeral range (32768 to
// 60999), so that no outgoing connection is given one of them between the
// check and the server's listening, and above the well-known services.
const (
	lowestPort  = 10000
	highestPort = 32000
)

// freePorts returns n consecutive ports, from a random start, that nothing
// listens on now. Processes that start clusters at the same time (test
// binaries run in parallel) start from different places; a port taken in
// between makes its node fail to start, and the test with it, rather than
// join another cluster.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	for range 100 {
		start := lowestPort + rand.IntN(highestPort-lowestPort-n)
		var held []net.Listener
		for p := start; p < start+n; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			_ = l.Close()
		}
		if len(held) == n {
			ports := make([]int, n)
			for i := range ports {
				ports[i] = start + i
			}
			return ports
		}
	}
	t.Fatalf("natsservertest: no %d free consecutive ports between %d and %d", n, lowestPort, highestPort)
	return nil
}

// ProvisionedClusterForTest starts a 3-node cluster (ClusterForTest) and
// provisions its streams and buckets as an operator would, at
// ClusterReplicas replicas.
func ProvisionedClusterForTest(t testing.TB, opts ...ClusterOption) *Cluster {
	t.Helper()
	c := ClusterForTest(t, ClusterReplicas, opts...)
	nc := c.Connect()
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	if err := provision.Provision(ctx, js, provision.Replicas(ClusterReplicas)); err != nil {
		t.Fatal(err)
	}
	for _, name := range provision.StreamNames() {
		c.WaitForStreamCurrent(name)
	}
	return c
}

// nodeConfig is what a node is started with, in process or in a process
// of its own (passed in NodeEnv, as JSON).
type nodeConfig struct {
	Name        string `json:"name"`
	Cluster     string `json:"cluster"`
	Store       string `json:"store"`
	Port        int    `json:"port"`
	ClusterPort int    `json:"cluster_port"`
	MonitorPort int    `json:"monitor_port,omitempty"`
	Routes      []int  `json:"routes"` // the other nodes' route ports
}

func (c *Cluster) config(n *clusterNode) nodeConfig {
	cfg := nodeConfig{Name: n.name, Cluster: c.name, Store: filepath.Join(n.dir, "store"),
		Port: n.port, ClusterPort: n.clusterPort, MonitorPort: n.monitorPort}
	for _, o := range c.nodes {
		if o != n {
			cfg.Routes = append(cfg.Routes, o.clusterPort)
		}
	}
	return cfg
}

// options are the server's options for a node: JetStream on its own
// store, every write synced, routed to every other node.
func (cfg nodeConfig) options() *server.Options {
	var routes []*url.URL
	for _, p := range cfg.Routes {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
	}
	return &server.Options{
		ServerName: cfg.Name,
		Host:       "127.0.0.1",
		Port:       cfg.Port,
		HTTPHost:   "127.0.0.1",
		HTTPPort:   cfg.MonitorPort, // 0: none
		JetStream:  true,
		StoreDir:   cfg.Store,
		SyncAlways: true,
		NoSigs:     true,
		MaxPayload: 8 << 20,
		Cluster:    server.ClusterOpts{Name: cfg.Cluster, Host: "127.0.0.1", Port: cfg.ClusterPort},
		Routes:     routes,
	}
}

// start starts node n on its store and ports, routed to every other node.
func (c *Cluster) start(n *clusterNode) {
	c.t.Helper()
	if c.processTest != "" {
		c.startProcess(n)
		return
	}
	srv, err := server.NewServer(c.config(n).options())
	if err != nil {
		c.t.Fatalf("natsservertest: node %s: %v", n.name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(clusterWait) {
		srv.Shutdown()
		c.t.Fatalf("natsservertest: node %s not listening on ports %d and %d", n.name, n.port, n.clusterPort)
	}
	n.srv = srv
}

// Size is how many nodes the cluster has, running or not.
func (c *Cluster) Size() int { return len(c.nodes) }

// Server returns node i's server (nil while the node is stopped, and for a
// node run as a process of its own).
func (c *Cluster) Server(i int) *server.Server { return c.nodes[i].srv }

// URL is every node's client URL, comma-separated, as nats.Connect takes
// them: a client connects to any node and moves to another when its node
// goes down.
func (c *Cluster) URL() string {
	var urls []string
	for _, n := range c.nodes {
		urls = append(urls, "nats://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)))
	}
	return strings.Join(urls, ",")
}

// Connect connects to the cluster with every node's URL, reconnecting for
// ever, and closes the connection when the test ends.
func (c *Cluster) Connect() *nats.Conn {
	c.t.Helper()
	return c.connect(c.URL())
}

// ConnectFirstTo connects like Connect, to node i first: the client still
// knows every node, and moves to another when node i goes down.
func (c *Cluster) ConnectFirstTo(i int) *nats.Conn {
	c.t.Helper()
	urls := strings.Split(c.URL(), ",")
	urls[0], urls[i] = urls[i], urls[0]
	return c.connect(strings.Join(urls, ","), nats.DontRandomize())
}

func (c *Cluster) connect(url string, opts ...nats.Option) *nats.Conn {
	c.t.Helper()
	nc, err := nats.Connect(url, append(opts, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}

// StreamLeader is the index of the running node that leads stream, once
// the stream has a leader. A node in process is asked itself; of node
// processes, the leader is the one the stream's info names.
func (c *Cluster) StreamLeader(stream string) int {
	c.t.Helper()
	leader := -1
	if c.processTest != "" {
		nc := c.Connect()
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			c.t.Fatal(err)
		}
		c.eventually("a leader of stream "+stream, func() bool {
			info := streamInfo(js, stream)
			if info == nil || info.Cluster == nil {
				return false
			}
			for i, n := range c.nodes {
				if n.running() && n.name == info.Cluster.Leader {
					leader = i
					return true
				}
			}
			return false
		})
		return leader
	}
	c.eventually("a leader of stream "+stream, func() bool {
		for i, n := range c.nodes {
			if n.srv != nil && n.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				leader = i
				return true
			}
		}
		return false
	})
	return leader
}

// streamInfo is a stream's info as its leader answers it, nil while none
// answers.
func streamInfo(js jetstream.JetStream, stream string) *jetstream.StreamInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil
	}
	return st.CachedInfo()
}

// Stop shuts node i down and waits until it is down. Its store stays. The
// server shuts down as it does when asked to: it steps down from what it
// leads before it goes (see Kill).
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	n := c.nodes[i]
	switch {
	case n.proc != nil:
		c.stopProcess(n)
	case n.srv != nil:
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

// Restart starts the stopped node i again on its store and ports, and waits
// until the meta leader sees every node again.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	n := c.nodes[i]
	if n.running() {
		c.t.Fatalf("natsservertest: node %s is running", n.name)
	}
	c.start(n)
	c.WaitForPeers()
}

// MetaLeader waits until a running node is JetStream's meta leader and
// returns it. Nodes in process only.
func (c *Cluster) MetaLeader() *server.Server {
	c.t.Helper()
	if c.processTest != "" {
		c.t.Fatal("natsservertest: MetaLeader of node processes")
	}
	var leader *server.Server
	c.eventually("a JetStream meta leader", func() bool {
		for _, n := range c.nodes {
			if n.srv != nil && n.srv.JetStreamIsLeader() {
				leader = n.srv
				return true
			}
		}
		return false
	})
	return leader
}

// MetaLeaderIndex waits until every running node names a meta leader of
// JetStream and one of them names itself, and returns that node's index. A
// node in process is asked itself; a node process answers on its monitoring
// port (/jsz).
func (c *Cluster) MetaLeaderIndex() int {
	c.t.Helper()
	leader := -1
	c.eventually("a JetStream meta leader", func() bool {
		leader = -1
		for i, n := range c.nodes {
			switch {
			case n.srv != nil:
				if n.srv.JetStreamIsLeader() {
					leader = i
				}
			case n.proc != nil:
				jsz, ok := monitor(n)
				if !ok || jsz.Meta == nil || jsz.Meta.Leader == "" {
					return false
				}
				if jsz.Meta.Leader == n.name {
					leader = i
				}
			}
		}
		return leader >= 0
	})
	return leader
}

// WaitForPeers waits until the meta leader knows every node and every
// running node is current with it.
func (c *Cluster) WaitForPeers() {
	c.t.Helper()
	what := fmt.Sprintf("a meta leader with %d peers, every running node current", len(c.nodes))
	if c.processTest != "" {
		c.eventually(what, c.processesCurrent)
		return
	}
	c.eventually(what, func() bool {
		var leader *server.Server
		for _, n := range c.nodes {
			if n.srv != nil && n.srv.JetStreamIsLeader() {
				leader = n.srv
			}
		}
		if leader == nil || len(leader.JetStreamClusterPeers()) != len(c.nodes) {
			return false
		}
		for _, n := range c.nodes {
			if n.srv != nil && !n.srv.JetStreamIsCurrent() {
				return false
			}
		}
		return true
	})
}

// WaitForStreamCurrent waits until the stream has a leader, is held by as
// many running nodes as it has replicas (or by every running node, while
// fewer run), and every one of them has caught up with the leader.
func (c *Cluster) WaitForStreamCurrent(stream string) {
	c.t.Helper()
	nc := c.Connect()
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	c.eventually("stream "+stream+" current on every running node that holds it", func() bool {
		info := streamInfo(js, stream)
		if info == nil || info.Cluster == nil || info.Cluster.Leader == "" {
			return false
		}
		running := 0
		for _, n := range c.nodes {
			if n.running() {
				running++
			}
		}
		held := 1
		for _, r := range info.Cluster.Replicas {
			if r.Current && !r.Offline {
				held++
			}
		}
		return held == min(max(info.Config.Replicas, 1), running)
	})
}

func (c *Cluster) eventually(what string, ok func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(clusterWait)
	for !ok() {
		if time.Now().After(deadline) {
			c.t.Fatalf("natsservertest: cluster: still waiting for %s after %s", what, clusterWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) shutdown() {
	if c.processTest != "" {
		c.shutdownProcesses()
		return
	}
	for _, n := range c.nodes {
		if n.srv != nil {
			n.srv.Shutdown()
		}
	}
	for _, n := range c.nodes {
		if n.srv != nil {
			n.srv.WaitForShutdown()
			n.srv = nil
		}
	}
}
