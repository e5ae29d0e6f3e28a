package natsreply_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
)

// An endpoint behind the limiter answers requests concurrently, and a
// refusal of the complaint rules comes back as the HTTP API would answer it.
func TestRequestsRunConcurrentlyAndRefusalsAnswerAsProblems(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	nc := natsservertest.ConnectForTest(t, url)
	var inFlight, most atomic.Int32
	svc, err := micro.AddService(nc, micro.Config{Name: "test", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop() }()
	limiter := natsreply.NewLimiter(4, nil)
	err = svc.AddEndpoint("slow", limiter.Handler(func(r micro.Request) {
		ctx, end := natsreply.Context("test", r)
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		inFlight.Add(-1)
		if string(r.Data()) == "refuse" {
			end(natsreply.Problem(ctx, r, decider.Conflicts("the case is closed")))
			return
		}
		end(r.Respond([]byte("ok")))
	}), micro.WithEndpointSubject("test.slow"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *nats.Msg, 8)
	for range 8 {
		go func() {
			m, err := nc.Request("test.slow", []byte("go"), 5*time.Second)
			if err != nil {
				t.Error(err)
			}
			done <- m
		}()
	}
	for range 8 {
		<-done
	}
	if got := most.Load(); got < 2 || got > 4 {
		t.Fatalf("%d requests ran at once, want 2 to 4", got)
	}
	m, err := nc.Request("test.slow", []byte("refuse"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(m.Data, &p); err != nil || m.Header.Get("Nats-Service-Error-Code") != "409" ||
		m.Header.Get("Content-Type") != "application/problem+json" || p.Status != 409 {
		t.Fatalf("refusal answered %v %q: %+v, %v", m.Header, m.Data, p, err)
	}
}

// Only a client's inbox is a reply subject a service answers on.
func TestOnlyInboxesAreReplySubjects(t *testing.T) {
	for reply, want := range map[string]bool{
		"_INBOX.abc": true, "_INBOX.abc.1": true, "_INBOX_outside.abc": true, "_INBOX_intake.abc.2": true,
		"": false, "_INBOX.": false, "_INBOX": false, "_INBOX_.abc": false, "_INBOX_outside": false, "_INBOX_outside.": false,
		"$KV.customer-keys.c.YzE": false, "complaints.events.case.42": false, "$JS.API.STREAM.DELETE.X": false,
		"_INBOXES.abc": false, "x._INBOX.abc": false,
	} {
		if got := natsreply.IsInbox(reply); got != want {
			t.Errorf("IsInbox(%q) = %v, want %v", reply, got, want)
		}
	}
}

// A request whose reply subject is not an inbox is not handled: the handler
// does not run and nothing is published on the reply subject; a request
// from an inbox is answered.
func TestARequestWhoseReplyIsNotAnInboxIsRefused(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	nc := natsservertest.ConnectForTest(t, url)
	svc, err := micro.AddService(nc, micro.Config{Name: "test", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop() }()
	var ran atomic.Int32
	err = svc.AddEndpoint("show", natsreply.NewLimiter(1, nil).Handler(func(r micro.Request) {
		ran.Add(1)
		_ = r.Respond([]byte("answer"))
	}), micro.WithEndpointSubject("test.show"))
	if err != nil {
		t.Fatal(err)
	}
	watch, err := nc.SubscribeSync("complaints.events.case.42")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest("test.show", "complaints.events.case.42", nil); err != nil {
		t.Fatal(err)
	}
	// The next request is handed over after the refused one: once it is
	// answered, the refused one has been seen.
	if m, err := nc.Request("test.show", nil, 5*time.Second); err != nil || string(m.Data) != "answer" {
		t.Fatalf("request from an inbox: %v, %v", m, err)
	}
	if m, err := watch.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("answered on a stream's subject: %q", m.Data)
	}
	if n := ran.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

// A request reaches its handler only with a bearer token of one of the
// endpoint's roles in its Authorization header: without one, or with one no
// verifier knows, it is answered 401; with another role 403, as a problem
// naming why; each refusal is counted by subject and reason.
func TestARequestIsHandledOnlyForACallerWithTheRole(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	metrics := natsreply.NewMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))

	_, url := natsservertest.RunForTest(t)
	nc := natsservertest.ConnectForTest(t, url)
	svc, err := micro.AddService(nc, micro.Config{Name: "test", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop() }()
	tokens := auth.StaticTokens{
		"payments-token": {Subject: "gateway", Roles: []auth.Role{auth.RolePayments}},
		"intake-token":   {Subject: "crm", Roles: []auth.Role{auth.RoleIntakeSystem}},
	}
	var ran atomic.Int32
	err = svc.AddEndpoint("confirm", natsreply.NewLimiter(1, metrics).Handler(func(r micro.Request) {
		ctx, end := natsreply.Context("test", r)
		p, err := natsreply.Caller(ctx, tokens, r, metrics, auth.RolePayments)
		if err != nil {
			end(natsreply.Problem(ctx, r, err))
			return
		}
		ran.Add(1)
		end(r.Respond([]byte(p.Actor())))
	}), micro.WithEndpointSubject("test.confirm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ header, code, answer string }{
		{"", "401", ""},
		{"Bearer nonsense", "401", ""},
		{"Bearer intake-token", "403", ""},
		{"Bearer payments-token", "", "system:gateway"},
	} {
		m := nats.NewMsg("test.confirm")
		if c.header != "" {
			m.Header.Set("Authorization", c.header)
		}
		reply, err := nc.RequestMsg(m, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		code := reply.Header.Get("Nats-Service-Error-Code")
		switch {
		case code != c.code:
			t.Fatalf("%q answered %q %s, want %q", c.header, code, reply.Data, c.code)
		case c.code == "" && string(reply.Data) != c.answer:
			t.Fatalf("%q answered %s, want %s", c.header, reply.Data, c.answer)
		case c.code != "" && (json.Unmarshal(reply.Data, &p) != nil || strconv.Itoa(p.Status) != c.code || p.Detail == ""):
			t.Fatalf("%q answered %s, not a problem saying why", c.header, reply.Data)
		}
	}
	if n := ran.Load(); n != 1 {
		t.Fatalf("the handler ran %d times, want once", n)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counted := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == natsreply.DeniedMetric {
				for _, dp := range sum.DataPoints {
					reason, _ := dp.Attributes.Value("reason")
					counted[reason.AsString()] += dp.Value
				}
			}
		}
	}
	if counted[auth.ReasonNoToken] != 1 || counted[auth.ReasonInvalidToken] != 1 || counted[auth.ReasonMissingRole] != 1 || len(counted) != 3 {
		t.Fatalf("denials counted %v, want one of each", counted)
	}
}
