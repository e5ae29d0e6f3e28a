// Package telemetry is the OpenTelemetry plumbing of the services: traces
// that follow a complaint from the HTTP request that submitted it, through
// every event on the log, to every consumer that handled one; metrics; and
// JSON logs that carry the trace and span ids.
//
// Setup installs the global providers. Spans are always recorded, so trace
// context reaches the events' metadata even when nothing is exported;
// exporters are created only when the standard OpenTelemetry variables ask
// for them:
//
//	OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT,
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT       spans (otlp, console, none)
//	OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT,
//	OTEL_EXPORTER_OTLP_METRICS_ENDPOINT      metrics (otlp, prometheus, console, none)
//	OTEL_EXPORTER_OTLP_PROTOCOL              grpc or http/protobuf (default)
//	OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
//	OTEL_SDK_DISABLED=true                   no spans, no metrics
//	LOG_LEVEL                                debug, info (default), warn, error
//
// With none of them set, Setup opens no connection.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/caarlos0/env/v11"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ScopeName is the instrumentation scope of the spans this package starts.
const ScopeName = "github.com/complaintflow/complaintflow/services/platform/telemetry"

// installed is what Setup put in place; several systems in one process share
// it, and the last shutdown tears it down.
type installed struct {
	tp           *sdktrace.TracerProvider
	mp           *sdkmetric.MeterProvider
	spanExporter sdktrace.SpanExporter
	metricReader sdkmetric.Reader
}

var (
	mu     sync.Mutex
	users  int
	active *installed
)

// Setup installs the global tracer provider, meter provider and propagator
// (W3C trace context and baggage), and makes slog's default logger write JSON
// to stderr. service names the process; the resource's service.name is
// OTEL_SERVICE_NAME, or "complaints-<service>".
//
// Setup may be called more than once in a process: the first call installs
// everything, later ones share it, and the returned shutdown of the last one
// still running flushes and tears it down. Each shutdown may be called more
// than once.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return SetupWith(ctx, service, cfg)
}

// SetupWith is Setup with the configuration read already.
func SetupWith(ctx context.Context, service string, cfg Config) (shutdown func(context.Context) error, err error) {
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		inst, err := install(ctx, service, cfg)
		if err != nil {
			return nil, err
		}
		active = inst
	}
	users++
	var once sync.Once
	return func(ctx context.Context) error {
		var err error
		once.Do(func() { err = release(ctx) })
		return err
	}, nil
}

