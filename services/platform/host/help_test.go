package host_test

import (
	"context"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// HELP_URL is read with the rest of the configuration, and a process
// started with it sends every problem's caller there.
func TestEveryProblemOfAProcessSendsItsCallerToTheConfiguredHelp(t *testing.T) {
	t.Setenv("HELP_URL", " support@example.com ")
	cfg, err := host.ConfigFromEnv(host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr, cfg.DataDir, cfg.EmbeddedNATSHost, cfg.EmbeddedNATSPort = "127.0.0.1:0", t.TempDir(), "127.0.0.1", -1
	t.Cleanup(func() { httpx.SetHelp("") })
	httpx.SetHelp("")
	s, err := host.Start(context.Background(), cfg, "help-test", units(map[string]*probe{}, "resolution")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if got := httpx.Help(); got != "support@example.com" {
		t.Fatalf("help %q, want the configured support@example.com", got)
	}
}
