// Package natsauthtest starts the embedded NATS server for tests as
// production runs it: only the permission matrix's users, each with its own
// seed. Only tests import it: no service or tool links it into a binary.
package natsauthtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/provision"
)

// RunForTest starts a server on a free loopback port that accepts only the
// matrix's users, with every user's seed in creds and the streams and
// buckets provisioned by the operator, as in production. It stops when the test ends.
func RunForTest(t testing.TB) (url, creds string) {
	t.Helper()
	dir := t.TempDir()
	creds = filepath.Join(dir, "nats-users")
	pubs, err := natsauth.EnsureSeeds(creds)
	if err != nil {
		t.Fatal(err)
	}
	users, err := natsauth.ServerUsers(pubs)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: filepath.Join(dir, "store"), SyncAlways: true, Users: users, ServerName: "secured-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	opts, err := natsauth.ClientOptions(creds, natsauth.Operator)
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
	return srv.ClientURL(), creds
}

// OwnCredentialsForTest copies one user's seed from creds into a folder of
// its own, as a process holding only its own credentials would have; for a
// service, its API user's seed too (natsauth.ProcessUsers).
func OwnCredentialsForTest(t testing.TB, creds, user string) string {
	t.Helper()
	users := []string{user}
	if _, ok := natsauth.ServiceNamed(user); ok {
		users = natsauth.ProcessUsers(user)
	}
	own := t.TempDir()
	for _, u := range users {
		b, err := os.ReadFile(natsauth.SeedFile(creds, u))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(natsauth.SeedFile(own, u), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return own
}
