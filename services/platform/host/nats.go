package host

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/provision"
)

// MinServerVersion is the oldest NATS server the services run on: atomic
// batch publish and message schedules came with 2.12.
const MinServerVersion = "2.12.0"

// startNATS starts the embedded server (unless NATSURL is set) with the
// generated users, and then, as the operator, provisions its streams and
// buckets (package provision). Only the process that runs the embedded
// server connects as the operator: on a server of your own the operator
// provisions with complaintctl provision, and a service never uses the
// operator's credentials, even when it finds them in its folder.
func (s *System) startNATS(ctx context.Context, process string) error {
	cfg := s.cfg
	dir := cfg.credentialsDir()
	s.url = cfg.NATSURL
	if s.url != "" {
		if haveCredentials(dir, natsauth.Operator) {
			slog.Warn("the NATS credentials folder holds the operator's credentials, which this process does not use: "+
				"give each process only its own services' (NATS_CREDENTIALS_DIR), and keep the operator's for complaintctl provision",
				"dir", dir)
		}
		return nil
	}
	// The relay's user only where this process runs the relay: on the
	// JetStream log nothing needs a user that may publish every event.
	pubs, err := natsauth.EnsureSeedsOf(dir, natsauth.EmbeddedUsers(cfg.runsRelay()))
	if err != nil {
		return fmt.Errorf("embedded NATS users: %w", err)
	}
	users, err := natsauth.ServerUsers(pubs)
	if err != nil {
		return err
	}
	var serverTLS *tls.Config
	if cfg.NATSTLS.hasCert() {
		cert, err := tls.LoadX509KeyPair(cfg.NATSTLS.Cert, cfg.NATSTLS.Key)
		if err != nil {
			return fmt.Errorf("NATS_TLS_CERT, NATS_TLS_KEY: %w", err)
		}
		serverTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.srv, err = natsserver.Start(natsserver.Options{
		Host: cfg.EmbeddedNATSHost, Port: cfg.EmbeddedNATSPort, StoreDir: cfg.DataDir,
		SyncAlways: true, ServerName: process, Users: users, TLS: serverTLS,
	})
	if err != nil {
		return fmt.Errorf("embedded NATS: %w", err)
	}
	s.url = s.srv.ClientURL()
	slog.Info("embedded NATS server started", "url", s.url, "data_dir", cfg.DataDir)
	slog.Info("NATS users (one per service, outside systems, payment systems, operator; the relay with EventStoreDB) written", "dir", dir,
		"nats_cli", "nats --server "+s.url+" --nkey "+natsauth.SeedFile(dir, natsauth.Operator)+" stream ls")
	admin, err := s.connect(process, natsauth.Operator)
	if err != nil {
		return err
	}
	s.admin = admin
	js, err := jetstream.New(admin)
	if err != nil {
		return err
	}
	return provision.Provision(ctx, js)
}

func haveCredentials(dir, user string) bool {
	return fileExists(natsauth.CredsFile(dir, user)) || fileExists(natsauth.SeedFile(dir, user))
}

// connect connects to the server as user, checks the server's version, and
// reports permission violations. Without the user's credentials it refuses,
// unless the process is in development, where it connects without any (to
// a bare `nats-server -js`).
func (s *System) connect(process, user string) (*nats.Conn, error) {
	cfg := s.cfg
	dir := cfg.credentialsDir()
	opts := []nats.Option{nats.Name(process + "/" + user), nats.MaxReconnects(-1), nats.ErrorHandler(asyncErrors(user, violations(s.meter))),
		refuseOldServerOnReconnect(user)}
	if haveCredentials(dir, user) {
		creds, err := natsauth.ClientOptions(dir, user)
		if err != nil {
			return nil, err
		}
		opts = append(opts, creds...)
	} else if s.development {
		slog.Warn("no NATS credentials for this user: connecting without any, as in development only (NATS_CREDENTIALS_DIR)", "user", user, "dir", dir)
	} else {
		return nil, fmt.Errorf("no NATS credentials for user %s: NATS_CREDENTIALS_DIR (%s) holds neither %s nor %s; "+
			"outside development (development tokens off) each process connects with its own credentials only",
			user, dir, filepath.Base(natsauth.SeedFile(dir, user)), filepath.Base(natsauth.CredsFile(dir, user)))
	}
	if cfg.NATSTLS.CA != "" {
		opts = append(opts, nats.RootCAs(cfg.NATSTLS.CA))
	}
	if cfg.NATSURL != "" && cfg.NATSTLS.hasCert() {
		opts = append(opts, nats.ClientCert(cfg.NATSTLS.Cert, cfg.NATSTLS.Key))
	}
	nc, err := nats.Connect(s.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s as %s: %w", s.url, user, err)
	}
	if err := CheckServerVersion(nc.ConnectedServerVersion()); err != nil {
		nc.Close()
		return nil, fmt.Errorf("NATS at %s: %w", s.url, err)
	}
	return nc, nil
}

// ConnectAs connects to the process's NATS server as one of the users whose
// credentials the process holds (natsauth.Operator for tests and tools).
func (s *System) ConnectAs(user string, opts ...nats.Option) (*nats.Conn, error) {
	creds, err := natsauth.ClientOptions(s.cfg.credentialsDir(), user)
	if err != nil {
		return nil, err
	}
	if s.cfg.NATSTLS.CA != "" {
		creds = append(creds, nats.RootCAs(s.cfg.NATSTLS.CA))
	}
	return nats.Connect(s.url, append(creds, opts...)...)
}

// refuseOldServerOnReconnect checks the server a connection reconnects to
// (another node of a cluster, or the same one upgraded or downgraded) as
// connect checked the first: on one older than MinServerVersion it closes
// the connection, saying why. /healthz then fails, the process is restarted
// and refused at start with the same message.
func refuseOldServerOnReconnect(user string) nats.Option {
	return nats.ReconnectHandler(func(nc *nats.Conn) { closeIfTooOld(user, nc) })
}

// closeIfTooOld closes nc if the server it is connected to is older than
// MinServerVersion, and reports whether it did.
func closeIfTooOld(user string, nc *nats.Conn) bool {
	err := CheckServerVersion(nc.ConnectedServerVersion())
	if err == nil {
		return false
	}
	slog.Error("reconnected to a NATS server too old for the complaint services: connection closed; upgrade that server",
		"user", user, "server", nc.ConnectedUrlRedacted(), "server_name", nc.ConnectedServerName(), "err", err)
	nc.Close()
	return true
}

// CheckServerVersion refuses a NATS server older than MinServerVersion.
func CheckServerVersion(version string) error {
	if !atLeast(version, MinServerVersion) {
		return fmt.Errorf("the NATS server is version %q; the complaint services need nats-server %s or later "+
			"(atomic batch publish, message schedules). Install a recent one, e.g. "+
			"`go install github.com/nats-io/nats-server/v2@v2.15.2`, or unset NATS_URL to use the embedded server",
			version, MinServerVersion)
	}
	return nil
}

func atLeast(version, min string) bool {
	v, m := parseVersion(version), parseVersion(min)
	if v == nil {
		return false
	}
	for i := range 3 {
		if v[i] != m[i] {
			return v[i] > m[i]
		}
	}
	return true
}

func parseVersion(s string) []int {
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil
	}
	out := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out[i] = n
	}
	return out
}

