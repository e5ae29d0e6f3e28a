package systemtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
)

// Running is a system started by StartWithNATS.
type Running struct {
	// URL is the API's base URL (http://127.0.0.1:port).
	URL string
	// NATSURL is the embedded NATS server's client URL.
	NATSURL string
	// DataDir is the data directory: the JetStream files, the development
	// tokens, and the NATS users' credentials in nats-users/.
	DataDir string
}

// StartWithNATS is Start, also answering where the embedded NATS server
// listens and where the data directory is, for tools that read the events
// as another system would.
func StartWithNATS(t testing.TB) Running {
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
	return Running{URL: "http://" + s.Addr(), NATSURL: s.NATSURL(), DataDir: dir}
}
