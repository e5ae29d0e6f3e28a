// Package natsservertest starts the embedded NATS server for tests: on a
// free loopback port, its store in a temporary folder, stopped when the test
// ends. Only tests import it: no service or tool links it into a binary.
package natsservertest

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/provision"
)

// RunForTest starts a server on a free loopback port with its store in a
// temporary folder, provisions its streams and buckets as an operator would
// (package provision), stops it when the test ends, and returns it with its
// URL.
func RunForTest(t testing.TB) (*server.Server, string) {
	t.Helper()
	srv := RunBareForTest(t)
	nc := ConnectForTest(t, srv.ClientURL())
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Provision(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return srv, srv.ClientURL()
}

// RunBareForTest is RunForTest without the provisioning: no stream, no
// bucket.
func RunBareForTest(t testing.TB) *server.Server {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), SyncAlways: true, ServerName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return srv
}

// ConnectForTest connects to url and closes the connection when the test
// ends.
func ConnectForTest(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// JetStreamForTest starts a server for the test (RunForTest) and connects to
// it.
func JetStreamForTest(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	_, url := RunForTest(t)
	nc := ConnectForTest(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
