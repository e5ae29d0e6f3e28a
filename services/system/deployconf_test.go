package system_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

const deployConf = "../../deploy/nats/nats-server.conf"

// The production server's configuration carries the permissions derived
// from the services' declarations, and nats-server reads it.
func TestDeployConfigCarriesThePermissionMatrix(t *testing.T) {
	b, err := os.ReadFile(deployConf)
	if err != nil {
		t.Fatal(err)
	}
	want := natsauth.ServerConf(nil)
	if os.Getenv("UPDATE_DEPLOY_CONF") != "" {
		s := string(b)
		if i := strings.Index(s, "# Generated from services/platform/natsauth"); i >= 0 {
			s = s[:i]
		}
		if err := os.WriteFile(deployConf, []byte(s+want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !strings.HasSuffix(string(b), want) {
		t.Fatalf("%s does not end with the generated authorization block; run UPDATE_DEPLOY_CONF=1 go test -run TestDeployConfig . in services/system", deployConf)
	}
	pubs, err := natsauth.EnsureSeeds(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for u, pub := range pubs {
		t.Setenv(natsauth.KeyVariable(u), pub)
	}
	opts, err := server.ProcessConfigFile(deployConf)
	if err != nil {
		t.Fatalf("nats-server cannot read %s: %v", deployConf, err)
	}
	if len(opts.Nkeys) != len(natsauth.Users()) {
		t.Fatalf("%d nkey users, want %d", len(opts.Nkeys), len(natsauth.Users()))
	}
	for _, u := range opts.Nkeys {
		if u.Nkey == pubs[natsauth.Operator] {
			continue
		}
		if u.Permissions == nil || u.Permissions.Publish == nil || len(u.Permissions.Publish.Allow) == 0 {
			t.Fatalf("user %s has no publish permissions", u.Nkey)
		}
		if u.Nkey == pubs["intake"] && !slices.Contains(u.Permissions.Publish.Allow, "$JS.API.STREAM.INFO.COMPLAINT_EVENTS") {
			t.Fatalf("intake's subjects were not read literally: %v", u.Permissions.Publish.Allow)
		}
	}
}
