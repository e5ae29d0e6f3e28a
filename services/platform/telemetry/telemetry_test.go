package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// record installs a tracer provider that records every span for the test.
func record(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	keepGlobals(t)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return sr
}

// keepGlobals restores the global providers and logger after the test.
func keepGlobals(t *testing.T) {
	tp, mp, prop, logger := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator(), slog.Default()
	t.Cleanup(func() {
		otel.SetTracerProvider(tp)
		otel.SetMeterProvider(mp)
		otel.SetTextMapPropagator(prop)
		slog.SetDefault(logger)
	})
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func onlySpan(t *testing.T, sr *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		var names []string
		for _, s := range sr.Ended() {
			names = append(names, s.Name())
		}
		t.Fatalf("want one span %q, have %q", name, names)
	}
	return found[0]
}

func TestTraceFollowsTheEvent(t *testing.T) {
	sr := record(t)

	// The producer: a request that carried a vendor's tracestate.
	caller := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled,
	})
	ts, err := trace.ParseTraceState("vendor=abc")
	if err != nil {
		t.Fatal(err)
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), caller.WithTraceState(ts))
	ctx, producer := Tracer().Start(ctx, "submit")
	md := eventlog.Metadata{ComplaintID: "c-1", Service: "intake"}
	InjectMetadata(ctx, &md)
	producer.End()
	if !strings.HasPrefix(md.TraceParent, "00-") || !strings.Contains(md.TraceParent, producer.SpanContext().TraceID().String()) {
		t.Fatalf("traceparent %q", md.TraceParent)
	}
	if md.TraceState != "vendor=abc" {
		t.Fatalf("tracestate %q", md.TraceState)
	}

	// The consumer, in another service, reads the event back.
	e := eventlog.RecordedEvent{
		EventData: eventlog.EventData{ID: "ev-1", Type: "complaints.v1.ComplaintReceived", Metadata: md},
		Stream:    "complaint-c-1", Revision: 3, Position: 42,
	}
	hctx, end := ConsumerTrace("resolution")(context.Background(), e)
	inHandler := trace.SpanContextFromContext(hctx)
	end(errors.New("policy store unavailable"))

	s := onlySpan(t, sr, "handle ComplaintReceived")
	p := onlySpan(t, sr, "submit")
	if s.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("kind %v", s.SpanKind())
	}
	if s.SpanContext().TraceID() != p.SpanContext().TraceID() || s.SpanContext().TraceID() != caller.TraceID() {
		t.Errorf("trace %s, producer's %s", s.SpanContext().TraceID(), p.SpanContext().TraceID())
	}
	if s.Parent().SpanID() != p.SpanContext().SpanID() || !s.Parent().IsRemote() {
		t.Errorf("parent %v, want the producer %s (remote)", s.Parent(), p.SpanContext().SpanID())
	}
	if !inHandler.Equal(s.SpanContext()) {
		t.Errorf("the handler's context holds %v, not the consumer span", inHandler)
	}
	if s.SpanContext().TraceState().Get("vendor") != "abc" {
		t.Errorf("tracestate lost: %q", s.SpanContext().TraceState())
	}
	a := attrs(s)
	for k, want := range map[attribute.Key]attribute.Value{
		"complaint.id":                  attribute.StringValue("c-1"),
		"event.id":                      attribute.StringValue("ev-1"),
		"event.type":                    attribute.StringValue("complaints.v1.ComplaintReceived"),
		"event.stream":                  attribute.StringValue("complaint-c-1"),
		"event.position":                attribute.Int64Value(42),
		"event.revision":                attribute.Int64Value(3),
		"messaging.system":              attribute.StringValue("nats"),
		"messaging.consumer.group.name": attribute.StringValue("resolution"),
	} {
		if a[k] != want {
			t.Errorf("%s = %v, want %v", k, a[k].String(), want.String())
		}
	}
	if s.Status().Code != codes.Error || s.Status().Description != "policy store unavailable" {
		t.Errorf("status %+v", s.Status())
	}
	if len(s.Events()) != 1 || s.Events()[0].Name != "exception" {
		t.Errorf("events %+v", s.Events())
	}
}

func TestConsumerTraceWithoutTraceContext(t *testing.T) {
	sr := record(t)
	e := eventlog.RecordedEvent{EventData: eventlog.EventData{ID: "ev-1", Type: "ComplaintReceived"}}
	_, end := ConsumerTrace("resolution")(context.Background(), e)
	end(nil)
	s := onlySpan(t, sr, "handle ComplaintReceived")
	if s.Parent().IsValid() {
		t.Errorf("parent %v, want a root span", s.Parent())
	}
	if s.Status().Code == codes.Error {
		t.Errorf("status %+v", s.Status())
	}

	md := eventlog.Metadata{TraceParent: "kept"}
	InjectMetadata(context.Background(), &md)
	if md.TraceParent != "kept" {
		t.Errorf("InjectMetadata without a span changed traceparent to %q", md.TraceParent)
	}
	if sc := trace.SpanContextFromContext(ContextFromMetadata(context.Background(), eventlog.Metadata{})); sc.IsValid() {
		t.Errorf("span context from empty metadata: %v", sc)
	}
	if sc := trace.SpanContextFromContext(ContextFromMetadata(context.Background(), eventlog.Metadata{TraceParent: "garbage"})); sc.IsValid() {
		t.Errorf("span context from a malformed traceparent: %v", sc)
	}
}

