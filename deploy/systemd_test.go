package deploy

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/prevention"
	"github.com/complaintflow/complaintflow/services/resolution"
	"github.com/complaintflow/complaintflow/services/system"
)

// envNames are the environment variables a configuration struct is read
// from, as github.com/caarlos0/env reads them: env tags, envPrefix on
// nested structs, untagged nested structs with no prefix.
func envNames(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := f.Tag.Lookup("env")
		if name == "-" {
			continue
		}
		if ok {
			out = append(out, prefix+strings.Split(name, ",")[0])
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, envNames(ft, prefix+f.Tag.Get("envPrefix"))...)
		}
	}
	return out
}

// readBy is what each binary reads from its environment: the host's
// configuration, telemetry's, and the service's own.
func readBy(binary string) []string {
	common := append(envNames(reflect.TypeOf(host.Config{}), ""), envNames(reflect.TypeOf(telemetry.Config{}), "")...)
	own := map[string][]any{
		"intake":       {intake.Config{}},
		"resolution":   {resolution.Config{}},
		"compensation": {compensation.Config{}},
		"followup":     {followup.Config{}},
		"prevention":   {prevention.Config{}},
		"complaints": {intake.Config{}, resolution.Config{}, compensation.Config{}, followup.Config{},
			prevention.Config{}, system.Config{}},
	}[binary]
	for _, c := range own {
		common = append(common, envNames(reflect.TypeOf(c), "")...)
	}
	return common
}

// unit is a systemd unit's [Service] section: each key's values in order,
// commented-out lines left out.
type unit map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", path, line)
		}
		u[section+"."+k] = append(u[section+"."+k], v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// environment is a unit's Environment= assignments (several may share a
// line, space-separated).
func (u unit) environment() map[string]string {
	env := map[string]string{}
	for _, line := range u["Service.Environment"] {
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	return env
}

// credentials are the names of a unit's LoadCredential= files.
func (u unit) credentials() []string {
	var out []string
	for _, c := range u["Service.LoadCredential"] {
		name, _, _ := strings.Cut(c, ":")
		out = append(out, name)
	}
	return out
}

// TestUnitsStartAsWritten checks each service unit against what its binary
// reads: every variable it sets is one the binary reads, DATA_DIR is in
// the unit's own state directory, development tokens are off and the
// identity provider comes from a required environment file, and it loads
// only its own credentials, from the folder NATS_CREDENTIALS_DIR names.
func TestUnitsStartAsWritten(t *testing.T) {
	units, err := filepath.Glob(filepath.Join("systemd", "complaints-*.service"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range units {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "complaints-"), ".service")
		if name == "nats" {
			continue
		}
		binary := name
		if name == "all-in-one" {
			binary = "complaints"
		}
		checked++
		t.Run(name, func(t *testing.T) {
			u := readUnit(t, path)
			exec := u["Service.ExecStart"]
			if len(exec) != 1 || filepath.Base(strings.Fields(exec[0])[0]) != binary {
				t.Fatalf("ExecStart %v, want the %s binary", exec, binary)
			}
			env := u.environment()
			known := readBy(binary)
			for k := range env {
				if !slices.Contains(known, k) {
					t.Errorf("%s sets %s, which %s does not read", filepath.Base(path), k, binary)
				}
			}

			// DATA_DIR inside the unit's own state directory: the only
			// place a DynamicUser process may write.
			states := u["Service.StateDirectory"]
			if len(states) != 1 {
				t.Fatalf("StateDirectory %v, want one", states)
			}
			dataDir := env["DATA_DIR"]
			if dataDir == "" {
				t.Error("no DATA_DIR: the default ./data is not writable under ProtectSystem=strict")
			}
			inState := false
			for _, root := range []string{"%S/", "/var/lib/"} {
				if dataDir == root+states[0] || strings.HasPrefix(dataDir, root+states[0]+"/") {
					inState = true
				}
			}
			if !inState {
				t.Errorf("DATA_DIR %s is outside the state directory %s", dataDir, states[0])
			}

			if env["AUTH_DEV_TOKENS"] != "false" {
				t.Error("development tokens are not off (AUTH_DEV_TOKENS=false)")
			}
			required := false
			for _, f := range u["Service.EnvironmentFile"] {
				if !strings.HasPrefix(f, "-") && strings.HasSuffix(f, "/complaints.env") {
					required = true
				}
			}
			if !required {
				t.Error("no required EnvironmentFile=/etc/complaints/complaints.env for the identity provider")
			}

			creds := u.credentials()
			if !slices.Contains(creds, "pii-kek") && (binary == "intake" || binary == "complaints") {
				t.Error("intake's key-encryption keys are not loaded")
			}
			if binary == "complaints" {
				return // the embedded server's users are its own
			}
			allowed := []string{name + ".nk", name + "-api.nk"}
			switch name {
			case "intake":
				allowed = append(allowed, "pii-kek", "relay.nk", "customer-token-key.json", "customer-token-key.pub.json")
			case "resolution", "followup":
				allowed = append(allowed, "customer-token-key.pub.json")
			}
			for _, c := range creds {
				if !slices.Contains(allowed, c) {
					t.Errorf("loads %s, which is not its own", c)
				}
			}
			for _, own := range allowed[:2] {
				if !slices.Contains(creds, own) {
					t.Errorf("does not load its own seed %s", own)
				}
			}
			if env["NATS_CREDENTIALS_DIR"] != "%d" {
				t.Errorf("NATS_CREDENTIALS_DIR %q, want %%d (where LoadCredential puts the seeds)", env["NATS_CREDENTIALS_DIR"])
			}
			for _, k := range []string{"PII_KEK_FILE", "CUSTOMER_TOKEN_KEY_FILE", "CUSTOMER_TOKEN_PUBLIC_KEY_FILE"} {
				if v, ok := env[k]; ok {
					if !strings.HasPrefix(v, "%d/") || !slices.Contains(creds, strings.TrimPrefix(v, "%d/")) {
						t.Errorf("%s=%s is not a loaded credential", k, v)
					}
				}
			}
		})
	}
	if checked != 6 {
		t.Fatalf("%d service units checked, want the five services and the all-in-one process", checked)
	}
}

// TestUnitsVerify runs systemd-analyze verify on every unit, where it is
// installed: an unknown directive or a bad specifier fails. That the
// binaries are not installed on this machine is the one thing it may say.
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the units' syntax is not verified here")
	}
	units, err := filepath.Glob(filepath.Join("systemd", "*.service"))
	if err != nil || len(units) == 0 {
		t.Fatalf("no units: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, _ := exec.CommandContext(ctx, analyze, append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" || strings.Contains(line, "is not executable: No such file or directory") {
			continue
		}
		t.Errorf("systemd-analyze verify: %s", line)
	}
}
