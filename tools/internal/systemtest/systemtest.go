// Package systemtest starts the whole complaint system in-process, on a
// loopback port with an embedded NATS server and a temporary data
// directory, for the tools' tests.
package systemtest

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
	"github.com/complaintflow/complaintflow/tools/client"
)

// Start runs every service in this process until the test ends and
// returns the API's base URL (http://127.0.0.1:port).
//
// The development tokens are written into the data directory before the
// system starts (which then reuses them), and $COMPLAINTS_TOKENS_FILE
// names them for the rest of the test, so the tools find them the way
// they find data/dev-tokens.json after make run. Tests that call Start
// cannot run in parallel.
// fastPolicies is the repository's deploy/policies/fast: the survey goes
// out as soon as redress is settled, so a walk reaches closed in moments.
func fastPolicies() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "deploy", "policies", "fast")
}

func Start(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, auth.DevTokensFile)
	if _, err := auth.LoadOrCreateDevTokens(tokens); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COMPLAINTS_TOKENS_FILE", tokens)
	t.Setenv("COMPLAINTS_TOKEN", "")
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-tools-test", system.Services(intake.Config{Regime: "default", ConfigDir: fastPolicies()})...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return "http://" + s.Addr()
}

// Client is a client of the system at url with the test's credentials.
func Client(t testing.TB, url string, maxConns int) *client.Client {
	t.Helper()
	c := client.New(url, maxConns)
	var err error
	if c.Auth, err = client.LoadCredentials(); err != nil {
		t.Fatal(err)
	}
	return c
}
