package host

import (
	"context"
	"errors"
	"fmt"
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

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/esdblog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/relay"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
)

// Deps is what a service is built from.
type Deps struct {
	Log         eventlog.Log
	NATS        *nats.Conn
	JetStream   jetstream.JetStream
	Vault       *pii.Vault
	Checkpoints checkpoint.Store
	Logger      *slog.Logger
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

// System is a running process hosting services.
type System struct {
	cfg      Config
	srv      *server.Server
	nc       *nats.Conn
	log      eventlog.Log
	http     *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	shutdown func(context.Context) error
	debug    *http.Server
	vault    *pii.Vault
	names    []string
}

// Start brings up NATS (embedded unless NATSURL is set), the event log, the
// services and the HTTP API. Stop undoes it.
func Start(ctx context.Context, cfg Config, name string, factories ...Factory) (_ *System, err error) {
	s := &System{cfg: cfg}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if s.shutdown, err = telemetry.Setup(ctx, name); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	url := cfg.NATSURL
	if url == "" {
		s.srv, err = natsserver.Start(natsserver.Options{
			Host: cfg.EmbeddedNATSHost, Port: cfg.EmbeddedNATSPort, StoreDir: cfg.DataDir,
			SyncAlways: true, ServerName: name,
		})
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		url = s.srv.ClientURL()
		slog.Info("embedded NATS server started", "url", url, "data_dir", cfg.DataDir)
	}
	s.nc, err = nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel

	cps, err := checkpoint.NewKV(ctx, js, "checkpoints")
	if err != nil {
		return nil, fmt.Errorf("checkpoint store: %w", err)
	}
	if cfg.EventStoreURL != "" {
		s.log, err = esdblog.New(ctx, cfg.EventStoreURL, esdblog.Options{})
		if err != nil {
			return nil, fmt.Errorf("EventStoreDB: %w", err)
		}
		if cfg.Relay {
			r := relay.New(s.log, js, cps, relay.Options{})
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if err := r.Run(runCtx); err != nil && runCtx.Err() == nil {
					slog.Error("relay stopped", "err", err)
				}
			}()
		}
	} else {
		s.log, err = jetstreamlog.New(ctx, s.nc, jetstreamlog.Options{})
		if err != nil {
			return nil, fmt.Errorf("JetStream event log: %w", err)
		}
	}
	vault, err := pii.NewVault(ctx, js, pii.DefaultBucket)
	if err != nil {
		return nil, fmt.Errorf("personal-data vault: %w", err)
	}
	s.vault = vault
	deps := Deps{Log: s.log, NATS: s.nc, JetStream: js, Vault: vault, Checkpoints: cps, Logger: slog.Default(),
		Go: func(f func()) {
			s.wg.Add(1)
			go func() { defer s.wg.Done(); f() }()
		}}

	mux := http.NewServeMux()
	for _, f := range factories {
		svc, err := f(deps)
		if err != nil {
			return nil, err
		}
		svc.Routes(mux)
		if err := svc.Start(runCtx); err != nil {
			return nil, fmt.Errorf("start %s: %w", svc.Name(), err)
		}
		s.names = append(s.names, svc.Name())
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.nc.Status() != nats.CONNECTED {
			httpx.WriteProblem(w, r, &httpx.Problem{Type: httpx.TypeInternal, Title: "NATS not connected", Status: http.StatusServiceUnavailable})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "services": s.names})
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
		Handler: telemetry.HTTPHandler(mux, name),
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
		if err := s.http.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("HTTP server stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the address the HTTP API listens on.
func (s *System) Addr() string { return s.listener.Addr().String() }

// NATSURL is the URL of the NATS server in use.
func (s *System) NATSURL() string { return s.nc.ConnectedUrl() }

// Log is the event log in use.
func (s *System) Log() eventlog.Log { return s.log }

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
	if s.debug != nil {
		_ = s.debug.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.vault != nil {
		_ = s.vault.Close()
	}
	if s.log != nil {
		_ = s.log.Close()
	}
	if s.nc != nil {
		_ = s.nc.Drain()
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
func Run(ctx context.Context, cfg Config, name string, factories ...Factory) error {
	s, err := Start(ctx, cfg, name, factories...)
	if err != nil {
		return err
	}
	slog.Info("complaint API listening", "url", "http://"+s.Addr(), "services", s.names)
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
	c, err := bus.Consume(ctx, d.JetStream, sub, h)
	if err != nil {
		return err
	}
	d.Go(func() { <-ctx.Done(); c.Stop() })
	return nil
}

// Main is a service binary's main: it reads the configuration from the
// environment (defaultAddr and relay being HTTP_ADDR's and RELAY's defaults),
// runs the services until SIGINT or SIGTERM, and exits 1 on error.
func Main(name, defaultAddr string, relay bool, factories ...Factory) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := ConfigFromEnv(defaultAddr, relay)
	if err == nil {
		err = Run(ctx, cfg, name, factories...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
