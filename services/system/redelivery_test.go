package system_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// Delivery is at least once, so every handler must be idempotent: when every
// consumer loses its place and the whole log is delivered again, no event is
// appended twice.
func TestEveryEventDeliveredAgainChangesNothing(t *testing.T) {
	dir := t.TempDir()
	s := startSystem(t, dir)
	a := api{t: t, addr: oneAddress(s.Addr())}
	id := walkHappyPath(t, a)
	before := checkTimeline(t, a, id)
	s.Stop()

	// Forget where every consumer was, with the system down: on start they
	// are created again and receive the whole log from the beginning.
	s = startSystemKeepingConsumersAway(t, dir)
	defer s.Stop()
	a = api{t: t, addr: oneAddress(s.Addr())}
	nc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	waitUntilConsumersCaughtUp(t, js)

	after := checkTimeline(t, a, id)
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if string(b1) != string(b2) {
		t.Fatalf("redelivering every event changed the timeline:\nbefore %s\nafter  %s", b1, b2)
	}
	var view map[string]any
	a.call(http.MethodGet, "/v1/complaints/"+id, nil, http.StatusOK, &view)
	if view["status"] != "closed" {
		t.Fatalf("complaint is %v after redelivery", view["status"])
	}
}

var durables = []string{"resolution-lifecycle", "compensation-decides-redress", "followup-requests-surveys"}

// startSystemKeepingConsumersAway deletes the services' durable consumers
// from the stored stream before starting the system on dir again. It deletes
// them with the services down: a running consumer whose durable is deleted
// creates it again from where it was.
func startSystemKeepingConsumersAway(t *testing.T, dir string) *host.System {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	for _, d := range durables {
		if err := js.DeleteConsumer(context.Background(), natswire.StreamName, d); err != nil {
			t.Fatalf("delete consumer %s: %v", d, err)
		}
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	return startSystem(t, dir)
}

// waitUntilConsumersCaughtUp waits until every durable consumer has been
// delivered, and has acknowledged, every event of the stream.
func waitUntilConsumersCaughtUp(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	for _, d := range durables {
		testkit.Eventually(t, "consumer "+d+" to catch up", func() bool {
			c, err := js.Consumer(context.Background(), natswire.StreamName, d)
			if err != nil {
				return false
			}
			info, err := c.Info(context.Background())
			return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0
		})
	}
}
