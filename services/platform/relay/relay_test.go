package relay_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/relay"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// env is a source log on server A and the target JetStream on server B.
type env struct {
	src  *jetstreamlog.Log
	js   jetstream.JetStream // B
	cps  *checkpoint.KV      // on B
	sent []eventlog.RecordedEvent
	mu   sync.Mutex
}

func newEnv(t *testing.T) *env {
	e, _ := newEnvWithTarget(t)
	return e
}

// newEnvWithTarget also returns server B, for tests that stop it.
func newEnvWithTarget(t *testing.T) (*env, *server.Server) {
	t.Helper()
	ncA, _ := natsservertest.JetStreamForTest(t)
	srvB, urlB := natsservertest.RunForTest(t)
	js, err := jetstream.New(natsservertest.ConnectForTest(t, urlB))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(context.Background(), checkpoint.BucketConfig("RELAY_CHECKPOINTS")); err != nil {
		t.Fatal(err)
	}
	cps, err := checkpoint.NewKV(context.Background(), js, "RELAY_CHECKPOINTS")
	if err != nil {
		t.Fatal(err)
	}
	return &env{src: jetstreamlogtest.OpenForTest(t, ncA, jetstreamlog.Options{}), js: js, cps: cps}, srvB
}

// origin is the source log's origin, as checkpoints record it.
func (e *env) origin(t *testing.T) eventlog.Origin {
	t.Helper()
	o, err := eventlog.OriginOf(context.Background(), e.src)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// appendEvents appends n events spread over a few complaints' streams, from
// several writers at once, and returns them as the log recorded them.
func (e *env) appendEvents(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	complaints := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	categories := []string{"complaint", "case", "redress"}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := complaints[i%len(complaints)]
			stream := eventlog.StreamName(categories[i%len(categories)], id)
			ev := eventlog.EventData{
				ID:            uuid.NewString(),
				Type:          "test.v1.Happened",
				SchemaVersion: 1,
				Data:          []byte(fmt.Sprintf("event %d", i)),
				Metadata:      eventlog.Metadata{ComplaintID: id, Service: "test", RecordedAt: time.Now()},
			}
			res, err := e.src.Append(ctx, stream, eventlog.Any(), ev)
			if err != nil {
				errs <- err
				return
			}
			e.mu.Lock()
			e.sent = append(e.sent, eventlog.RecordedEvent{EventData: ev, Stream: stream, Revision: res.NextRevision, Position: res.Position})
			e.mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// inLogOrder returns every event appended so far, ordered by position.
func (e *env) inLogOrder() []eventlog.RecordedEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([]eventlog.RecordedEvent(nil), e.sent...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Position < out[j-1].Position; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// running is a relay running in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, r *relay.Relay) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rr := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { rr.done <- r.Run(ctx) }()
	t.Cleanup(func() { rr.stop(t) })
	return rr
}

func (rr *running) stop(t *testing.T) {
	t.Helper()
	if rr.cancel == nil {
		return
	}
	rr.cancel()
	rr.cancel = nil
	select {
	case err := <-rr.done:
		if err != nil {
			t.Errorf("relay returned %v after being stopped", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("relay did not stop")
	}
}

// targetMsgs returns every message of B's complaint-events stream, in order.
func targetMsgs(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

func targetCount(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natswire.StreamName)
	if err != nil {
		return 0
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// checkTarget asserts that B holds exactly the events appended so far, each
// once, in log order, with their place in the log in the headers.
func checkTarget(t *testing.T, e *env) {
	t.Helper()
	want := e.inLogOrder()
	got := targetMsgs(t, e.js)
	if len(got) != len(want) {
		t.Fatalf("target holds %d messages, want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for i, m := range got {
		w := want[i]
		id := m.Header.Get(natswire.HeaderMsgID)
		if seen[id] {
			t.Fatalf("event %s is twice on the target", id)
		}
		seen[id] = true
		if id != w.ID {
			t.Fatalf("target message %d is event %s, want %s (log order)", i+1, id, w.ID)
		}
		if p := m.Header.Get(natswire.HeaderLogPosition); p != strconv.FormatUint(uint64(w.Position), 10) {
			t.Errorf("event %s: %s %q, want %d", id, natswire.HeaderLogPosition, p, w.Position)
		}
		if r := m.Header.Get(natswire.HeaderLogRevision); r != strconv.FormatUint(uint64(w.Revision), 10) {
			t.Errorf("event %s: %s %q, want %d", id, natswire.HeaderLogRevision, r, w.Revision)
		}
		ev, err := natswire.Decode(m.Subject, m.Header, m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Stream != w.Stream || ev.Type != w.Type || string(ev.Data) != string(w.Data) || ev.Metadata.ComplaintID != w.Metadata.ComplaintID {
			t.Errorf("event %s decoded from the target as %+v, want %+v", id, ev, w)
		}
	}
}

func TestRelaysEveryEventInLogOrder(t *testing.T) {
	e := newEnv(t)
	e.appendEvents(t, 300) // written before the relay starts: catch-up
	rr := start(t, relay.New(e.src, e.js, e.cps, relay.Options{MaxInFlight: 64}))
	testkit.Eventually(t, "the first events on the target", func() bool { return targetCount(t, e.js) == 300 })
	e.appendEvents(t, 200) // written while it runs: live
	testkit.Eventually(t, "the live events on the target", func() bool { return targetCount(t, e.js) == 500 })
	// The checkpoint follows the acknowledgements while the relay runs.
	last := e.inLogOrder()[499].Position
	testkit.Eventually(t, "the checkpoint to reach the last event", func() bool {
		p, err := e.cps.Load(context.Background(), "relay", e.origin(t))
		return err == nil && p == last
	})
	rr.stop(t)
	checkTarget(t, e)
	got, err := e.cps.Load(context.Background(), "relay", e.origin(t))
	if err != nil {
		t.Fatal(err)
	}
	if got != last {
		t.Fatalf("checkpoint after stop is %d, want %d", got, last)
	}
}

func TestRestartResumesFromCheckpoint(t *testing.T) {
	e := newEnv(t)
	e.appendEvents(t, 50)
	rr := start(t, relay.New(e.src, e.js, e.cps, relay.Options{Name: "bus"}))
	testkit.Eventually(t, "the first events on the target", func() bool { return targetCount(t, e.js) == 50 })
	rr.stop(t)

	e.appendEvents(t, 30) // while no relay runs
	rr = start(t, relay.New(e.src, e.js, e.cps, relay.Options{Name: "bus"}))
	testkit.Eventually(t, "the events written while stopped", func() bool { return targetCount(t, e.js) == 80 })
	e.appendEvents(t, 5)
	testkit.Eventually(t, "the events written after the restart", func() bool { return targetCount(t, e.js) == 85 })
	rr.stop(t)
	checkTarget(t, e)
}

func TestOlderCheckpointRepublishesWithoutDuplicates(t *testing.T) {
	e := newEnv(t)
	e.appendEvents(t, 120)
	rr := start(t, relay.New(e.src, e.js, e.cps, relay.Options{}))
	testkit.Eventually(t, "the events on the target", func() bool { return targetCount(t, e.js) == 120 })
	rr.stop(t)

	// A relay whose checkpoint is at the beginning (a fresh bucket) publishes
	// every event again; JetStream drops them as duplicates.
	if _, err := e.js.CreateKeyValue(context.Background(), checkpoint.BucketConfig("RELAY_CHECKPOINTS_OLD")); err != nil {
		t.Fatal(err)
	}
	fresh, err := checkpoint.NewKV(context.Background(), e.js, "RELAY_CHECKPOINTS_OLD")
	if err != nil {
		t.Fatal(err)
	}
	rr = start(t, relay.New(e.src, e.js, fresh, relay.Options{MaxInFlight: 32}))
	last := e.inLogOrder()[119].Position
	testkit.Eventually(t, "the second relay to catch up", func() bool {
		p, err := fresh.Load(context.Background(), "relay", e.origin(t))
		return err == nil && p == last
	})
	e.appendEvents(t, 10)
	testkit.Eventually(t, "new events after the replay", func() bool { return targetCount(t, e.js) == 130 })
	rr.stop(t)
	checkTarget(t, e)
}

// TestStopsWhileTargetIsDown: with nothing to publish to, the relay keeps
// retrying without skipping, and still stops cleanly when asked.
func TestStopsWhileTargetIsDown(t *testing.T) {
	e, srvB := newEnvWithTarget(t)
	e.appendEvents(t, 5)
	rr := start(t, relay.New(e.src, e.js, e.cps, relay.Options{}))
	testkit.Eventually(t, "the events on the target", func() bool { return targetCount(t, e.js) == 5 })
	srvB.Shutdown()
	srvB.WaitForShutdown()
	e.appendEvents(t, 5)
	rr.stop(t)
}

// TestRefusesACheckpointOfAnotherLog: a checkpoint saved while relaying
// another log (here, an EventStoreDB one) is not read as a position of this
// one; the relay does not start, and says what to do.
func TestRefusesACheckpointOfAnotherLog(t *testing.T) {
	e := newEnv(t)
	e.appendEvents(t, 3)
	other := eventlog.Origin{Kind: "esdblog", ID: "5f0c3c1e-0000-4000-8000-000000000001"}
	if err := e.cps.Save(context.Background(), "relay", other, 123456); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := relay.New(e.src, e.js, e.cps, relay.Options{}).Run(ctx)
	var mismatch *checkpoint.MismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("relay started from another log's checkpoint: %v", err)
	}
	for _, want := range []string{"esdblog:5f0c3c1e", "jetstreamlog", `delete key "relay"`, "RELAY_CHECKPOINTS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := targetCount(t, e.js); n != 0 {
		t.Errorf("relayed %d events", n)
	}
}
