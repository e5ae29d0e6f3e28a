package system_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/system"
)

// A fleet runs instances of the five services as processes of their own,
// each connected to every node of a NATS cluster: the test binary started
// again with instanceEnv naming the service (TestServiceInstanceProcess),
// so that a test can kill one with SIGKILL, and no binary has to be built.

// instanceEnv names the service a child process of the test binary runs.
const instanceEnv = "COMPLAINTS_TEST_INSTANCE"

// fleetServices are the five services, in the order they start.
var fleetServices = []string{"intake", "resolution", "compensation", "followup", "prevention"}

// TestServiceInstanceProcess is not a test: it is one instance of a service
// when the test binary runs as a child of a fleet (instanceEnv set), and
// skips otherwise. It serves until killed, or until its standard input
// closes (the test that started it is gone).
func TestServiceInstanceProcess(t *testing.T) {
	service := os.Getenv(instanceEnv)
	if service == "" {
		t.Skip("an instance of a service, run by the fleet tests as a process of its own")
	}
	os.Exit(runServiceInstance(service))
}

// TestNATSNodeProcess is not a test either: it is one node of the chaos
// test's NATS cluster when the test binary runs as a child of it
// (natsservertest.NodeEnv set), and skips otherwise.
func TestNATSNodeProcess(t *testing.T) { natsservertest.ServeNodeProcess(t) }

