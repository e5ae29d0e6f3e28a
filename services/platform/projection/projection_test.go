package projection_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// counts counts events by type.
type counts struct {
	ByType map[string]int `json:"by_type"`
}

func (c *counts) Apply(e eventlog.RecordedEvent) error {
	c.ByType[e.Type]++
	return nil
}

func newCounts() *counts { return &counts{ByType: map[string]int{}} }

func appendN(t *testing.T, l eventlog.Log, typ string, n int) {
	t.Helper()
	for range n {
		id := uuid.NewString()
		if _, err := l.Append(context.Background(), eventlog.StreamName("case", id), eventlog.NoStream(),
			eventlog.EventData{ID: uuid.NewString(), Type: typ, SchemaVersion: 1, Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, l eventlog.Log, js jetstream.JetStream) (*projection.Projection[*counts], context.CancelFunc, chan struct{}) {
	t.Helper()
	p, err := projection.New(context.Background(), l, js, newCounts(), projection.Options{Name: "test-counts", SnapshotInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	return p, cancel, done
}

func waitCount(t *testing.T, p *projection.Projection[*counts], typ string, want int) {
	t.Helper()
	testkit.EventuallyNil(t, func() error {
		var got int
		p.Read(func(c *counts, _ eventlog.Position) { got = c.ByType[typ] })
		if got != want {
			return fmt.Errorf("%s counted %d times, want %d", typ, got, want)
		}
		return nil
	})
}

func TestAProjectionResumesFromItsSnapshotWithoutCountingTwice(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})

	appendN(t, l, "test.v1.A", 5)
	p, stop, done := run(t, l, js)
	waitCount(t, p, "test.v1.A", 5)
	stop()
	<-done // Run saves a last snapshot as it stops

	// Restored from the snapshot before reading any event.
	restored, err := projection.New(context.Background(), l, js, newCounts(), projection.Options{Name: "test-counts"})
	if err != nil {
		t.Fatal(err)
	}
	restored.Read(func(c *counts, pos eventlog.Position) {
		if c.ByType["test.v1.A"] != 5 || pos == 0 {
			t.Fatalf("snapshot restored %v at position %d, want 5 events at their position", c.ByType, pos)
		}
	})

	appendN(t, l, "test.v1.A", 3)
	appendN(t, l, "test.v1.Marker", 1)
	p2, stop2, done2 := run(t, l, js)
	waitCount(t, p2, "test.v1.Marker", 1)
	waitCount(t, p2, "test.v1.A", 8)
	stop2()
	<-done2

	// Deleting the snapshot rebuilds the projection from the whole log.
	kv, err := js.KeyValue(context.Background(), projection.BucketName)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(context.Background(), "test-counts"); err != nil {
		t.Fatal(err)
	}
	p3, stop3, done3 := run(t, l, js)
	waitCount(t, p3, "test.v1.Marker", 1)
	waitCount(t, p3, "test.v1.A", 8)
	stop3()
	<-done3
}

// TestASnapshotOfAnotherLogIsRefused: a snapshot saved while the projection
// read another log (here, an EventStoreDB one) is not restored on this one.
func TestASnapshotOfAnotherLogIsRefused(t *testing.T) {
	nc, js := natsservertest.JetStreamForTest(t)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})
	appendN(t, l, "test.v1.A", 2)
	p, stop, done := run(t, l, js)
	waitCount(t, p, "test.v1.A", 2)
	stop()
	<-done

	kv, err := js.KeyValue(context.Background(), projection.BucketName)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(context.Background(), "test-counts")
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string]json.RawMessage
	if err := json.Unmarshal(entry.Value(), &saved); err != nil {
		t.Fatal(err)
	}
	var origin eventlog.Origin
	if err := json.Unmarshal(saved["log"], &origin); err != nil || origin.Kind != "jetstreamlog/2" || origin.ID == "" {
		t.Errorf("snapshot names its log as %s (%v)", saved["log"], err)
	}

	saved["log"] = json.RawMessage(`{"kind":"esdblog","id":"5f0c3c1e-0000-4000-8000-000000000001"}`)
	b, _ := json.Marshal(saved)
	if _, err := kv.Put(context.Background(), "test-counts", b); err != nil {
		t.Fatal(err)
	}
	_, err = projection.New(context.Background(), l, js, newCounts(), projection.Options{Name: "test-counts"})
	var mismatch *checkpoint.MismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("restored a snapshot of another log: %v", err)
	}
	if !strings.Contains(err.Error(), `delete key "test-counts"`) {
		t.Errorf("error %q does not say what to do", err)
	}
}
