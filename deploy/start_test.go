package deploy

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// TestServiceUnitsStart starts each service binary as its unit says:
// the unit's Environment= lines with %d (the credentials folder, holding
// exactly the files of its LoadCredential= lines) and %S (a state folder)
// filled in, then its EnvironmentFile= files, in its WorkingDirectory. Only
// the addresses differ: NATS_URL is the test's server (provisioned as
// complaintctl provision does, with the users natsusers makes) and
// HTTP_ADDR a free loopback port. Each must answer /healthz with 200, and
// stop on SIGTERM.
func TestServiceUnitsStart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and starts the five service binaries")
	}
	bin := t.TempDir()
	build := exec.Command("go", append([]string{"build", "-o", bin + string(filepath.Separator)},
		"./services/intake/cmd/intake", "./services/resolution/cmd/resolution", "./services/compensation/cmd/compensation",
		"./services/followup/cmd/followup", "./services/prevention/cmd/prevention", "./services/system/cmd/complaints")...)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// /etc/complaints as docs/production.md makes it.
	etc := t.TempDir()
	pubs, err := natsauth.EnsureSeeds(filepath.Join(etc, "nats-users"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pii.CreateKeyRingFile(filepath.Join(etc, "pii-kek")); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateCustomerTokens(filepath.Join(etc, "customer-token-key.json"), time.Hour); err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA","use":"sig","x":%q}]}`,
			base64.RawURLEncoding.EncodeToString(pub))
	}))
	t.Cleanup(idp.Close)
	env := "OIDC_JWKS_URL=" + idp.URL + "\nOIDC_ISSUER=https://idp.example.com/\nOIDC_AUDIENCE=complaintflow\n"
	if err := os.WriteFile(filepath.Join(etc, "complaints.env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}

	// The NATS server with those users, provisioned by the operator.
	users, err := natsauth.ServerUsers(pubs)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: t.TempDir(), SyncAlways: true, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	opts, err := natsauth.ClientOptions(filepath.Join(etc, "nats-users"), natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.ClientURL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Provision(context.Background(), js); err != nil {
		t.Fatal(err)
	}

	for _, svc := range services {
		t.Run(svc, func(t *testing.T) {
			startAsWritten(t, filepath.Join("systemd", "complaints-"+svc+".service"), bin, etc, srv.ClientURL())
		})
	}
	// The all-in-one process on its embedded server (on a free port here,
	// 4222 in the unit).
	t.Run("all-in-one", func(t *testing.T) {
		startAsWritten(t, filepath.Join("systemd", "complaints-all-in-one.service"), bin, etc, srv.ClientURL())
	})
}

func startAsWritten(t *testing.T, path, bin, etc, natsURL string) {
	u := readUnit(t, path)
	creds, state := t.TempDir(), t.TempDir()
	for _, c := range u["Service.LoadCredential"] {
		name, src, _ := strings.Cut(c, ":")
		b, err := os.ReadFile(strings.Replace(src, "/etc/complaints", etc, 1))
		if err != nil {
			t.Fatalf("LoadCredential=%s: %v", c, err)
		}
		if err := os.WriteFile(filepath.Join(creds, name), b, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	// systemd makes $CREDENTIALS_DIRECTORY read-only: the process must
	// write nothing there (checked after it answers, as the tests run as
	// root, which a file mode does not stop).
	loaded := len(u["Service.LoadCredential"])
	defer func() {
		if entries, err := os.ReadDir(creds); err == nil && len(entries) != loaded {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("the process wrote into its credentials folder, read-only under systemd: %v", names)
		}
	}()
	for _, d := range u["Service.StateDirectory"] {
		if err := os.MkdirAll(filepath.Join(state, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	expand := func(s string) string {
		return strings.NewReplacer("%d", creds, "%S", state).Replace(s)
	}
	vars := map[string]string{}
	for k, v := range u.environment() {
		vars[k] = expand(v)
	}
	for _, f := range u["Service.EnvironmentFile"] {
		optional := strings.HasPrefix(f, "-")
		f = strings.Replace(strings.TrimPrefix(f, "-"), "/etc/complaints", etc, 1)
		b, err := os.ReadFile(f)
		if err != nil {
			if optional {
				continue
			}
			t.Fatalf("EnvironmentFile %s: %v", f, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
				vars[k] = v
			}
		}
	}
	// The addresses of this machine, not the unit's.
	if _, ok := vars["NATS_URL"]; ok {
		vars["NATS_URL"] = natsURL
	}
	if _, ok := vars["EMBEDDED_NATS_PORT"]; ok {
		vars["EMBEDDED_NATS_PORT"] = "-1"
	}
	vars["HTTP_ADDR"] = freeAddr(t)

	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + state}
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	exe := filepath.Join(bin, filepath.Base(strings.Fields(u["Service.ExecStart"][0])[0]))
	cmd := exec.Command(exe)
	cmd.Env = environ
	if wd := u["Service.WorkingDirectory"]; len(wd) == 1 {
		cmd.Dir = expand(wd[0])
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(testkit.Patience):
			_ = cmd.Process.Kill()
			t.Errorf("did not stop on SIGTERM\n%s", logs.String())
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	testkit.EventuallyNil(t, func() error {
		select {
		case err := <-exited:
			t.Fatalf("%s exited: %v\n%s", exe, err, logs.String())
		default:
		}
		res, err := client.Get("http://" + vars["HTTP_ADDR"] + "/healthz")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz %d: %s", res.StatusCode, body)
		}
		return nil
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
