// Package natsserver runs the NATS server embedded in the process, with
// JetStream on file storage, so that a fresh machine needs nothing installed.
package natsserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options of the embedded server.
type Options struct {
	// Host and Port the server listens on for clients (127.0.0.1:4222 when
	// empty; Port -1 picks a free port).
	Host string
	Port int
	// StoreDir is where JetStream keeps its files; the server adds its own
	// "jetstream" folder below it.
	StoreDir string
	// SyncAlways makes JetStream fsync every write before acknowledging it.
	// The event log needs it: an acknowledged append survives a power cut.
	SyncAlways bool
	// ServerName names the server in its logs and in JetStream's metadata.
	ServerName string
	// Users are the only clients the server accepts (see natsauth). Without
	// users it accepts anonymous connections: tests only.
	Users []*server.NkeyUser
	// TLS, when set, makes the server require TLS from every client.
	TLS *tls.Config
}

// Start starts the server and waits until it accepts clients.
func Start(o Options) (*server.Server, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 4222
	}
	if o.StoreDir == "" {
		return nil, errors.New("natsserver: StoreDir required")
	}
	if o.ServerName == "" {
		o.ServerName = "complaints"
	}
	if o.Port > 0 {
		// The server would only log that it cannot listen and never become
		// ready: say so at once, and what to do.
		addr := net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("natsserver: cannot listen on %s (is another NATS server or complaints process running? set EMBEDDED_NATS_PORT, or NATS_URL to use that server): %w", addr, err)
		}
		_ = l.Close()
	}
	dir, err := filepath.Abs(o.StoreDir)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: o.ServerName,
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   dir,
		SyncAlways: o.SyncAlways,
		NoSigs:     true,
		// The log and the bus share one server; 8 MiB is ample for an event.
		MaxPayload: 8 << 20,
		Nkeys:      o.Users,
	}
	if o.TLS != nil {
		opts.TLSConfig = o.TLS
		opts.TLS = true
		opts.TLSVerify = o.TLS.ClientAuth == tls.RequireAndVerifyClientCert
		opts.TLSTimeout = 5
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsserver: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("natsserver: not ready to accept clients on %s:%d", o.Host, o.Port)
	}
	return srv, nil
}
