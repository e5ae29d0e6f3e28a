// Package systemtest starts the whole complaint system in-process, on a
// loopback port with an embedded NATS server and a temporary data
// directory, for the tools' tests.
package systemtest

import (
	"context"
	"testing"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
)

// Start runs every service in this process until the test ends and
// returns the API's base URL (http://127.0.0.1:port).
func Start(t testing.TB) string {
	t.Helper()
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-tools-test", system.Services(intake.Config{Regime: "default"})...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return "http://" + s.Addr()
}
