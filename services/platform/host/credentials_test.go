package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// production is an authentication set-up outside development: development
// tokens off, staff verified by something else (OIDC in a real deployment).
func production() auth.Config {
	return auth.Config{DevTokens: "false", Extra: []auth.Verifier{auth.StaticTokens{}}}
}

// A server that asks for no credentials, provisioned: the fail-open case,
// where a process without credentials would get in anonymously.
func anonymousServer(t *testing.T) string {
	t.Helper()
	_, url := natsservertest.RunForTest(t)
	return url
}

// Outside development a process holding no credentials of its own refuses
// to start, naming the setting, even when the server would let it in
// without any.
func TestOutsideDevelopmentAProcessWithoutItsCredentialsRefusesToStart(t *testing.T) {
	url := anonymousServer(t)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), NATSURL: url,
		NATSCredentialsDir: t.TempDir(), Auth: production()}
	s, err := host.Start(context.Background(), cfg, "no-credentials-test", units(map[string]*probe{}, "resolution")...)
	if err == nil {
		s.Stop()
		t.Fatal("started without NATS credentials outside development")
	}
	for _, want := range []string{"NATS_CREDENTIALS_DIR", "resolution.nk", "development"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("the refusal does not say %q: %v", want, err)
		}
	}
}

// In development (development tokens on, the default) the same process
// still starts on a server that asks for no credentials, as `nats-server
// -js` on a laptop.
func TestInDevelopmentAProcessWithoutCredentialsConnectsToAnOpenServer(t *testing.T) {
	url := anonymousServer(t)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), NATSURL: url, NATSCredentialsDir: t.TempDir()}
	s, err := host.Start(context.Background(), cfg, "dev-open-test", units(map[string]*probe{}, "resolution")...)
	if err != nil {
		t.Fatalf("development process on an open server: %v", err)
	}
	s.Stop()
}

// securedServer is a server accepting only the matrix's users, provisioned
// by the operator, with every seed in creds.
func securedServer(t *testing.T, provisioned bool) (srv *server.Server, creds string) {
	t.Helper()
	creds = filepath.Join(t.TempDir(), "nats-users")
	pubs, err := natsauth.EnsureSeeds(creds)
	if err != nil {
		t.Fatal(err)
	}
	users, _ := natsauth.ServerUsers(pubs)
	srv, err = natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Users: users, ServerName: "secured"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if provisioned {
		opts, _ := natsauth.ClientOptions(creds, natsauth.Operator)
		nc, err := nats.Connect(srv.ClientURL(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if err := provision.Provision(context.Background(), js); err != nil {
			t.Fatal(err)
		}
	}
	return srv, creds
}

// withOperator is a process's own credentials folder with the operator's
// seed dropped into it by mistake (the whole folder copied).
func withOperator(t *testing.T, creds, service string) string {
	t.Helper()
	own := natsauthtest.OwnCredentialsForTest(t, creds, service)
	b, err := os.ReadFile(natsauth.SeedFile(creds, natsauth.Operator))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(natsauth.SeedFile(own, natsauth.Operator), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return own
}

// A service on a server of its own never connects as the operator because
// the operator's seed lies in its credentials folder: it connects with its
// own users only.
func TestAServiceDoesNotConnectAsTheOperatorWhenItsSeedIsAtHand(t *testing.T) {
	srv, creds := securedServer(t, true)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), NATSURL: srv.ClientURL(),
		NATSCredentialsDir: withOperator(t, creds, "intake")}
	s, err := host.Start(context.Background(), cfg, "operator-at-hand", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	conns, err := srv.Connz(&server.ConnzOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range conns.Conns {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		t.Fatal("no connection from the process")
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "operator-at-hand/intake") {
			t.Fatalf("the process connected as %q; its connections: %v", n, names)
		}
	}
}

// Nor does it provision with it: on an unprovisioned server it refuses to
// start and says who must provision.
func TestAServiceDoesNotProvisionWithTheOperatorsSeed(t *testing.T) {
	srv, creds := securedServer(t, false)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), NATSURL: srv.ClientURL(),
		NATSCredentialsDir: withOperator(t, creds, "resolution")}
	s, err := host.Start(context.Background(), cfg, "operator-provision", units(map[string]*probe{}, "resolution")...)
	if err == nil {
		s.Stop()
		t.Fatal("the service provisioned the streams with the operator's seed it found")
	}
	if !strings.Contains(err.Error(), "run complaintctl provision as the operator") {
		t.Fatalf("error does not say how to provision: %v", err)
	}
}

