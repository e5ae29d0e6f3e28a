package prevention_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/prevention"
)

// The policy directory comes from the configuration prevention is given,
// whatever the environment says.
func TestABrokenPolicyInTheConfiguredDirectoryStopsTheStart(t *testing.T) {
	t.Setenv("CONFIG_DIR", "")
	for _, file := range []string{"prevention.yaml", "regimes.yaml"} {
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, file), []byte("version: x\nno_such_field: 1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := prevention.New(prevention.Config{ConfigDir: dir})(host.Deps{})
			var pe *policy.Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), file) {
				t.Fatalf("got %v, want the start refused naming %s", err, file)
			}
		})
	}
}

func TestConfigDirIsReadFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONFIG_DIR", dir)
	cfg, err := prevention.ConfigFromEnv()
	if err != nil || cfg.ConfigDir != dir {
		t.Fatalf("config %+v, %v; want ConfigDir %s", cfg, err, dir)
	}
}
