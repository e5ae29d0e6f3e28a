package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// services are the five complaint services, each run as its own process.
var services = []string{"intake", "resolution", "compensation", "followup", "prevention"}

// loadCompose parses compose/compose.yaml as docker compose would, every
// profile on, with the variables .env must set.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	dir, err := filepath.Abs("compose")
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: types.Mapping{
			"OIDC_JWKS_URL": "https://idp.example.com/jwks.json",
			"OIDC_ISSUER":   "https://idp.example.com/",
			"OIDC_AUDIENCE": "complaintflow",
			"PAYSIM_TOKEN":  "token",
		},
	}, func(o *loader.Options) {
		o.SetProjectName("complaintflow", true)
		o.Profiles = []string{"*"}
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ownSecrets are the secrets a service of the compose file may mount: its
// own NATS seeds, and for some what only they need.
func ownSecrets(service string) []string {
	switch service {
	case "provision":
		return []string{"operator.nk"}
	case "paysim":
		return []string{"payments.nk"}
	case "intake":
		// The relay runs in intake's process (RELAY=true with KurrentDB),
		// and intake alone wraps the personal-data keys.
		return []string{"intake.nk", "intake-api.nk", "relay.nk", "pii-kek"}
	}
	if slices.Contains(services, service) {
		return []string{service + ".nk", service + "-api.nk"}
	}
	return nil
}

func TestComposeRunsTwoInstancesOfEveryService(t *testing.T) {
	p := loadCompose(t)
	for _, name := range services {
		s, err := p.GetService(name)
		if err != nil {
			t.Errorf("no service %s: %v", name, err)
			continue
		}
		if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != 2 {
			t.Errorf("%s: want deploy.replicas 2, got %+v", name, s.Deploy)
		}
		if got := s.Entrypoint; len(got) != 1 || got[0] != "/usr/local/bin/"+name {
			t.Errorf("%s: entrypoint %v, want its own binary", name, got)
		}
		env := s.Environment
		if v := env["AUTH_DEV_TOKENS"]; v == nil || *v != "false" {
			t.Errorf("%s: development tokens not off", name)
		}
		if v := env["NATS_CREDENTIALS_DIR"]; v == nil || *v != "/run/secrets" {
			t.Errorf("%s: NATS_CREDENTIALS_DIR is not where its secrets are", name)
		}
		if v := env["NATS_URL"]; v == nil || strings.Count(*v, "nats://nats-") != 3 {
			t.Errorf("%s: NATS_URL does not name the three nodes: %v", name, v)
		}
	}
	if _, err := p.GetService("paysim"); err != nil {
		t.Error("no payment simulator")
	}
	prov, err := p.GetService("provision")
	if err != nil {
		t.Fatal(err)
	}
	cmd := strings.Join(prov.Command, " ")
	if !strings.Contains(cmd, "provision") || !strings.Contains(cmd, "-replicas 3") {
		t.Errorf("the provisioning job runs %q, want complaintctl provision -replicas 3", cmd)
	}
}

func TestComposeGivesEachServiceOnlyItsOwnCredentials(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		allowed := ownSecrets(name)
		var got []string
		for _, sec := range s.Secrets {
			got = append(got, sec.Source)
			if !slices.Contains(allowed, sec.Source) {
				t.Errorf("%s mounts %s, which is not its own (allowed: %v)", name, sec.Source, allowed)
			}
			if sec.Target != "" && sec.Target != sec.Source && sec.Target != "/run/secrets/"+sec.Source {
				t.Errorf("%s mounts %s as %s: the file name is the user's name (NATS_CREDENTIALS_DIR)", name, sec.Source, sec.Target)
			}
		}
		if slices.Contains(services, name) {
			for _, own := range []string{name + ".nk", name + "-api.nk"} {
				if !slices.Contains(got, own) {
					t.Errorf("%s lacks its own seed %s", name, own)
				}
			}
		}
		for _, v := range s.Volumes {
			if strings.Contains(v.Source, "secrets") && name != "setup" && !strings.HasPrefix(name, "nats-") {
				t.Errorf("%s mounts %s: secrets go through compose secrets, one by one", name, v.Source)
			}
		}
	}
	for name, sec := range p.Secrets {
		if !strings.HasPrefix(sec.File, filepath.Join(p.WorkingDir, "secrets")+string(filepath.Separator)) {
			t.Errorf("secret %s comes from %s, outside ./secrets", name, sec.File)
		}
	}
}

