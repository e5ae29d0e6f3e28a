package natsservertest_test

import (
	"context"
	"errors"
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
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			publishUntilAcked(t, js, i)
		}
	}
	publish(0, 20)

	leader := c.StreamLeader(natswire.StreamName)
	c.Kill(leader)
	if c.Server(leader) != nil {
		t.Fatal("a node process has a server in the test process")
	}
	// StreamLeader waits (failing the test past its bound) until the
	// stream's info names a leader among the nodes still running: the two
	// survivors elected one.
	after := c.StreamLeader(natswire.StreamName)
	t.Logf("node %d killed; node %d leads", leader+1, after+1)
	publish(20, 40)
	st, err := js.Stream(t.Context(), natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 40 {
		t.Fatalf("%d messages after the kill, want 40", n)
	}

	c.Restart(leader)
	c.WaitForStreamCurrent(natswire.StreamName)
	publish(40, 41)
	st, err = js.Stream(t.Context(), natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 41 {
		t.Fatalf("%d messages with the killed node back, want 41", n)
	}
}

// A node killed and restarted, then, once the helpers say the cluster is
// current again, a second node killed: the two left (the restarted one among
// them) elect a meta leader and a stream leader between them and take
// publishes, which they can only do if the restarted node votes in both
// groups.
func TestSecondKillAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster of processes")
	}
	c := natsservertest.ProvisionedClusterForTest(t, natsservertest.NodeProcesses("TestNodeProcess"))
	js, err := jetstream.New(c.Connect())
	if err != nil {
		t.Fatal(err)
	}
	publish := func(i int) {
		t.Helper()
		publishUntilAcked(t, js, i)
	}
	publish(0)

	first := c.StreamLeader(natswire.StreamName)
	c.Kill(first)
	publish(1)
	c.Restart(first)
	c.WaitForStreamCurrent(natswire.StreamName)

	// The meta leader goes, unless it is the node that came back: then
	// another one. Either way the restarted node is one of the two left.
	second := c.MetaLeaderIndex()
	if second == first {
		second = (first + 1) % c.Size()
	}
	t.Logf("killed node %d, restarted it, now killing node %d", first+1, second+1)
	c.Kill(second)
	publish(2)
	// Both wait for a leader among the running nodes, and fail the test if
	// none comes.
	t.Logf("meta leader node %d, stream leader node %d", c.MetaLeaderIndex()+1, c.StreamLeader(natswire.StreamName)+1)
	st, err := js.Stream(t.Context(), natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 3 {
		t.Fatalf("%d messages, want 3", n)
	}
}

// publishUntilAcked publishes message i under its id until the stream
// acknowledges it: an answer lost on the way, or a request sent while the
// stream has no leader, is not waited for for ever but asked again, and a
// message published again is not kept twice. Each attempt and the whole are
// bounded only so that a test that would hang stops: a publish asked while
// the leader's node is dead goes unanswered, and one that waited for the
// whole bound would fail the test though the next attempt is acknowledged.
func publishUntilAcked(t *testing.T, js jetstream.JetStream, i int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := js.Publish(ctx, fmt.Sprintf("%s.test.c%d", natswire.SubjectPrefix, i), []byte("x"), jetstream.WithMsgID(fmt.Sprint(i)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d: %v", i, err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Logf("message %d: no answer, asked again", i)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
