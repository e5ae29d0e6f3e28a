// Package host runs one or more services in a process: it reads the
// configuration, connects to NATS (or starts the embedded server), opens the
// event log (JetStream by default, EventStoreDB when configured), starts each
// service's consumers and serves every service's routes on one address.
package host

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is a process's configuration, read from the environment.
type Config struct {
	// HTTPAddr is where the HTTP API listens (HTTP_ADDR).
	HTTPAddr string
	// NATSURL is the NATS server to use (NATS_URL). Empty starts an embedded
	// server keeping its data in DataDir.
	NATSURL string
	// DataDir holds the embedded server's JetStream files (DATA_DIR).
	DataDir string
	// EmbeddedNATSAddr is where the embedded server accepts other processes'
	// connections (EMBEDDED_NATS_ADDR, host:port; port -1 picks a free one).
	EmbeddedNATSHost string
	EmbeddedNATSPort int
	// EventStoreURL selects EventStoreDB as the event log (EVENTSTORE_URL).
	EventStoreURL string
	// Relay runs the EventStoreDB-to-bus relay in this process (RELAY=true).
	// Exactly one process should run it. Ignored with the JetStream log.
	Relay bool
	// ShutdownGrace bounds a graceful shutdown (SHUTDOWN_GRACE).
	ShutdownGrace time.Duration
	// DebugAddr, when set, serves Go's profiling endpoints (/debug/pprof/)
	// on a separate address (DEBUG_ADDR). Keep it on loopback.
	DebugAddr string
}

// ConfigFromEnv reads the configuration, with defaultAddr as HTTP_ADDR's
// default and relay as RELAY's.
func ConfigFromEnv(defaultAddr string, relay bool) (Config, error) {
	c := Config{
		HTTPAddr:         env("HTTP_ADDR", defaultAddr),
		NATSURL:          os.Getenv("NATS_URL"),
		DataDir:          env("DATA_DIR", "data"),
		EmbeddedNATSHost: env("EMBEDDED_NATS_HOST", "127.0.0.1"),
		EventStoreURL:    os.Getenv("EVENTSTORE_URL"),
		Relay:            relay,
		ShutdownGrace:    10 * time.Second,
		DebugAddr:        os.Getenv("DEBUG_ADDR"),
	}
	var err error
	if c.EmbeddedNATSPort, err = strconv.Atoi(env("EMBEDDED_NATS_PORT", "4222")); err != nil {
		return c, fmt.Errorf("EMBEDDED_NATS_PORT: %w", err)
	}
	if v := os.Getenv("RELAY"); v != "" {
		if c.Relay, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("RELAY: %w", err)
		}
	}
	if v := os.Getenv("SHUTDOWN_GRACE"); v != "" {
		if c.ShutdownGrace, err = time.ParseDuration(v); err != nil {
			return c, fmt.Errorf("SHUTDOWN_GRACE: %w", err)
		}
	}
	return c, nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
