package jetstreamlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/eventlogtest"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// The log on a 3-node cluster, its streams at 3 replicas, keeps the port's
// contract, a retried Any append recognised included: the log finds the
// first attempt by direct gets, which any replica answers, and reads again
// for a moment when a follower answers before it holds the acknowledged
// append (ADR 0042). The client is given every node's URL, the stream
// leader's first.
func TestContractOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := natsservertest.ProvisionedClusterForTest(t)
	leader := c.StreamLeader(natswire.StreamName)
	nc := c.ConnectFirstTo(leader)
	l := jetstreamlog.OpenForTest(t, nc, jetstreamlog.Options{})
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return l }, eventlogtest.RecognisesAnyRetries())
}

// clusterWrites appends to complaints on a log and remembers what each
// complaint's stream must hold.
type clusterWrites struct {
	l    eventlog.Log
	want map[string][]string          // stream -> event ids, in order
	last map[string]eventlog.Revision // stream -> revision of its last event
	// retried counts appends tried again, as a caller does after an error
	// (an acknowledgement lost with its node, a stream without a leader for
	// a moment); stale counts reads that had not yet seen an acknowledged
	// append.
	retried, stale int
}

// attempt bounds one try of an append or read; a try cut short is tried
// again, so a slow machine makes the test longer, never failed.
const attempt = 5 * time.Second

// giveUp is how long the test tries one append or read before it says the
// log does not carry on.
const giveUp = 2 * time.Minute

// append appends ev as a caller would: an attempt that fails is tried again
// with the same events and expectation, which the log answers with the
// first attempt's result if that one was written after all.
func (w *clusterWrites) append(t *testing.T, stream string, exp eventlog.ExpectedRevision, ev eventlog.EventData) eventlog.AppendResult {
	t.Helper()
	deadline := time.Now().Add(giveUp)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), attempt)
		res, err := w.l.Append(ctx, stream, exp, ev)
		cancel()
		if err == nil {
			return res
		}
		if eventlog.IsWrongExpectedVersion(err) || time.Now().After(deadline) {
			t.Fatalf("append to %s (%s): %v", stream, exp, err)
		}
		t.Logf("append to %s tried again after: %v", stream, err)
		w.retried++
	}
}

// appendRound appends one event to each of n new complaints and one to
// each complaint already written, each with the revision it expects.
func (w *clusterWrites) appendRound(t *testing.T, n int, round string) {
	t.Helper()
	for stream, ids := range w.want {
		ev := complaintEvent(stream, round)
		res := w.append(t, stream, eventlog.Exact(w.last[stream]), ev)
		w.want[stream], w.last[stream] = append(ids, ev.ID), res.NextRevision
	}
	for range n {
		stream := eventlog.StreamName("complaint", uuid.NewString())
		ev := complaintEvent(stream, round)
		res := w.append(t, stream, eventlog.NoStream(), ev)
		w.want[stream], w.last[stream] = []string{ev.ID}, res.NextRevision
	}
}

// readAll reads every complaint back through l: each must hold exactly the
// events appended to it, in order. A read that lacks the latest events (a
// follower behind its leader) is read again; one that holds anything else
// fails at once.
func (w *clusterWrites) readAll(t *testing.T, l eventlog.Log, when string) {
	t.Helper()
	for stream, ids := range w.want {
		deadline := time.Now().Add(giveUp)
		for {
			ctx, cancel := context.WithTimeout(t.Context(), attempt)
			got, err := l.ReadStream(ctx, stream, eventlog.FromStart)
			cancel()
			if err == nil {
				gotIDs := eventIDs(got)
				if fmt.Sprint(gotIDs) == fmt.Sprint(ids) {
					break
				}
				if len(gotIDs) > len(ids) || fmt.Sprint(gotIDs) != fmt.Sprint(ids[:len(gotIDs)]) {
					t.Fatalf("%s: %s holds %v, want %v", when, stream, gotIDs, ids)
				}
				w.stale++
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: read %s: %v, holding %v; want %v", when, stream, err, eventIDs(got), ids)
			}
		}
	}
}

func complaintEvent(stream, round string) eventlog.EventData {
	_, id, _ := eventlog.SplitStream(stream)
	return eventlog.EventData{
		ID: uuid.NewString(), Type: "complaints.v1.Noted", SchemaVersion: 1, Data: []byte(round),
		Metadata: eventlog.Metadata{ComplaintID: id, Service: "intake", Actor: eventlog.NewActor(eventlog.ActorSystem, "cluster-test")},
	}
}

func eventIDs(events []eventlog.RecordedEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// With any one node of three down, the log still appends and reads; a node
// that comes back catches up, and with it in the quorum (another node
// down) everything written before, while it was away, and since, is there.
func TestTheLogCarriesOnWithOneNodeDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster and stops its nodes")
	}
	c := natsservertest.ProvisionedClusterForTest(t)
	nc := c.Connect()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	w := &clusterWrites{l: jetstreamlog.OpenForTest(t, nc, jetstreamlog.Options{}), want: map[string][]string{}, last: map[string]eventlog.Revision{}}
	w.appendRound(t, 20, "all three up")
	w.readAll(t, w.l, "all three up")

	// The stream's leader goes: the worst node to lose.
	first := c.StreamLeader(natswire.StreamName)
	c.Stop(first)
	w.appendRound(t, 20, "leader down")
	w.readAll(t, w.l, "leader down")

	c.Restart(first)
	c.WaitForStreamCurrent(natswire.StreamName)
	w.appendRound(t, 5, "leader back")

	// Another node goes, so that the one that came back is one of the two
	// that carry the stream: it must hold everything.
	second := (first + 1) % c.Size()
	c.Stop(second)
	w.appendRound(t, 5, "another down")
	w.readAll(t, w.l, "another down, the first one back")

	// A new client, on the node that was away and another, reads the same.
	c.Restart(second)
	c.WaitForStreamCurrent(natswire.StreamName)
	again := jetstreamlog.OpenForTest(t, c.Connect(), jetstreamlog.Options{})
	w.readAll(t, again, "every node back, a new client")
	st, err := js.Stream(t.Context(), natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, ids := range w.want {
		total += len(ids)
	}
	if got := st.CachedInfo().State.Msgs; got != uint64(total) {
		t.Fatalf("the stream holds %d messages, %d were appended", got, total)
	}
	t.Logf("%d events on %d complaints; %d appends tried again, %d reads behind the last append", total, len(w.want), w.retried, w.stale)
}
