package system_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The all-in-one binary, built once for every test of this package that
// runs it as a process of its own (to kill it with SIGKILL).
var allInOne struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if allInOne.dir != "" {
		_ = os.RemoveAll(allInOne.dir)
	}
	os.Exit(code)
}

// buildAllInOne returns the path of the all-in-one binary, building it on
// first use.
func buildAllInOne(t *testing.T) string {
	t.Helper()
	allInOne.once.Do(func() {
		allInOne.dir, allInOne.err = os.MkdirTemp("", "complaints-bin-")
		if allInOne.err != nil {
			return
		}
		allInOne.path = filepath.Join(allInOne.dir, "complaints")
		allInOne.out, allInOne.err = exec.Command("go", "build", "-o", allInOne.path,
			"github.com/complaintflow/complaintflow/services/system/cmd/complaints").CombinedOutput()
	})
	if allInOne.err != nil {
		t.Fatalf("build: %v\n%s", allInOne.err, allInOne.out)
	}
	return allInOne.path
}

// startAllInOne starts the binary on data (a folder holding the test tokens)
// with a fresh HTTP address and env added to the test's environment, waits
// until it is healthy, and kills it when the test ends.
func startAllInOne(t *testing.T, bin, data string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "DATA_DIR="+data, "HTTP_ADDR="+addr, "EMBEDDED_NATS_PORT=-1", "LOG_LEVEL=warn"), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitHealthy(t, addr)
	return cmd, addr
}
