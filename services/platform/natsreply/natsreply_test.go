package natsreply_test

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

// An endpoint behind the limiter answers requests concurrently, and a
// refusal of the complaint rules comes back as the HTTP API would answer it.
func TestRequestsRunConcurrentlyAndRefusalsAnswerAsProblems(t *testing.T) {
	_, url := natsserver.RunForTest(t)
	nc := natsserver.ConnectForTest(t, url)
	var inFlight, most atomic.Int32
	svc, err := micro.AddService(nc, micro.Config{Name: "test", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop() }()
	limiter := natsreply.NewLimiter(4)
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