func TestHTTPHandler(t *testing.T) {
	sr := record(t)
	var inHandler trace.SpanContext
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/complaints/{id}", func(w http.ResponseWriter, r *http.Request) {
		inHandler = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusNotFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
	h := HTTPHandler(mux, "intake")

	// A caller already in a trace.
	ctx, client := Tracer().Start(context.Background(), "client")
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v1/complaints/c-123", nil)
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	client.End()
	h.ServeHTTP(httptest.NewRecorder(), req)

	s := onlySpan(t, sr, "GET /v1/complaints/{id}")
	if s.SpanKind() != trace.SpanKindServer {
		t.Errorf("kind %v", s.SpanKind())
	}
	if s.Parent().SpanID() != client.SpanContext().SpanID() || s.SpanContext().TraceID() != client.SpanContext().TraceID() {
		t.Errorf("parent %v, want the caller %v", s.Parent(), client.SpanContext())
	}
	if !inHandler.Equal(s.SpanContext()) {
		t.Errorf("the handler's context holds %v, not the server span", inHandler)
	}
	if got := attrs(s)["http.response.status_code"]; got.AsInt64() != 404 {
		t.Errorf("status code attribute %v", got.String())
	}

	// A request without trace context starts a trace.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/elsewhere", nil))
	if s := onlySpan(t, sr, "POST /"); s.Parent().IsValid() {
		t.Errorf("parent %v, want a root span", s.Parent())
	}
}

func TestSpanName(t *testing.T) {
	for _, c := range []struct{ method, path, pattern, want string }{
		{"GET", "/v1/complaints/x", "GET /v1/complaints/{id}", "GET /v1/complaints/{id}"},
		{"HEAD", "/v1/complaints/x", "GET /v1/complaints/{id}", "HEAD /v1/complaints/{id}"},
		{"POST", "/v1/complaints", "/v1/complaints", "POST /v1/complaints"},
		{"GET", "/healthz", "", "GET /healthz"},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		r.Pattern = c.pattern
		if got := spanName("", r); got != c.want {
			t.Errorf("spanName(%s %s, %q) = %q, want %q", c.method, c.path, c.pattern, got, c.want)
		}
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(&buf, slog.LevelInfo)).With("service", "intake").WithGroup("g")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xab}, SpanID: trace.SpanID{0xcd}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)

	log.InfoContext(ctx, "in a span", "k", 1)
	log.Info("outside")
	log.DebugContext(ctx, "filtered")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines:\n%s", buf.String())
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	if in["service"] != "intake" || in["msg"] != "in a span" {
		t.Errorf("record %v", in)
	}
	g, _ := in["g"].(map[string]any)
	if g["trace_id"] != sc.TraceID().String() || g["span_id"] != sc.SpanID().String() || g["k"] != 1.0 {
		t.Errorf("record %v lacks the trace and span ids", in)
	}
	if strings.Contains(lines[1], "trace_id") {
		t.Errorf("record without span has a trace id: %v", out)
	}
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"": slog.LevelInfo, "debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn,
		"warning": slog.LevelWarn, "error": slog.LevelError, "nonsense": slog.LevelInfo,
	} {
		t.Setenv("LOG_LEVEL", in)
		if got := logLevel(); got != want {
			t.Errorf("LOG_LEVEL=%q: %v, want %v", in, got, want)
		}
	}
}

var otelEnv = []string{
	"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED",
}

func clearOTelEnv(t *testing.T) {
	for _, k := range otelEnv {
		t.Setenv(k, "")
	}
}

