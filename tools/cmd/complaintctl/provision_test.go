package main

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

func eventsReplicas(t *testing.T, url string) int {
	t.Helper()
	js, err := jetstream.New(natsservertest.ConnectForTest(t, url))
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().Config.Replicas
}

// On a single server provision keeps one copy of each stream unless told
// otherwise.
func TestProvisionOnASingleServer(t *testing.T) {
	srv := natsservertest.RunBareForTest(t)
	t.Setenv("NATS_CREDS", "")
	out := mustCtl(t, "provision", "-nats", srv.ClientURL())
	wantLines(t, out, "COMPLAINT_EVENTS ready (replicas: 1)", "KV_customer-keys ready (replicas: 1)")
	if n := eventsReplicas(t, srv.ClientURL()); n != 1 {
		t.Fatalf("events stream at %d replicas, want 1", n)
	}
	if code, _, _ := ctl(t, "provision", "-nats", srv.ClientURL(), "-replicas", "3"); code == 0 {
		t.Fatal("three replicas on a single server accepted")
	}
}

// Given every node of a cluster, provision keeps three copies of each
// stream without being told.
func TestProvisionOnAClusterTakesThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := natsservertest.ClusterForTest(t, 3)
	t.Setenv("NATS_CREDS", "")
	out := mustCtl(t, "provision", "-nats", c.URL())
	wantLines(t, out, "COMPLAINT_EVENTS ready (replicas: 3)", "COMPLAINT_TIMERS ready (replicas: 3)")
	if n := eventsReplicas(t, c.URL()); n != 3 {
		t.Fatalf("events stream at %d replicas, want 3", n)
	}
}
