package host

import (
	"bufio"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// olderServer stands in front of a real server and says, in the INFO line
// it greets a client with, that it is nats-server 2.9.10 (Debian's): an
// older node of a cluster, as a client sees one. Everything else passes
// through unchanged.
func olderServer(t *testing.T, real *server.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	version := regexp.MustCompile(`"version":"[^"]*"`)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", real.Addr().String())
				if err != nil {
					return
				}
				defer s.Close()
				r := bufio.NewReader(s)
				go func() { _, _ = io.Copy(s, c) }()
				// Every INFO the server sends says the older version: it
				// sends one again after the client's CONNECT, and that one
				// must not tell the truth either.
				for {
					line, err := r.ReadString('\n')
					if strings.HasPrefix(line, "INFO ") {
						line = version.ReplaceAllString(line, `"version":"2.9.10"`)
					}
					if _, werr := io.WriteString(c, line); werr != nil || err != nil {
						return
					}
				}
			}()
		}
	}()
	return "nats://" + ln.Addr().String()
}

func startServer(t *testing.T, name string) *server.Server {
	t.Helper()
	s, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: t.TempDir(), ServerName: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// TestReconnectingToAnOlderServerClosesTheConnection: a client connected
// to a current server that, once that server is gone, reconnects to one
// older than MinServerVersion closes its connection; one that reconnects to
// a current server carries on.
func TestReconnectingToAnOlderServerClosesTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name      string
		next      func(t *testing.T) string
		wantClose bool
	}{
		{"older", func(t *testing.T) string { return olderServer(t, startServer(t, "next")) }, true},
		{"current", func(t *testing.T) string { return startServer(t, "next").ClientURL() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := startServer(t, "first")
			next := tc.next(t)
			// What refuseOldServerOnReconnect installs, and a word when it
			// has run.
			closed := make(chan bool, 1)
			// Only the two URLs given: a server the proxy stands before
			// would otherwise be reached directly, by its advertised URL.
			nc, err := nats.Connect(first.ClientURL()+","+next, nats.DontRandomize(), nats.IgnoreDiscoveredServers(), nats.MaxReconnects(-1),
				nats.ReconnectWait(10*time.Millisecond),
				nats.ReconnectHandler(func(nc *nats.Conn) { closed <- closeIfTooOld("test", nc) }))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if err := CheckServerVersion(nc.ConnectedServerVersion()); err != nil {
				t.Fatal(err)
			}
			first.Shutdown()
			var didClose bool
			select {
			case didClose = <-closed:
			case <-time.After(testkit.Patience):
				t.Fatal("never reconnected")
			}
			if didClose != tc.wantClose || nc.IsClosed() != tc.wantClose {
				t.Fatalf("after reconnecting to %s: closed %v (connection closed %v), want %v", next, didClose, nc.IsClosed(), tc.wantClose)
			}
		})
	}
}