func TestSetupWithoutExporters(t *testing.T) {
	keepGlobals(t)
	clearOTelEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	start := time.Now()
	shutdown, err := Setup(ctx, "intake")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Setup took %s", d)
	}
	if active == nil || active.spanExporter != nil || active.metricReader != nil {
		t.Fatalf("exporters created without being asked: %+v", active)
	}
	sr := tracetest.NewSpanRecorder()
	active.tp.RegisterSpanProcessor(sr)

	// Spans record, so trace context reaches the events.
	sctx, span := Tracer().Start(ctx, "work")
	if !span.SpanContext().IsValid() || !span.SpanContext().IsSampled() || !span.IsRecording() {
		t.Fatalf("span %v not recorded", span.SpanContext())
	}
	md := eventlog.Metadata{}
	InjectMetadata(sctx, &md)
	if md.TraceParent == "" {
		t.Fatal("no traceparent")
	}
	h := http.Header{}
	otel.GetTextMapPropagator().Inject(sctx, propagation.HeaderCarrier(h))
	if h.Get("traceparent") == "" {
		t.Fatal("the global propagator does not write traceparent")
	}
	span.End()
	if got := sr.Ended()[0].Resource().Set(); !hasAttr(got, "service.name", "complaints-intake") {
		t.Errorf("resource %v", got.Encoded(attribute.DefaultEncoder()))
	}

	// A second system in the same process shares the providers; the last
	// shutdown tears them down.
	shutdown2, err := Setup(ctx, "resolution")
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(ctx); err != nil { // twice is harmless
		t.Fatal(err)
	}
	_, still := Tracer().Start(ctx, "still")
	if !still.IsRecording() {
		t.Fatal("the first shutdown stopped the providers the second system uses")
	}
	still.End()
	if err := shutdown2(ctx); err != nil {
		t.Fatal(err)
	}
	if active != nil || users != 0 {
		t.Fatalf("still installed after the last shutdown: %+v, %d", active, users)
	}

	// And Setup works again afterwards.
	shutdown3, err := Setup(ctx, "followup")
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown3(ctx); err != nil {
		t.Fatal(err)
	}
}

func hasAttr(s *attribute.Set, k, v string) bool {
	got, ok := s.Value(attribute.Key(k))
	return ok && got.AsString() == v
}

func TestSetupFromEnvironment(t *testing.T) {
	keepGlobals(t)
	ctx := context.Background()

	t.Run("none", func(t *testing.T) {
		clearOTelEnv(t)
		t.Setenv("OTEL_TRACES_EXPORTER", "none")
		t.Setenv("OTEL_METRICS_EXPORTER", "none")
		shutdown, err := Setup(ctx, "intake")
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(ctx)
		if active.spanExporter != nil || active.metricReader != nil {
			t.Fatalf("exporters for \"none\": %+v", active)
		}
	})

	t.Run("console", func(t *testing.T) {
		clearOTelEnv(t)
		t.Setenv("OTEL_TRACES_EXPORTER", "console")
		shutdown, err := Setup(ctx, "intake")
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(ctx)
		if active.spanExporter == nil {
			t.Fatal("no span exporter for OTEL_TRACES_EXPORTER=console")
		}
		if active.metricReader != nil {
			t.Fatal("a metric reader nobody asked for")
		}
	})

	t.Run("service name", func(t *testing.T) {
		clearOTelEnv(t)
		t.Setenv("OTEL_SERVICE_NAME", "complaints-east")
		shutdown, err := Setup(ctx, "intake")
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(ctx)
		sr := tracetest.NewSpanRecorder()
		active.tp.RegisterSpanProcessor(sr)
		_, span := Tracer().Start(ctx, "x")
		span.End()
		if got := sr.Ended()[0].Resource().Set(); !hasAttr(got, "service.name", "complaints-east") {
			t.Errorf("resource %v", got.Encoded(attribute.DefaultEncoder()))
		}
	})

	t.Run("unknown exporter", func(t *testing.T) {
		clearOTelEnv(t)
		t.Setenv("OTEL_TRACES_EXPORTER", "carrier-pigeon")
		if _, err := Setup(ctx, "intake"); err == nil {
			t.Fatal("no error for an unknown exporter")
		}
		if users != 0 || active != nil {
			t.Fatalf("a failed Setup left state: %d %+v", users, active)
		}
	})

	t.Run("disabled", func(t *testing.T) {
		clearOTelEnv(t)
		t.Setenv("OTEL_SDK_DISABLED", "true")
		t.Setenv("OTEL_TRACES_EXPORTER", "console")
		shutdown, err := Setup(ctx, "intake")
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(ctx)
		if active.tp != nil || active.spanExporter != nil {
			t.Fatalf("providers installed although disabled: %+v", active)
		}
	})
}

func TestRequestTraceContinuesTheRequestersTrace(t *testing.T) {
	sr := record(t)
	ctx, client := Tracer().Start(context.Background(), "client")
	headers := http.Header{}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(headers))
	client.End()

	hctx, end := RequestTrace(context.Background(), "intake", "complaints.intake.submit", headers)
	inHandler := trace.SpanContextFromContext(hctx)
	end(errors.New("refused"))

	s := onlySpan(t, sr, "complaints.intake.submit")
	if s.SpanKind() != trace.SpanKindServer || s.Parent().SpanID() != client.SpanContext().SpanID() {
		t.Errorf("span kind %v parent %v, want a server span under the requester's", s.SpanKind(), s.Parent())
	}
	if !inHandler.Equal(s.SpanContext()) {
		t.Errorf("the handler's context holds %v, not the request span", inHandler)
	}
	if s.Status().Code != codes.Error {
		t.Errorf("status %v, want the handling's error", s.Status())
	}
}
