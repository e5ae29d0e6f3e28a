// Package host runs one or more services in a process: it reads the
// configuration, connects to NATS (or starts the embedded server), opens the
// event log (JetStream by default, EventStoreDB when configured), starts each
// service's consumers and serves every service's routes on one address.
package host

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// Config is a process's configuration, read from the environment by
// ConfigFromEnv. The zero value of every field but HTTPAddr and DataDir is a
// working default.
type Config struct {
	// HTTPAddr is where the HTTP API listens.
	HTTPAddr string `env:"HTTP_ADDR"`
	// NATSURL is the NATS server to use. Empty starts an embedded server
	// keeping its data in DataDir.
	NATSURL string `env:"NATS_URL"`
	// DataDir holds the embedded server's JetStream files and NATS users,
	// and in development the key-encryption key.
	DataDir string `env:"DATA_DIR" envDefault:"data"`
	// EmbeddedNATSHost and EmbeddedNATSPort are where the embedded server
	// accepts other processes' connections (port -1 picks a free one).
	EmbeddedNATSHost string `env:"EMBEDDED_NATS_HOST" envDefault:"127.0.0.1"`
	EmbeddedNATSPort int    `env:"EMBEDDED_NATS_PORT" envDefault:"4222"`
	// NATSCredentialsDir holds each NATS user's credentials: <user>.creds (a
	// JWT and seed, operator/account setups) or <user>.nk (an nkey seed).
	// Default <DataDir>/nats-users, where the embedded server generates them.
	// With NATSURL, a process needs its own services' credentials here; it
	// refuses to start without them outside development, and never uses
	// the operator's.
	NATSCredentialsDir string `env:"NATS_CREDENTIALS_DIR"`
	// NATSTLS: with the embedded server, its certificate (Cert, Key) and the
	// authority the process's own clients trust (CA); with NATS_URL, the
	// authority that signed the server's certificate (CA) and, for mutual
	// TLS, the client's certificate (Cert, Key).
	NATSTLS TLSFiles `envPrefix:"NATS_TLS_"`
	// HTTPTLS serves the HTTP API over TLS when Cert and Key are set.
	HTTPTLS TLSFiles `envPrefix:"HTTP_TLS_"`
	// PIIKEKFile holds the key-encryption keys of the personal-data keys
	// (see pii.KeyRing); the file must exist. Required outside development;
	// in development the default is <DataDir>/pii-kek, created on first
	// start.
	PIIKEKFile string `env:"PII_KEK_FILE"`
	// EventStoreURL selects EventStoreDB as the event log.
	EventStoreURL string `env:"EVENTSTORE_URL"`
	// EventStoreUsers names each service's EventStoreDB user
	// ("intake:complaints-intake,resolution:complaints-resolution,..."):
	// the one user that writes the streams of that service's categories
	// (ADR 0037). Empty: streams get no ACL of their own and the relay
	// vouches for no writer.
	EventStoreUsers map[string]string `env:"EVENTSTORE_USERS"`
	// Relay runs the EventStoreDB-to-bus relay in this process. Exactly one
	// process should run it. Ignored with the JetStream log.
	Relay bool `env:"RELAY"`
	// ShutdownGrace bounds a graceful shutdown.
	ShutdownGrace time.Duration `env:"SHUTDOWN_GRACE" envDefault:"10s"`
	// Auth is how API callers authenticate: development tokens, customer
	// capability tokens, OIDC, rate limits (AUTH_*, CUSTOMER_TOKEN_*, OIDC_*, HTTP_RATE_*, HTTP_TRUSTED_PROXIES, HTTP_PROXY_HEADER).
	Auth auth.Config
	// Telemetry is what telemetry.Setup installs (OTEL_* and LOG_LEVEL).
	// Nil reads it from the environment at Start.
	Telemetry *telemetry.Config `env:"-"`
	// DebugAddr, when set, serves Go's profiling endpoints (/debug/pprof/)
	// on a separate address. Keep it on loopback.
	DebugAddr string `env:"DEBUG_ADDR"`
	// HelpURL is where every problem the process answers sends its caller
	// for help: a URL or a contact (HELP_URL); empty is httpx.DefaultHelp.
	HelpURL string `env:"HELP_URL"`
}

// TLSFiles name PEM files.
type TLSFiles struct {
	Cert string `env:"CERT"`
	Key  string `env:"KEY"`
	CA   string `env:"CA"`
}

func (t TLSFiles) hasCert() bool { return t.Cert != "" && t.Key != "" }

func (c Config) credentialsDir() string {
	if c.NATSCredentialsDir != "" {
		return c.NATSCredentialsDir
	}
	return filepath.Join(c.DataDir, "nats-users")
}

// runsRelay: this process runs the EventStoreDB-to-bus relay.
func (c Config) runsRelay() bool { return c.EventStoreURL != "" && c.Relay }

// devKEKFile is the key-encryption key file of development, beside the
// bucket.
func (c Config) devKEKFile() string { return filepath.Join(c.DataDir, "pii-kek") }

// ConfigFromEnv reads the configuration from the environment, with the
// process's defaults (its HTTP address, whether it runs the relay) applied
// first.
func ConfigFromEnv(defaults Config) (Config, error) {
	c := defaults
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	tc, err := telemetry.ConfigFromEnv()
	if err != nil {
		return c, err
	}
	c.Telemetry = &tc
	return c, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
