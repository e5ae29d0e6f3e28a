package system_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
//
// Its output goes to a file whose end is shown if it exits before it is
// healthy, or is not healthy within two minutes (a restart on a busy
// machine recovers its store and catches its projections up first).
func startAllInOne(t *testing.T, bin, data string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "DATA_DIR="+data, "HTTP_ADDR="+addr, "EMBEDDED_NATS_PORT=-1", "LOG_LEVEL=warn"), env...)
	logPath := filepath.Join(t.TempDir(), "complaints.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitUntil(t, "the all-in-one process at "+addr+" to become healthy", 2*time.Minute, func() bool {
		if gone(cmd.Process.Pid) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("the all-in-one process exited before it was healthy:\n%s", lastBytes(out, 4000))
		}
		return healthy(addr)
	})
	return cmd, addr
}

// gone says whether process pid has exited (it is a zombie until its
// parent waits for it, which the caller of startAllInOne does).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) == 0 || fields[0] == "Z" || fields[0] == "X"
}

// lastBytes is the end of b, at most n bytes of it.
func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
