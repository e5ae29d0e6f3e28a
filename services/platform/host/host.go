package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/bus/writers"
	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/esdblog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/platform/relay"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Deps is what a service is built from. Its NATS connection is the
// service's own, made with the service's NATS user (see natsauth), and so
// are the log adapter, checkpoint store and vault made over it.
type Deps struct {
	Log       eventlog.Log
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	// Requests is the connection the service answers its request subjects
	// and $SRV discovery on (its micro service), made with its API user
	// (natsauth.APIUser): it may publish on the requesters' inboxes only,
	// so no reply subject a requester names can turn an answer into an
	// event or a key. Handlers append through Log, over NATS. Nil for a
	// unit that is not one of natsauth.Services.
	Requests *nats.Conn
	// Vault is nil unless the service holds the personal-data keys (intake).
	Vault       *pii.Vault
	Checkpoints checkpoint.Store
	Logger      *slog.Logger
	// Timers schedules commands for later ("at T, deliver X to service S"),
	// durably, on JetStream message schedules (see package timer).
	Timers *timer.Timers
	// CustomerTokens issues the per-complaint capability tokens customers act
	// with (intake hands one out with every new complaint). Nil in a process
	// none of whose units signs them (Unit.SignsCustomerTokens).
	CustomerTokens *auth.CustomerTokens
	// Verifier checks the bearer tokens of the service's NATS requests: the
	// process's verifier chain, the one in front of its HTTP routes (ADR
	// 0036).
	Verifier auth.Verifier
	// DevTokensFile is the development tokens file in use, empty when they
	// are off: a unit that makes requests itself (the simulated payment
	// system) reads the token of its role there.
	DevTokensFile string
	// Meter is the process's meter provider (the one telemetry installed):
	// a service makes its instruments on it.
	Meter metric.MeterProvider
	// consumers collects the process's durable consumers, so /healthz can
	// tell when one is not running.
	consumers *bus.Consumers
	// Go runs f in the background; Stop waits for it to return after the
	// services' context is cancelled. Consumers and projections use it so
	// that shutdown lets in-flight handling finish.
	Go func(f func())
}

// Service is one of the five services, as the host runs it.
type Service interface {
	// Name is the service's name: intake, resolution, ...
	Name() string
	// Routes registers the service's HTTP routes.
	Routes(mux *http.ServeMux)
	// Start starts the service's consumers and projections; they run until
	// ctx is cancelled. Start returns once they are running.
	Start(ctx context.Context) error
}

// Factory builds a service from its dependencies.
type Factory func(Deps) (Service, error)

// Unit is a service as the host runs it: its name, which is also its NATS
// user (see natsauth), and its factory.
type Unit struct {
	Name  string
	Build Factory
	// SignsCustomerTokens: the service issues customer capability tokens
	// (intake). A process loads the signing key only when one of its units
	// does; the others verify with the public key alone.
	SignsCustomerTokens bool
	// Pages, when set, makes the unit browser pages rather than a service:
	// a client of the API, with no NATS connection, log or keys of its own.
	// The host calls Pages with the API's mux instead of Build.
	Pages func(mux *http.ServeMux, p PagesDeps)
}

// PagesDeps is what browser pages are given (Unit.Pages).
type PagesDeps struct {
	// DevTokensFile is the development tokens file, empty when development
	// tokens are off: the pages offer a development sign-in only with it.
	DevTokensFile string
}

// System is a running process hosting services.
type System struct {
	cfg     Config
	srv     *server.Server
	admin   *nats.Conn // the operator's connection: only with the embedded server
	units   []*unitRuntime
	esdb    eventlog.Log
	readLog eventlog.Log // the log Log returns
	// sharedLog, when set, is the one JetStream log adapter every service of
	// this process appends through (see Start).
	sharedLog eventlog.Log
	ownsRead  bool
	relayNC   *nats.Conn
	http      *http.Server
	listener  net.Listener
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	shutdown  func(context.Context) error
	meter     metric.MeterProvider
	debug     *http.Server
	names     []string
	url       string
	gate      *auth.Gate
	// development: the process accepts development tokens (AUTH_DEV_TOKENS,
	// on unless OIDC is configured). Only then may it connect to NATS
	// without credentials and create its key-encryption key in DataDir.
	development bool
	// consumers are every service's durable consumers, for /healthz.
	consumers bus.Consumers
}