func runServiceInstance(service string) int {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	cfg, err := host.ConfigFromEnv(host.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	intakeCfg, err := intake.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for _, u := range system.Services(intakeCfg, system.WithoutPaySim()) {
		if u.Name == service {
			if err := host.Run(ctx, cfg, service, u); err != nil {
				fmt.Fprintln(os.Stderr, service+":", err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintln(os.Stderr, "no service named", service)
	return 2
}

// fleet is the running instances, by service.
type fleet struct {
	t         *testing.T
	natsURL   string
	data      string // shared: development tokens, customer-token key, personal-data KEK
	configDir string
	logs      string
	mu        sync.Mutex
	instances map[string][]*instance
	next      map[string]int
	// retired is the CPU used by processes that have exited (killed or
	// stopped), so that a fleet's CPU counts every process it ran.
	retired time.Duration
}

// instance is one process running one service.
type instance struct {
	service string
	n       int // 1, 2, ...
	addr    string
	proc    *natsservertest.Child
	alive   bool
}

func (i *instance) String() string { return fmt.Sprintf("%s#%d", i.service, i.n) }

// newFleet prepares what every instance shares: the development tokens,
// intake's customer-token key (every intake signs with it, every service
// verifies with its public key) and the personal-data key-encryption key
// (every intake opens the same customers' keys).
func newFleet(t *testing.T, natsURL, configDir string) *fleet {
	t.Helper()
	data := t.TempDir()
	writeTestTokens(t, data)
	if _, err := auth.LoadOrCreateCustomerTokens(filepath.Join(data, auth.CustomerKeyFile), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := pii.CreateKeyRingFile(filepath.Join(data, "pii-kek")); err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, natsURL: natsURL, data: data, configDir: configDir, logs: t.TempDir(),
		instances: map[string][]*instance{}, next: map[string]int{}}
	t.Cleanup(f.stopAll)
	return f
}

// start starts instances instances of every service, the first of each
// before the second: the first to pull from a durable is pinned to it.
func (f *fleet) start(instances int) {
	f.t.Helper()
	for range instances {
		var started []*instance
		for _, s := range fleetServices {
			started = append(started, f.launch(s))
		}
		for _, i := range started {
			f.waitHealthy(i)
		}
	}
}

// launch starts one more instance of service, without waiting for it.
func (f *fleet) launch(service string) *instance {
	f.t.Helper()
	addr := freeAddr(f.t)
	f.mu.Lock()
	f.next[service]++
	i := &instance{service: service, n: f.next[service], addr: addr}
	f.mu.Unlock()
	f.exec(i)
	f.mu.Lock()
	f.instances[service] = append(f.instances[service], i)
	f.mu.Unlock()
	return i
}

func (f *fleet) exec(i *instance) {
	f.t.Helper()
	p, err := natsservertest.StartChild("TestServiceInstanceProcess", []string{instanceEnv + "=" + i.service,
		"NATS_URL=" + f.natsURL, "HTTP_ADDR=" + i.addr, "DATA_DIR=" + f.data, "CONFIG_DIR=" + f.configDir,
		"REGIME=", "LOG_LEVEL=warn", "OTEL_SDK_DISABLED=true",
		// One test token works every case and answers every survey.
		"HTTP_RATE_STAFF=-1", "HTTP_RATE_SYSTEM=-1", "HTTP_RATE_CUSTOMER=-1"},
		filepath.Join(f.logs, i.String()+".log"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	i.proc, i.alive = p, true
	f.mu.Unlock()
}

func (f *fleet) waitHealthy(i *instance) {
	f.t.Helper()
	waitUntil(f.t, i.String()+" healthy", 3*time.Minute, func() bool {
		select {
		case <-i.proc.Exited():
			f.t.Fatalf("%s exited: %s\n%s", i, i.proc.State(), f.log(i))
		default:
		}
		return healthy(i.addr)
	})
}

// kill kills instance i with SIGKILL: no graceful shutdown, its durables
// stay pinned to it until their PinnedTTL, what it held unacknowledged comes
// back after AckWait.
func (f *fleet) kill(i *instance) {
	f.t.Helper()
	f.mu.Lock()
	i.alive = false
	f.mu.Unlock()
	if err := i.proc.Kill(); err != nil {
		f.t.Fatal(err)
	}
	f.retire(i)
}

// restart starts a killed instance again, on its address.
func (f *fleet) restart(i *instance) {
	f.t.Helper()
	f.exec(i)
	f.waitHealthy(i)
}

func (f *fleet) retire(i *instance) {
	f.mu.Lock()
	f.retired += i.proc.CPU()
	f.mu.Unlock()
}

// cpu is the CPU time every process of the fleet has used so far.
func (f *fleet) cpu() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := f.retired
	for _, is := range f.instances {
		for _, i := range is {
			if i.alive {
				total += i.proc.CPU()
			}
		}
	}
	return total
}

// selfCPU is the CPU time the test process has used: here the payment
// simulator and the driver of the load (the NATS nodes of the chaos test
// are processes of their own).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// alive are the live instances of service.
func (f *fleet) alive(service string) []*instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*instance
	for _, i := range f.instances[service] {
		if i.alive {
			out = append(out, i)
		}
	}
	return out
}

// all are every instance of service, live or not.
func (f *fleet) all(service string) []*instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*instance(nil), f.instances[service]...)
}

// addr is the address of a live instance of the service that serves path,
// taking the live instances in turn.
func (f *fleet) addr(path string) string {
	service := serviceOf(path)
	live := f.alive(service)
	if len(live) == 0 {
		return "127.0.0.1:1" // none: the request fails and is tried again
	}
	f.mu.Lock()
	f.next[service+"/turn"]++
	n := f.next[service+"/turn"]
	f.mu.Unlock()
	return live[n%len(live)].addr
}

// serviceOf is the service that serves an API path.
func serviceOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1/complaints"), strings.HasPrefix(path, "/v1/customers"):
		return "intake"
	case strings.HasPrefix(path, "/v1/cases"), strings.HasPrefix(path, "/v1/root-causes"),
		strings.HasPrefix(path, "/v1/queues"), strings.HasPrefix(path, "/v1/clocks"):
		return "resolution"
	case strings.HasPrefix(path, "/v1/redress"), strings.HasPrefix(path, "/v1/reports/redress"):
		return "compensation"
	case strings.HasPrefix(path, "/v1/followups"), strings.HasPrefix(path, "/v1/reports/silent-customers"):
		return "followup"
	}
	return "prevention"
}

func (f *fleet) log(i *instance) string {
	b, _ := os.ReadFile(filepath.Join(f.logs, i.String()+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stopAll stops every live instance gracefully (its standard input closed),
// and kills what is still there after a while.
func (f *fleet) stopAll() {
	f.mu.Lock()
	var live []*instance
	for _, is := range f.instances {
		for _, i := range is {
			if i.alive {
				live = append(live, i)
				i.alive = false
			}
		}
	}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, i := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i.proc.Stop(20 * time.Second)
		}()
	}
	wg.Wait()
	if f.t.Failed() {
		for _, s := range fleetServices {
			for _, i := range f.all(s) {
				f.t.Logf("log of %s (end):\n%s", i, f.log(i))
			}
		}
	}
}

// waitUntil polls cond until it holds, failing the test after within:
// a deadline that only stops a test that would hang, never a measure of
// speed (the fleet's waits outlast testkit.Patience, which a redelivery
// after AckWait alone nearly uses up).
func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	pause := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after %s", what, within)
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// healthy: the instance at addr answers /healthz with 200.
func healthy(addr string) bool {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