// PermissionViolationsMetric counts the permission violations the server
// reported on a service's connections, by user and operation.
const PermissionViolationsMetric = "complaints.nats.permission_violations"

// violations is the counter of permission violations on mp (the global
// provider when nil).
func violations(mp metric.MeterProvider) metric.Int64Counter {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	c, _ := mp.Meter("github.com/complaintflow/complaintflow/services/platform/host").Int64Counter(
		PermissionViolationsMetric,
		metric.WithDescription("NATS permission violations a service's connection was told of"))
	return c
}

// asyncErrors logs and counts in c the permission violations the server
// reports on a user's connection. The log names the operation and the
// subject's first tokens only: later tokens may carry a complaint or
// customer id.
func asyncErrors(user string, c metric.Int64Counter) nats.ErrHandler {
	return func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if !errors.Is(err, nats.ErrPermissionViolation) {
			slog.Warn("NATS asynchronous error", "user", user, "err", err)
			return
		}
		op, subject := violationDetail(err.Error())
		if c != nil {
			c.Add(context.Background(), 1, metric.WithAttributes(attribute.String("user", user), attribute.String("operation", op)))
		}
		slog.Warn("NATS permission violation", "user", user, "operation", op, "subject", subject)
	}
}

// violationDetail turns `nats: permissions violation for publish to
// "complaints.events.case.42"` into ("publish", "complaints.events.case.…").
func violationDetail(msg string) (op, subject string) {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "for publish"):
		op = "publish"
	case strings.Contains(lower, "for subscription"):
		op = "subscribe"
	default:
		op = "unknown"
	}
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		subject = strings.Trim(msg[i:], `"' `)
	}
	if tokens := strings.Split(subject, "."); len(tokens) > 3 {
		subject = strings.Join(tokens[:3], ".") + ".…"
	}
	return op, subject
}