// unitRuntime is what the host opened for one service: its own NATS
// connection, made with its own user, and everything made over it.
type unitRuntime struct {
	name  string
	nc    *nats.Conn
	api   *nats.Conn   // the service's API user's: requests and discovery
	log   eventlog.Log // nil when the log is EventStoreDB's, shared
	vault *pii.Vault
}

// Start brings up NATS (embedded unless NATSURL is set), the event log, the
// services and the HTTP API. Stop undoes it.
func Start(ctx context.Context, cfg Config, name string, units ...Unit) (_ *System, err error) {
	s := &System{cfg: cfg}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	httpx.SetHelp(cfg.HelpURL)
	if cfg.Telemetry != nil {
		s.shutdown, err = telemetry.SetupWith(ctx, name, *cfg.Telemetry)
	} else {
		s.shutdown, err = telemetry.Setup(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	// The provider telemetry has just installed: every instrument of the
	// process is made on it.
	s.meter = otel.GetMeterProvider()
	cfg.Auth.Meter = s.meter
	for _, u := range units {
		cfg.Auth.SignsCustomerTokens = cfg.Auth.SignsCustomerTokens || u.SignsCustomerTokens
	}
	if s.gate, err = auth.NewGate(ctx, cfg.Auth, cfg.DataDir); err != nil {
		return nil, fmt.Errorf("authentication: %w", err)
	}
	if s.gate.DevTokensFile != "" {
		s.development = true
		slog.Info("development API tokens, one per role", "file", s.gate.DevTokensFile)
	}
	if err := s.startNATS(ctx, name); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	goFn := func(f func()) {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); f() }()
	}

	if cfg.EventStoreURL != "" {
		owners, err := esdblog.WritersOf(writers.ByCategory, cfg.EventStoreUsers)
		if err != nil {
			return nil, fmt.Errorf("EVENTSTORE_USERS: %w", err)
		}
		el, err := esdblog.New(ctx, cfg.EventStoreURL, esdblog.Options{Writers: owners, Meter: s.meter})
		if err != nil {
			return nil, fmt.Errorf("EventStoreDB: %w", err)
		}
		s.esdb = el
		s.readLog = s.esdb
		if cfg.runsRelay() {
			if err := s.startRelay(ctx, runCtx, name); err != nil {
				return nil, err
			}
		}
	} else if s.admin != nil {
		jl, err := jetstreamlog.New(ctx, s.admin, jetstreamlog.Options{Meter: s.meter})
		if err != nil {
			return nil, fmt.Errorf("JetStream event log: %w", err)
		}
		s.readLog = jl
		s.ownsRead = true
		// A process hosting several services on its embedded server holds
		// every one of their credentials (and the operator's) anyway, so
		// separate NATS users for their appends would isolate nothing. One adapter for all of
		// them lets concurrent appends of different services share one
		// atomic batch: the stream stages each batch in a store of its own,
		// and one writer per service multiplied the batches (and cut the
		// lifecycle's throughput by about two thirds). Each service still
		// consumes, schedules and keeps its keys over its own connection.
		// A process running one service appends with its own user.
		if len(units) > 1 {
			s.sharedLog = jl
		}
	}
	mux := http.NewServeMux()
	for _, u := range units {
		if u.Pages != nil {
			u.Pages(mux, PagesDeps{DevTokensFile: s.gate.DevTokensFile})
			continue
		}
		deps, err := s.open(ctx, name, u.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.Name, err)
		}
		deps.Go = goFn
		deps.CustomerTokens = s.gate.Customers
		deps.Verifier, deps.DevTokensFile = s.gate.Verifier, s.gate.DevTokensFile
		deps.consumers = &s.consumers
		svc, err := u.Build(deps)
		if err != nil {
			return nil, err
		}
		svc.Routes(mux)
		if err := svc.Start(runCtx); err != nil {
			return nil, fmt.Errorf("start %s: %w", svc.Name(), err)
		}
		s.names = append(s.names, svc.Name())
	}
	if s.readLog == nil && len(s.units) > 0 {
		s.readLog = s.units[0].log
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		for _, u := range s.units {
			if u.nc.Status() != nats.CONNECTED || (u.api != nil && u.api.Status() != nats.CONNECTED) {
				httpx.WriteProblem(w, r, &httpx.Problem{Type: httpx.TypeInternal, Title: "NATS not connected", Status: http.StatusServiceUnavailable})
				return
			}
		}
		if err := s.consumers.Healthy(); err != nil {
			httpx.WriteProblem(w, r, &httpx.Problem{Type: httpx.TypeInternal, Title: "A durable consumer is not running",
				Detail: err.Error(), Status: http.StatusServiceUnavailable})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, s.health())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.NotFound("no route for "+r.Method+" "+r.URL.Path))
	})

	if cfg.DebugAddr != "" {
		if err := s.serveDebug(cfg.DebugAddr); err != nil {
			return nil, err
		}
	}
	s.listener, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	s.http = &http.Server{
		Handler: telemetry.HTTPHandler(httpx.Guard(s.gate.Handler(mux)), name),
		// Bound what a slow or idle client can hold: bodies are at most
		// httpx.MaxBodyBytes, and no answer takes long to write.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var err error
		if cfg.HTTPTLS.hasCert() {
			err = s.http.ServeTLS(s.listener, cfg.HTTPTLS.Cert, cfg.HTTPTLS.Key)
		} else {
			err = s.http.Serve(s.listener)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("HTTP server stopped", "err", err)
		}
	}()
	return s, nil
}

