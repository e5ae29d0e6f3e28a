package host_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// probe is a service that records what its dependencies let it do.
type probe struct {
	name string
	deps host.Deps
}

func (p *probe) Name() string                { return p.name }
func (p *probe) Routes(*http.ServeMux)       {}
func (p *probe) Start(context.Context) error { return nil }

func units(probes map[string]*probe, names ...string) []host.Unit {
	var out []host.Unit
	for _, n := range names {
		out = append(out, host.Unit{Name: n, Build: func(d host.Deps) (host.Service, error) {
			p := &probe{name: n, deps: d}
			probes[n] = p
			return p, nil
		}})
	}
	return out
}

func appendEvent(d host.Deps, stream string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := d.Log.Append(ctx, stream, eventlog.Any(), eventlog.EventData{
		ID: stream + "-1", Type: "complaints.v1.Probe", SchemaVersion: 1, Data: []byte{1},
	})
	return err
}

// Production with nkeys: an external server configured with the matrix, and
// each process holding its users' seeds in NATS_CREDENTIALS_DIR.
func TestServicesRunOnAnExternalServerWithTheirOwnNkeyUsers(t *testing.T) {
	// The operator provisioned the event stream; the process holds its
	// services' seeds only.
	url, creds := natsauthtest.RunForTest(t)
	own := natsauthtest.OwnCredentialsForTest(t, creds, "intake")
	for _, user := range natsauth.ProcessUsers("resolution") {
		b, err := os.ReadFile(natsauth.SeedFile(creds, user))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(natsauth.SeedFile(own, user), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	probes := map[string]*probe{}
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), NATSURL: url, NATSCredentialsDir: own}
	s, err := host.Start(context.Background(), cfg, "external-test", units(probes, "intake", "resolution")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	if err := appendEvent(probes["intake"].deps, "complaint-c1"); err != nil {
		t.Fatalf("intake appending its own event: %v", err)
	}
	if err := appendEvent(probes["resolution"].deps, "case-c1"); err != nil {
		t.Fatalf("resolution appending its own event: %v", err)
	}
	if err := appendEvent(probes["resolution"].deps, "complaint-c2"); err == nil {
		t.Fatal("resolution appended intake's event")
	}
	if probes["resolution"].deps.Vault != nil {
		t.Fatal("resolution was given a vault")
	}
	sealed, err := probes["intake"].deps.Vault.Seal(context.Background(), "cust-1", "Ada")
	if err != nil {
		t.Fatalf("intake sealing: %v", err)
	}
	if got, err := probes["intake"].deps.Vault.Open(context.Background(), sealed); err != nil || got != "Ada" {
		t.Fatalf("intake opening: %q, %v", got, err)
	}
	if events, err := probes["intake"].deps.Log.ReadTimeline(context.Background(), "c1"); err != nil || len(events) != 2 {
		t.Fatalf("timeline of c1: %d events, %v", len(events), err)
	}
}

func TestEmbeddedServerRefusesAnonymousConnectionsAndKeepsItsUsers(t *testing.T) {
	dir := t.TempDir()
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "embedded-test", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(s.NATSURL()); err == nil {
		nc.Close()
		t.Fatal("the embedded server accepted an anonymous connection")
	}
	seed, err := os.ReadFile(natsauth.SeedFile(filepath.Join(dir, "nats-users"), natsauth.Operator))
	if err != nil {
		t.Fatalf("no operator credentials in the data dir: %v", err)
	}
	s.Stop()
	s, err = host.Start(context.Background(), cfg, "embedded-test", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	again, _ := os.ReadFile(natsauth.SeedFile(filepath.Join(dir, "nats-users"), natsauth.Operator))
	if string(again) != string(seed) {
		t.Fatal("the operator's seed changed across a restart")
	}
	nc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatalf("operator connecting with the seed in the data dir: %v", err)
	}
	nc.Close()
}

// The embedded server on the JetStream log runs no relay, so it has no relay
// user: no seed is written for one, and a relay seed left in the data dir
// (an earlier version wrote one) is refused. The relay may publish every
// event category, a forged CaseResolved among them.
func TestEmbeddedServerWithoutARelayHasNoRelayUser(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "nats-users")
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "no-relay-test", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(natsauth.SeedFile(creds, natsauth.Relay)); err == nil {
		t.Fatal("a relay seed was written for a process that runs no relay")
	}
	s.Stop()

	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	if err := os.WriteFile(natsauth.SeedFile(creds, natsauth.Relay), append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = host.Start(context.Background(), cfg, "no-relay-test", units(map[string]*probe{}, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if nc, err := s.ConnectAs(natsauth.Relay); err == nil {
		nc.Close()
		t.Fatal("the embedded server accepted the relay's nkey though no relay runs")
	}
}

func TestNATSAndHTTPOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := selfSigned(t, dir)
	cfg := host.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: dir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1,
		NATSTLS: host.TLSFiles{Cert: cert, Key: key, CA: ca},
		HTTPTLS: host.TLSFiles{Cert: cert, Key: key},
	}
	probes := map[string]*probe{}
	s, err := host.Start(context.Background(), cfg, "tls-test", units(probes, "intake")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	// NATS: the service's own connection is encrypted, and a client that
	// does not speak TLS is refused.
	state, err := probes["intake"].deps.NATS.TLSConnectionState()
	if err != nil || !state.HandshakeComplete {
		t.Fatalf("intake's NATS connection is not over TLS: %v", err)
	}
	if err := appendEvent(probes["intake"].deps, "complaint-tls"); err != nil {
		t.Fatalf("append over TLS: %v", err)
	}
	if nc, err := s.ConnectAs(natsauth.Operator, nats.RootCAs(ca)); err != nil {
		t.Fatalf("operator over TLS: %v", err)
	} else {
		nc.Close()
	}
	if info := serverInfo(t, s.NATSURL()); !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("the server does not require TLS: %s", info)
	}

	// HTTP.
	pool := x509.NewCertPool()
	pemCA, _ := os.ReadFile(ca)
	pool.AppendCertsFromPEM(pemCA)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get("https://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil || !res.TLS.HandshakeComplete {
		t.Fatalf("HTTPS /healthz: %d, TLS %v", res.StatusCode, res.TLS)
	}
}

// serverInfo reads the INFO line a NATS server sends a new TCP connection.
func serverInfo(t *testing.T, url string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimPrefix(url, "nats://"), "tls://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// selfSigned writes a CA and a certificate for 127.0.0.1 signed by it.
func selfSigned(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "complaints test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", keyDER)
}

func TestCheckServerVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"2.9.10": false, "2.11.9": false, "2.12.0": true, "2.15.2": true, "3.0.0": true,
		"2.12.0-beta.1": true, "v2.14.1": true, "": false, "garbage": false,
	} {
		if err := host.CheckServerVersion(v); (err == nil) != ok {
			t.Errorf("CheckServerVersion(%q) = %v, want ok %v", v, err, ok)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("SHUTDOWN_GRACE", "3s")
	t.Setenv("NATS_TLS_CA", "/etc/complaints/ca.pem")
	c, err := host.ConfigFromEnv(host.Config{HTTPAddr: "127.0.0.1:8081", Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8081" || !c.Relay || c.DataDir != "data" || c.EmbeddedNATSPort != 4222 ||
		c.ShutdownGrace != 3*time.Second || c.NATSTLS.CA != "/etc/complaints/ca.pem" {
		t.Fatalf("config = %+v", c)
	}
	t.Setenv("HTTP_ADDR", ":9000")
	t.Setenv("RELAY", "false")
	if c, err = host.ConfigFromEnv(host.Config{HTTPAddr: "127.0.0.1:8081", Relay: true}); err != nil || c.HTTPAddr != ":9000" || c.Relay {
		t.Fatalf("environment did not win over the defaults: %+v, %v", c, err)
	}
	t.Setenv("EMBEDDED_NATS_PORT", "not a port")
	if _, err := host.ConfigFromEnv(host.Config{}); err == nil {
		t.Fatal("a bad EMBEDDED_NATS_PORT was accepted")
	}
}

// A permission violation a service's connection is told of is logged, without
// the ids in the subject, and counted.
func TestPermissionViolationsAreLoggedAndCounted(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	probes := map[string]*probe{}
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1,
		Telemetry: &telemetry.Config{Disabled: true}}
	s, err := host.Start(context.Background(), cfg, "violations-test", units(probes, "resolution")...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	var logs syncBuffer
	prevLogger := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prevLogger) })

	if err := probes["resolution"].deps.NATS.Publish("complaints.events.complaint.secret-complaint-id", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	testkit.EventuallyNil(t, func() error {
		if n := counted(t, reader); n != 1 {
			return fmt.Errorf("%d violations counted, want 1; logs: %s", n, logs.String())
		}
		return nil
	})
	out := logs.String()
	if !strings.Contains(out, "NATS permission violation") || !strings.Contains(out, `"subject":"complaints.events.complaint.…"`) {
		t.Fatalf("violation not logged as expected: %s", out)
	}
	if strings.Contains(out, "secret-complaint-id") {
		t.Fatalf("the log names the id in the subject: %s", out)
	}
}

func counted(t *testing.T, reader *sdkmetric.ManualReader) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "complaints.nats.permission_violations" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				user, _ := dp.Attributes.Value(attribute.Key("user"))
				op, _ := dp.Attributes.Value(attribute.Key("operation"))
				if user.AsString() == "resolution" && op.AsString() == "publish" {
					n += dp.Value
				}
			}
		}
	}
	return n
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A service's user may not create the streams: the process says who must,
// and how.
func TestAServiceOnAnUnprovisionedServerSaysHowToProvision(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "nats-users")
	pubs, err := natsauth.EnsureSeeds(creds)
	if err != nil {
		t.Fatal(err)
	}
	users, _ := natsauth.ServerUsers(pubs)
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Users: users, ServerName: "unprovisioned"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), NATSURL: srv.ClientURL(),
		NATSCredentialsDir: natsauthtest.OwnCredentialsForTest(t, creds, "resolution")}
	s, err := host.Start(context.Background(), cfg, "unprovisioned-test", units(map[string]*probe{}, "resolution")...)
	if err == nil {
		s.Stop()
		t.Fatal("started without the event stream")
	}
	if !strings.Contains(err.Error(), "stream COMPLAINT_EVENTS is missing: run complaintctl provision as the operator") {
		t.Fatalf("error does not say how to provision: %v", err)
	}
}