// Outside development the host generates no key-encryption key beside the
// bucket: intake refuses to start without PII_KEK_FILE, and writes nothing.
func TestOutsideDevelopmentNoKEKIsGenerated(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	data := t.TempDir()
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: data, NATSURL: url,
		NATSCredentialsDir: natsauthtest.OwnCredentialsForTest(t, creds, "intake"), Auth: production()}
	s, err := host.Start(context.Background(), cfg, "no-kek-test", units(map[string]*probe{}, "intake")...)
	if err == nil {
		s.Stop()
		t.Fatal("intake started outside development without PII_KEK_FILE")
	}
	if !strings.Contains(err.Error(), "PII_KEK_FILE") {
		t.Fatalf("the refusal does not name PII_KEK_FILE: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "pii-kek")); err == nil {
		t.Fatal("a KEK was written into DATA_DIR")
	}

	// With a KEK file of its own, it starts.
	kekFile := filepath.Join(t.TempDir(), "pii-kek")
	if _, err := pii.CreateKeyRingFile(kekFile); err != nil {
		t.Fatal(err)
	}
	cfg.PIIKEKFile = kekFile
	s, err = host.Start(context.Background(), cfg, "no-kek-test", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatalf("intake with PII_KEK_FILE: %v", err)
	}
	s.Stop()
}

// In development the host still creates $DATA_DIR/pii-kek on first start,
// as `make run` from a fresh clone needs.
func TestInDevelopmentTheKEKIsCreatedInTheDataDir(t *testing.T) {
	data := t.TempDir()
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: data, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "dev-kek-test", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := pii.LoadKeyRing(filepath.Join(data, "pii-kek")); err != nil {
		t.Fatalf("no development KEK: %v", err)
	}
}

// A key stored unwrapped in the bucket (before KEKs, or planted by whoever
// may write there) is reported at intake's start, in the gauge
// complaints.pii.keys{wrapped_by="unwrapped"}, and left unwrapped.
func TestUnwrappedKeysAreReportedAtStart(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	probes := map[string]*probe{}
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1,
		Telemetry: &telemetry.Config{Disabled: true}}
	s, err := host.Start(context.Background(), cfg, "unwrapped-test", units(probes, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probes["intake"].deps.Vault.Seal(context.Background(), "cust-1", "Ada"); err != nil {
		t.Fatal(err)
	}
	if got := keysGauge(t, reader); got["unwrapped"] != 0 || got["current"] != 0 {
		t.Fatalf("gauge at the first start = %v; want an empty bucket", got)
	}
	nc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), pii.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	planted := make([]byte, 1+8+32)
	planted[0] = 1 // a key in clear, as stored before KEKs
	if _, err := kv.Put(context.Background(), "c.cGxhbnRlZA", planted); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	s.Stop()

	s, err = host.Start(context.Background(), cfg, "unwrapped-test", units(probes, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if got := keysGauge(t, reader); got["unwrapped"] != 1 || got["current"] != 1 || got["older"] != 0 {
		t.Fatalf("gauge after the restart = %v; want 1 unwrapped, 1 under the current KEK", got)
	}
	if _, err := probes["intake"].deps.Vault.KeyID(context.Background(), "planted"); !errors.Is(err, pii.ErrUnwrapped) {
		t.Fatalf("the planted key was accepted: %v", err)
	}
}

// keysGauge reads the last complaints.pii.keys values by wrapped_by.
func keysGauge(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != host.PersonalDataKeysMetric {
				continue
			}
			for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				by, _ := dp.Attributes.Value(attribute.Key("wrapped_by"))
				out[by.AsString()] = dp.Value
			}
		}
	}
	return out
}