// Health is the answer of /healthz while the process runs.
type Health struct {
	// Status is "ok", or "degraded" while a projection lacks events it
	// could not fold (dead-lettered) or waits to resume after a failure:
	// the process still serves, and restarting it would not help, so the
	// answer stays 200.
	Status   string   `json:"status"`
	Services []string `json:"services"`
	// Projections are the read models the process keeps.
	Projections []ProjectionHealth `json:"projections"`
}

// ProjectionHealth is one projection's place in Health.
type ProjectionHealth struct {
	Service     string            `json:"service"`
	Name        string            `json:"name"`
	Position    eventlog.Position `json:"log_position"`
	DeadLetters uint64            `json:"dead_letters"`
	Error       string            `json:"error,omitempty"`
}

func (s *System) health() Health {
	h := Health{Status: "ok", Services: s.names, Projections: []ProjectionHealth{}}
	for _, u := range s.units {
		for _, p := range projection.Running(u.nc) {
			h.Projections = append(h.Projections, ProjectionHealth{Service: u.name, Name: p.Name, Position: p.Position,
				DeadLetters: p.DeadLetters.Count, Error: p.Error})
			if p.DeadLetters.Count > 0 || p.Error != "" {
				h.Status = "degraded"
			}
		}
	}
	return h
}