func release(ctx context.Context) error {
	mu.Lock()
	defer mu.Unlock()
	users--
	if users > 0 || active == nil {
		return nil
	}
	inst := active
	active = nil
	var errs []error
	if inst.tp != nil {
		errs = append(errs, inst.tp.Shutdown(ctx))
	}
	if inst.mp != nil {
		errs = append(errs, inst.mp.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Config is what decides what Setup installs: the standard OpenTelemetry
// variables that select exporters, and LOG_LEVEL. The exporters themselves
// read the rest of the OTEL_* variables (endpoints, protocol, headers).
type Config struct {
	Disabled            bool   `env:"OTEL_SDK_DISABLED"`
	TracesExporter      string `env:"OTEL_TRACES_EXPORTER"`
	MetricsExporter     string `env:"OTEL_METRICS_EXPORTER"`
	OTLPEndpoint        string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPTracesEndpoint  string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	OTLPMetricsEndpoint string `env:"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `env:"LOG_LEVEL"`
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("telemetry configuration: %w", err)
	}
	return c, nil
}

func (c Config) exportsTraces() bool {
	return c.TracesExporter != "" || c.OTLPEndpoint != "" || c.OTLPTracesEndpoint != ""
}

func (c Config) exportsMetrics() bool {
	return c.MetricsExporter != "" || c.OTLPEndpoint != "" || c.OTLPMetricsEndpoint != ""
}

func install(ctx context.Context, service string, cfg Config) (*installed, error) {
	slog.SetDefault(slog.New(NewLogHandler(os.Stderr, cfg.level())))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		slog.Warn("telemetry error", "err", err)
	}))
	if cfg.Disabled {
		return &installed{}, nil
	}

	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName(serviceName(service)), semconv.ServiceNamespace("complaints")),
		resource.WithTelemetrySDK(),
		// Last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}

	inst := &installed{}
	traceOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if cfg.exportsTraces() {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, fmt.Errorf("span exporter: %w", err)
		}
		if !autoexport.IsNoneSpanExporter(exp) {
			inst.spanExporter = exp
			traceOpts = append(traceOpts, sdktrace.WithBatcher(exp))
		}
	}
	metricOpts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	if cfg.exportsMetrics() {
		reader, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			if inst.spanExporter != nil {
				_ = inst.spanExporter.Shutdown(ctx)
			}
			return nil, fmt.Errorf("metric reader: %w", err)
		}
		if !autoexport.IsNoneMetricReader(reader) {
			inst.metricReader = reader
			metricOpts = append(metricOpts, sdkmetric.WithReader(reader))
		}
	}
	inst.tp = sdktrace.NewTracerProvider(traceOpts...)
	inst.mp = sdkmetric.NewMeterProvider(metricOpts...)
	otel.SetTracerProvider(inst.tp)
	otel.SetMeterProvider(inst.mp)
	return inst, nil
}

func serviceName(service string) string {
	if strings.HasPrefix(service, "complaints") {
		return service
	}
	return "complaints-" + service
}

// logLevel is LOG_LEVEL's level.
func logLevel() slog.Level {
	c, _ := ConfigFromEnv()
	return c.level()
}

func (c Config) level() slog.Level {
	var l slog.Level
	if s := strings.TrimSpace(c.LogLevel); s != "" {
		if s == "warning" || s == "WARNING" {
			s = "warn"
		}
		if err := l.UnmarshalText([]byte(s)); err != nil {
			return slog.LevelInfo
		}
	}
	return l
}

// Tracer returns the tracer the services start their own spans with.
func Tracer() trace.Tracer { return otel.Tracer(ScopeName) }

// NewLogHandler returns a JSON slog handler writing to w that adds trace_id
// and span_id to every record logged with a context holding a span.
func NewLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return traceHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})}
}

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

// metadataPropagator writes exactly the W3C fields Metadata has room for.
var metadataPropagator = propagation.TraceContext{}

// InjectMetadata writes the W3C trace context (traceparent, tracestate) of
// ctx's span into md. It leaves md alone when ctx holds no span.
func InjectMetadata(ctx context.Context, md *eventlog.Metadata) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	c := propagation.MapCarrier{}
	metadataPropagator.Inject(ctx, c)
	md.TraceParent = c.Get("traceparent")
	md.TraceState = c.Get("tracestate")
}

// ContextFromMetadata returns ctx with the remote span context recorded in md,
// as the parent of the spans started from it. ctx is returned unchanged when
// md holds no trace context.
func ContextFromMetadata(ctx context.Context, md eventlog.Metadata) context.Context {
	if md.TraceParent == "" {
		return ctx
	}
	c := propagation.MapCarrier{"traceparent": md.TraceParent}
	if md.TraceState != "" {
		c["tracestate"] = md.TraceState
	}
	return metadataPropagator.Extract(ctx, c)
}

// ConsumerTrace returns the tracing hook of an event consumer of service: it
// starts a consumer span "handle <event>", child of the trace that produced
// the event, and returns the context to handle the event with and the
// function that ends the span with the handler's error.
func ConsumerTrace(service string) func(ctx context.Context, e eventlog.RecordedEvent) (context.Context, func(error)) {
	return func(ctx context.Context, e eventlog.RecordedEvent) (context.Context, func(error)) {
		ctx = ContextFromMetadata(ctx, e.Metadata)
		ctx, span := Tracer().Start(ctx, "handle "+es.ShortType(e.Type),
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				attribute.String("complaint.id", e.Metadata.ComplaintID),
				attribute.String("event.id", e.ID),
				attribute.String("event.type", e.Type),
				attribute.String("event.stream", e.Stream),
				attribute.Int64("event.revision", int64(e.Revision)),
				attribute.Int64("event.position", int64(e.Position)),
				attribute.String("event.service", e.Metadata.Service),
				semconv.MessagingSystemKey.String("nats"),
				semconv.MessagingOperationTypeProcess,
				semconv.MessagingDestinationName(e.Stream),
				semconv.MessagingMessageID(e.ID),
				semconv.MessagingConsumerGroupName(service),
			))
		return ctx, endSpan(span)
	}
}

// HTTPHandler traces every request h serves with a server span named after
// the route that matched ("GET /v1/complaints/{id}"), continuing the trace of
// the caller's traceparent header, and records the HTTP server metrics.
func HTTPHandler(h http.Handler, service string) http.Handler {
	return otelhttp.NewHandler(h, service, otelhttp.WithSpanNameFormatter(spanName))
}

func spanName(_ string, r *http.Request) string {
	if r.Pattern == "" {
		return r.Method + " " + r.URL.Path
	}
	// Patterns may start with their method: "GET /v1/complaints/{id}".
	if method, rest, ok := strings.Cut(r.Pattern, " "); ok && !strings.Contains(method, "/") {
		return r.Method + " " + strings.TrimLeft(rest, " ")
	}
	return r.Method + " " + r.Pattern
}

// RequestTrace starts the server span of a NATS request to subject, as a
// child of the trace context the requester put in the message headers
// (traceparent, tracestate). It returns the context to handle the request
// with and the function that ends the span with the handling's error.
func RequestTrace(ctx context.Context, service, subject string, headers map[string][]string) (context.Context, func(error)) {
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(http.Header(headers)))
	ctx, span := Tracer().Start(ctx, subject,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String("nats"),
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingDestinationName(subject),
			semconv.MessagingConsumerGroupName(service),
		))
	return ctx, endSpan(span)
}

// endSpan returns the function that ends span with the outcome of the work
// it covers: an error is recorded and sets the span's status.
func endSpan(span trace.Span) func(error) {
	return func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
