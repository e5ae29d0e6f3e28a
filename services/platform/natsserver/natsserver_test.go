package natsserver_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
)

func TestAPortInUseIsReportedAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: port, StoreDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) || !strings.Contains(err.Error(), "EMBEDDED_NATS_PORT") {
		t.Fatalf("starting on a port in use: %v; want an error naming the port and what to do", err)
	}
}

func TestTheServerKeepsItsDataAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	nc, js := connect(t, srv.ClientURL())
	if _, err := js.CreateKeyValue(t.Context(), kvConfig); err != nil {
		t.Fatal(err)
	}
	kv, _ := js.KeyValue(t.Context(), kvConfig.Bucket)
	if _, err := kv.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()

	srv, err = natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	_, js = connect(t, srv.ClientURL())
	kv, err = js.KeyValue(t.Context(), kvConfig.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(t.Context(), "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("after restart: %v %v", e, err)
	}
}

var kvConfig = jetstream.KeyValueConfig{Bucket: "restart", Storage: jetstream.FileStorage}

func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc := natsservertest.ConnectForTest(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