// open makes one service's dependencies over a NATS connection of its own,
// with its own user: its event-log adapter, checkpoint store and, for the
// service that holds personal-data keys, its vault; and the connection it
// answers requests on, with its API user.
func (s *System) open(ctx context.Context, process, service string) (Deps, error) {
	nc, err := s.connect(process, service)
	if err != nil {
		return Deps{}, err
	}
	u := &unitRuntime{name: service, nc: nc}
	s.units = append(s.units, u)
	if _, ok := natsauth.ServiceNamed(service); ok {
		if u.api, err = s.connect(process, natsauth.APIUser(service)); err != nil {
			return Deps{}, err
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return Deps{}, err
	}
	// The streams and buckets are the operator's: the service only checks
	// that the ones it uses are there as provisioned.
	if err := provision.Check(ctx, js, provisioned(service)...); err != nil {
		return Deps{}, err
	}
	log := s.esdb
	if log == nil && s.sharedLog != nil {
		log = s.sharedLog
	}
	if log == nil {
		jl, err := jetstreamlog.New(ctx, nc, jetstreamlog.Options{Meter: s.meter})
		if err != nil {
			return Deps{}, fmt.Errorf("JetStream event log: %w", err)
		}
		u.log = jl
		log = u.log
	}
	cps, err := checkpoint.NewKV(ctx, js, natsauth.CheckpointBucket)
	if err != nil {
		return Deps{}, fmt.Errorf("checkpoint store: %w", err)
	}
	if m, ok := natsauth.ServiceNamed(service); ok && m.Vault {
		keks, err := s.keyRing()
		if err != nil {
			return Deps{}, err
		}
		if u.vault, err = pii.NewVault(ctx, js, pii.DefaultBucket, pii.WithKEKs(keks)); err != nil {
			return Deps{}, fmt.Errorf("personal-data vault: %w", err)
		}
		census, err := u.vault.Rewrap(ctx)
		if err != nil {
			return Deps{}, fmt.Errorf("personal-data vault: %w", err)
		}
		reportKeys(ctx, s.meter, census, keks)
	}
	logger := slog.Default().With("service", service)
	return Deps{Log: log, NATS: nc, Requests: u.api, JetStream: js, Vault: u.vault, Checkpoints: cps, Logger: logger,
		Timers: timer.New(js, timer.Options{Logger: logger}), Meter: s.meter}, nil
}

// provisioned are the streams a service uses, buckets' streams included.
func provisioned(service string) []string {
	out := []string{natswire.StreamName, timer.StreamName, bus.DeadLetterStream, provision.BucketStream(natsauth.CheckpointBucket)}
	if m, ok := natsauth.ServiceNamed(service); ok {
		if len(m.Projections) > 0 {
			out = append(out, provision.BucketStream(natsauth.ProjectionBucket))
		}
		if m.Vault {
			out = append(out, provision.BucketStream(natsauth.CustomerKeys))
		}
	}
	return out
}

func (s *System) startRelay(ctx, runCtx context.Context, process string) error {
	nc, err := s.connect(process, natsauth.Relay)
	if err != nil {
		return err
	}
	s.relayNC = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cps, err := checkpoint.NewKV(ctx, js, natsauth.CheckpointBucket)
	if err != nil {
		return fmt.Errorf("relay checkpoint store: %w", err)
	}
	o := relay.Options{Meter: s.meter}
	if w, ok := s.esdb.(relay.Writers); ok && len(s.cfg.EventStoreUsers) > 0 {
		o.Writers = w
	}
	r := relay.New(s.esdb, js, cps, o)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := r.Run(runCtx); err != nil && runCtx.Err() == nil {
			slog.Error("relay stopped", "err", err)
		}
	}()
	return nil
}

// keyRing reads the key-encryption keys of the personal-data keys from
// PII_KEK_FILE. Only in development, without PII_KEK_FILE, does it use
// $DATA_DIR/pii-kek, creating it on first start: anywhere else a copy of
// DATA_DIR would hold both the bucket and the key that opens it.
func (s *System) keyRing() (*pii.KeyRing, error) {
	path := s.cfg.PIIKEKFile
	if path == "" {
		if !s.development {
			return nil, errors.New("personal-data key-encryption keys: PII_KEK_FILE is not set; outside development " +
				"(development tokens off) intake needs a KEK file of its own, kept apart from DATA_DIR " +
				"(create one with complaintctl kek create -file FILE)")
		}
		path = s.cfg.devKEKFile()
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			r, err := pii.CreateKeyRingFile(path)
			if err != nil {
				return nil, fmt.Errorf("personal-data key-encryption keys: %w", err)
			}
			slog.Info("development key-encryption key for personal-data keys created", "file", path)
			return r, nil
		}
	}
	r, err := pii.LoadKeyRing(path)
	if err != nil {
		return nil, fmt.Errorf("personal-data key-encryption keys (PII_KEK_FILE): %w", err)
	}
	return r, nil
}

// Addr is the address the HTTP API listens on.
func (s *System) Addr() string { return s.listener.Addr().String() }

// NATSURL is the URL of the NATS server in use.
func (s *System) NATSURL() string { return s.url }

