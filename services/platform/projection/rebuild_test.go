package projection_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// padded is a state whose snapshot is larger than one KV value.
type padded struct {
	ByType map[string]int `json:"by_type"`
	Pad    []string       `json:"pad"`
}

func (c *padded) Apply(e eventlog.RecordedEvent) error {
	c.ByType[e.Type]++
	c.Pad = append(c.Pad, strings.Repeat("x", 64<<10))
	return nil
}

func TestARebuildFoldsTheWholeLogAgainAndKeepsFollowing(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})
	appendN(t, l, "test.v1.A", 7)
	p, stop, done := run(t, l, js)
	t.Cleanup(func() { stop(); <-done })
	waitCount(t, p, "test.v1.A", 7)

	if err := p.Rebuild(context.Background(), newCounts()); err != nil {
		t.Fatal(err)
	}
	st := p.Status()
	if st.Rebuild.Running || st.Rebuild.Applied != 7 || st.Rebuild.Position != st.Position || st.Rebuild.Error != "" {
		t.Fatalf("rebuild status %+v, want 7 events applied up to %d", st.Rebuild, st.Position)
	}
	waitCount(t, p, "test.v1.A", 7)
	appendN(t, l, "test.v1.A", 2)
	waitCount(t, p, "test.v1.A", 9)
}

func TestReplayStopsAtItsEnd(t *testing.T) {
	nc, _ := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})
	appendN(t, l, "test.v1.A", 5)
	c := newCounts()
	third, fourth, fifth := natswire.LastOfMessage(3), natswire.LastOfMessage(4), natswire.LastOfMessage(5) // one event a message
	reached, err := projection.Replay(context.Background(), l, eventlog.Filter{}, c, 0, third, projection.ReplayOptions{})
	if err != nil || reached != third || c.ByType["test.v1.A"] != 3 {
		t.Fatalf("replay to 3: reached %d, counted %v, %v", reached, c.ByType, err)
	}
	c = newCounts()
	reached, err = projection.Replay(context.Background(), l, eventlog.Filter{}, c, 0, fifth, projection.ReplayOptions{
		Until: func(e eventlog.RecordedEvent) bool { return e.Position == fourth },
	})
	if err != nil || reached != third || c.ByType["test.v1.A"] != 3 {
		t.Fatalf("replay until 4: reached %d, counted %v, %v", reached, c.ByType, err)
	}
}

func TestASnapshotLargerThanOneValueIsSavedInParts(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})
	appendN(t, l, "test.v1.A", 20) // 20 x 64 KiB: three parts
	p, err := projection.New(context.Background(), l, js, &padded{ByType: map[string]int{}}, projection.Options{Name: "test-padded", SnapshotInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	testkit.Eventually(t, "the projection to fold the 20 events", func() bool { return p.Position() >= natswire.LastOfMessage(20) })
	cancel()
	<-done
	restored, err := projection.New(context.Background(), l, js, &padded{ByType: map[string]int{}}, projection.Options{Name: "test-padded"})
	if err != nil {
		t.Fatal(err)
	}
	restored.Read(func(c *padded, pos eventlog.Position) {
		if c.ByType["test.v1.A"] != 20 || len(c.Pad) != 20 || pos != natswire.LastOfMessage(20) {
			t.Fatalf("restored %v, %d pads at %d; want 20 at 20", c.ByType, len(c.Pad), pos)
		}
	})
}

func TestARebuildWhileEventsArriveMissesNoneAndCountsNoneTwice(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})
	appendN(t, l, "test.v1.A", 200)
	p, stop, done := run(t, l, js)
	t.Cleanup(func() { stop(); <-done })
	waitCount(t, p, "test.v1.A", 200)

	finished, err := p.StartRebuild(context.Background(), newCounts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartRebuild(context.Background(), newCounts()); err != projection.ErrRebuildRunning {
		t.Errorf("a second rebuild at once: %v, want ErrRebuildRunning", err)
	}
	appendN(t, l, "test.v1.A", 50) // while the rebuild runs
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	appendN(t, l, "test.v1.A", 10)
	waitCount(t, p, "test.v1.A", 260)
	var pos eventlog.Position
	p.Read(func(_ *counts, at eventlog.Position) { pos = at })
	if pos != natswire.LastOfMessage(260) {
		t.Fatalf("position %d, want the 260th message's", pos)
	}
}