// TestComposeNATSNodesRouteToEachOther: the three NATS services run the
// cluster configuration, which nats-server accepts, and whose routes name
// exactly those three services.
func TestComposeNATSNodesRouteToEachOther(t *testing.T) {
	p := loadCompose(t)
	var nodes []string
	for name := range p.Services {
		if strings.HasPrefix(name, "nats-") {
			nodes = append(nodes, name)
		}
	}
	slices.Sort(nodes)
	if len(nodes) != 3 {
		t.Fatalf("NATS nodes %v, want 3", nodes)
	}

	// The configuration as the server reads it, with the users file the
	// setup job writes (natsusers -format conf: the same function).
	dir := t.TempDir()
	pubs, err := natsauth.EnsureSeeds(filepath.Join(dir, "nats-users"))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join("compose", "nats", "cluster.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nats-server.conf"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.conf"), []byte(natsauth.ServerConf(pubs)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range nodes {
		s := p.Services[name]
		if v := s.Environment["NATS_NAME"]; v == nil || *v != name {
			t.Errorf("%s: NATS_NAME %v, want its own name", name, v)
		}
		mounted := map[string]string{}
		for _, v := range s.Volumes {
			mounted[v.Target] = v.Source
		}
		if filepath.Base(mounted["/etc/nats/nats-server.conf"]) != "cluster.conf" || filepath.Base(mounted["/etc/nats/users.conf"]) != "users.conf" {
			t.Errorf("%s mounts %v, want cluster.conf and the users file beside it", name, mounted)
		}
		if mounted["/data"] == "" {
			t.Errorf("%s keeps its store in no volume", name)
		}
		t.Setenv("NATS_NAME", name)
		opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats-server.conf"))
		if err != nil {
			t.Fatalf("%s: nats-server refuses the configuration: %v", name, err)
		}
		if len(opts.Nkeys) != len(pubs) {
			t.Errorf("%s: %d nkey users, want the %d of the users file", name, len(opts.Nkeys), len(pubs))
		}
		if opts.ServerName != name {
			t.Errorf("server_name %q, want %q", opts.ServerName, name)
		}
		if !opts.JetStream || !opts.SyncAlways {
			t.Errorf("%s: JetStream %v, sync always %v: want both", name, opts.JetStream, opts.SyncAlways)
		}
		if opts.Cluster.Name == "" || opts.Cluster.Port != 6222 {
			t.Errorf("%s: cluster %q on port %d", name, opts.Cluster.Name, opts.Cluster.Port)
		}
		var routed []string
		for _, r := range opts.Routes {
			routed = append(routed, r.Hostname())
			if r.Port() != "6222" {
				t.Errorf("route %s is not to the cluster port", r)
			}
		}
		slices.Sort(routed)
		if !slices.Equal(routed, nodes) {
			t.Errorf("%s routes to %v, want every node %v", name, routed, nodes)
		}
	}
}

func TestComposeKurrentDBClusterIsProductionOnly(t *testing.T) {
	p := loadCompose(t)
	n := 0
	for name, s := range p.Services {
		if !strings.HasPrefix(name, "kurrentdb-") {
			continue
		}
		n++
		if !slices.Contains(s.Profiles, "production") {
			t.Errorf("%s is not under the production profile", name)
		}
		if v := s.Environment["KURRENTDB_CLUSTER_SIZE"]; v == nil || *v != "3" {
			t.Errorf("%s: cluster size %v, want 3", name, v)
		}
		seeds := s.Environment["KURRENTDB_GOSSIP_SEED"]
		if seeds == nil || strings.Count(*seeds, "kurrentdb-") != 2 || strings.Contains(*seeds, name+":") {
			t.Errorf("%s: gossip seed %v, want the two other nodes", name, seeds)
		}
	}
	if n != 3 {
		t.Fatalf("%d KurrentDB nodes, want 3", n)
	}
}