// Log is the event log in use.
// With JetStream, it reads over the operator's connection with the embedded
// server, else over the first service's.
func (s *System) Log() eventlog.Log { return s.readLog }

// Stop shuts everything down gracefully: HTTP first, then consumers, the log,
// NATS and telemetry.
func (s *System) Stop() {
	grace := s.cfg.ShutdownGrace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if s.http != nil {
		_ = s.http.Shutdown(ctx)
	}
	if s.gate != nil {
		_ = s.gate.Close()
	}
	if s.debug != nil {
		_ = s.debug.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	for _, u := range s.units {
		if u.vault != nil {
			_ = u.vault.Close()
		}
		if u.log != nil {
			_ = u.log.Close()
		}
	}
	if s.ownsRead {
		_ = s.readLog.Close()
	}
	if s.esdb != nil {
		_ = s.esdb.Close()
	}
	for _, u := range s.units {
		if u.api != nil {
			_ = u.api.Drain()
		}
		_ = u.nc.Drain()
	}
	for _, nc := range []*nats.Conn{s.relayNC, s.admin} {
		if nc != nil {
			_ = nc.Drain()
		}
	}
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
	if s.shutdown != nil {
		_ = s.shutdown(ctx)
	}
}

// Run starts the system and blocks until ctx is cancelled, then stops it.
func Run(ctx context.Context, cfg Config, name string, units ...Unit) error {
	s, err := Start(ctx, cfg, name, units...)
	if err != nil {
		return err
	}
	scheme := "http://"
	if cfg.HTTPTLS.hasCert() {
		scheme = "https://"
	}
	slog.Info("complaint API listening", "url", scheme+s.Addr(), "services", s.names)
	<-ctx.Done()
	slog.Info("stopping: finishing requests and handlers in flight")
	s.Stop()
	slog.Info("stopped")
	return nil
}

// serveDebug serves the profiling endpoints on their own address, never on
// the API's.
func (s *System) serveDebug(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on DEBUG_ADDR %s: %w", addr, err)
	}
	// Not the API's mux: these routes are not part of the documented API.
	profiling := http.NewServeMux()
	profiling.HandleFunc("/debug/pprof/", pprof.Index)
	profiling.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	profiling.HandleFunc("/debug/pprof/profile", pprof.Profile)
	profiling.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	profiling.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.debug = &http.Server{Handler: profiling, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.debug.Serve(l) }()
	slog.Info("profiling endpoints listening", "url", "http://"+l.Addr().String()+"/debug/pprof/")
	return nil
}

// Consume starts one of a service's durable consumers (see bus.Consume): its
// handling is traced as the service's, and when ctx ends it stops after the
// handlers in flight have finished, before the host closes the log.
func (d Deps) Consume(ctx context.Context, service string, sub bus.Subscription, h bus.Handler) error {
	if sub.Trace == nil {
		sub.Trace = telemetry.ConsumerTrace(service)
	}
	if sub.Logger == nil {
		sub.Logger = d.Logger
	}
	if sub.Meter == nil {
		sub.Meter = d.Meter
	}
	c, err := bus.Consume(ctx, d.JetStream, sub, h)
	if err != nil {
		return err
	}
	if d.consumers != nil {
		d.consumers.Add(c)
	}
	d.Go(func() { <-ctx.Done(); c.Stop() })
	return nil
}

// Option is a process's default, set by its main.
type Option func(*Config)

// RelayByDefault makes the process run the EventStoreDB-to-bus relay unless
// RELAY says otherwise: the all-in-one process does.
func RelayByDefault() Option { return func(c *Config) { c.Relay = true } }

// Main is a service binary's main: it reads the configuration from the
// environment (defaultAddr being HTTP_ADDR's default), runs the services
// until SIGINT or SIGTERM, and exits 1 on error.
func Main(name, defaultAddr string, units []Unit, opts ...Option) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defaults := Config{HTTPAddr: defaultAddr}
	for _, o := range opts {
		o(&defaults)
	}
	cfg, err := ConfigFromEnv(defaults)
	if err == nil {
		err = Run(ctx, cfg, name, units...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
