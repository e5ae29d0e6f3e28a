package system_test

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/system/paysim"
)

// TestHappyPathAcrossFiveProcesses builds the five service binaries, runs each
// as its own process against one NATS server that accepts only the generated
// users, each process holding only its own user's seed, and walks a complaint
// from submission to closed through their separate HTTP addresses.
func TestHappyPathAcrossFiveProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds five binaries")
	}
	bin := t.TempDir()
	services := []string{"intake", "resolution", "compensation", "followup", "prevention"}
	for _, s := range services {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, s),
			"github.com/complaintflow/complaintflow/services/"+s+"/cmd/"+s).CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", s, err, out)
		}
	}
	natsURL, creds := natsauthtest.RunForTest(t)

	// One data directory for the five: they share the development tokens.
	// Intake alone holds the key that signs customer tokens; the others
	// hold only its public key, in a folder of their own.
	data := t.TempDir()
	writeTestTokens(t, data)
	signingKey := filepath.Join(t.TempDir(), auth.CustomerKeyFile)
	if _, err := auth.LoadOrCreateCustomerTokens(signingKey, 0); err != nil {
		t.Fatal(err)
	}
	publicKey, err := os.ReadFile(auth.CustomerPublicKeyFile(signingKey))
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{}
	for _, s := range services {
		addrs[s] = freeAddr(t)
		cmd := exec.Command(filepath.Join(bin, s))
		cmd.Env = append(os.Environ(), "NATS_URL="+natsURL, "HTTP_ADDR="+addrs[s], "DATA_DIR="+data,
			"NATS_CREDENTIALS_DIR="+natsauthtest.OwnCredentialsForTest(t, creds, s), "LOG_LEVEL=warn", "CONFIG_DIR="+fastPolicies)
		if s == "intake" {
			cmd.Env = append(cmd.Env, "CUSTOMER_TOKEN_KEY_FILE="+signingKey)
		} else {
			own := filepath.Join(t.TempDir(), "customer-token-key.pub.json")
			if err := os.WriteFile(own, publicKey, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(cmd.Env, "CUSTOMER_TOKEN_PUBLIC_KEY_FILE="+own)
		}
		logFile, err := os.Create(filepath.Join(bin, s+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
			}
			logFile.Close()
			if t.Failed() {
				b, _ := os.ReadFile(logFile.Name())
				t.Logf("%s log:\n%s", s, b)
			}
		})
	}
	route := func(path string) string {
		switch {
		case strings.HasPrefix(path, "/v1/complaints"):
			return addrs["intake"]
		case strings.HasPrefix(path, "/v1/cases"), strings.HasPrefix(path, "/v1/root-causes"):
			return addrs["resolution"]
		case strings.HasPrefix(path, "/v1/redress"), strings.HasPrefix(path, "/v1/reports/redress"):
			return addrs["compensation"]
		case strings.HasPrefix(path, "/v1/followups"), strings.HasPrefix(path, "/v1/reports/silent-customers"):
			return addrs["followup"]
		case strings.HasPrefix(path, "/v1/queues"), strings.HasPrefix(path, "/v1/clocks"):
			return addrs["resolution"]
		case strings.HasPrefix(path, "/v1/reports"), strings.HasPrefix(path, "/v1/systemic-issues"), strings.HasPrefix(path, "/v1/preventive-actions"):
			return addrs["prevention"]
		}
		t.Fatalf("no service for %s", path)
		return ""
	}
	for _, s := range services {
		waitHealthy(t, addrs[s])
	}
	// The company's payment system, with its own user and token: it
	// confirms the redress compensation asks it to issue.
	simOpts, err := natsauth.ClientOptions(creds, natsauth.Payments)
	if err != nil {
		t.Fatal(err)
	}
	simConn, err := nats.Connect(natsURL, simOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(simConn.Close)
	simCtx, stopSim := context.WithCancel(context.Background())
	t.Cleanup(stopSim)
	if _, err := paysim.Start(simCtx, simConn, paysim.Options{Token: testTokens[string(auth.RolePayments)]}); err != nil {
		t.Fatal(err)
	}
	a := api{t: t, addr: route}
	id := walkHappyPath(t, a)
	checkTimeline(t, a, id)
	a.eventually("/v1/reports/root-causes", func(b map[string]any) bool { return b["total"] == float64(1) })
	// No process made a signing key of its own in the shared directory.
	if _, err := os.Stat(filepath.Join(data, auth.CustomerKeyFile)); err == nil {
		t.Fatal("a signing key was generated in the shared data directory")
	}
}

// freeAddr is a loopback address no other caller of this test binary got
// and nothing listens on now, on a port below the range the system hands
// out to outgoing connections: a port a listener on port 0 got is handed
// out again, and an outgoing connection of another test could take it
// before the process that is to listen on it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ports.mu.Lock()
	defer ports.mu.Unlock()
	if ports.taken == nil {
		ports.taken = map[int]bool{}
	}
	for range 1000 {
		p := 10000 + rand.IntN(22000)
		if ports.taken[p] {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		_ = l.Close()
		ports.taken[p] = true
		return addr
	}
	t.Fatal("no free loopback port")
	return ""
}

// ports are those freeAddr handed out.
var ports struct {
	mu    sync.Mutex
	taken map[int]bool
}

// waitHealthy waits until the process at addr answers /healthz with 200,
// two minutes at most: a binary starting on a busy machine opens its store
// and catches its projections up first.
func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	waitUntil(t, "the service at "+addr+" to become healthy", 2*time.Minute, func() bool { return healthy(addr) })
}
