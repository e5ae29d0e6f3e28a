package natsservertest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// TestNodeProcess is not a test: it is a node of TestKilledNodeProcess's
// cluster when the test binary runs as a child of it, and skips otherwise.
func TestNodeProcess(t *testing.T) { natsservertest.ServeNodeProcess(t) }

// A node process killed with SIGKILL while it leads the log's stream: the
// others elect a leader that holds every acknowledged message and takes
// more, and the node restarted on its store catches up with them.
func TestKilledNodeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster of processes")
	}
	c := natsservertest.ProvisionedClusterForTest(t, natsservertest.NodeProcesses("TestNodeProcess"))
	if c.CPU() <= 0 {
		t.Errorf("the node processes used no CPU: %s", c.CPU())
	}
	js, err := jetstream.New(c.Connect())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Each message is published until acknowledged, under its id: one
	// published again after an answer lost on the way is not kept twice.
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			for {
				_, err := js.Publish(ctx, fmt.Sprintf("%s.test.c%d", natswire.SubjectPrefix, i), []byte("x"), jetstream.WithMsgID(fmt.Sprint(i)))
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	publish(0, 20)

	leader := c.StreamLeader(natswire.StreamName)
	c.Kill(leader)
	if c.Server(leader) != nil {
		t.Fatal("a node process has a server in the test process")
	}
	after := c.StreamLeader(natswire.StreamName)
	if after == leader {
		t.Fatalf("node %d, killed, still leads", leader+1)
	}
	publish(20, 40)
	st, err := js.Stream(ctx, natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 40 {
		t.Fatalf("%d messages after the kill, want 40", n)
	}

	c.Restart(leader)
	c.WaitForStreamCurrent(natswire.StreamName)
	publish(40, 41)
	st, err = js.Stream(ctx, natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 41 {
		t.Fatalf("%d messages with the killed node back, want 41", n)
	}
}
