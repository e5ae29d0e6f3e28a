package checkpoint_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

var (
	jetstream = eventlog.Origin{Kind: "jetstreamlog"}
	esdbA     = eventlog.Origin{Kind: "esdblog", ID: "a"}
	esdbB     = eventlog.Origin{Kind: "esdblog", ID: "b"}
)

func TestACheckpointBelongsToItsLog(t *testing.T) {
	_, js := natsserver.JetStreamForTest(t)
	ctx := context.Background()
	s, err := checkpoint.NewKV(ctx, js, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Load(ctx, "relay", esdbA); err != nil || p != eventlog.Beginning {
		t.Fatalf("no checkpoint loads as %d, %v", p, err)
	}
	if err := s.Save(ctx, "relay", jetstream, 42); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Load(ctx, "relay", jetstream); err != nil || p != 42 {
		t.Fatalf("loaded %d, %v; want 42", p, err)
	}

	// A JetStream sequence is not an EventStoreDB position.
	_, err = s.Load(ctx, "relay", esdbA)
	var mismatch *checkpoint.MismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("loading a JetStream checkpoint on EventStoreDB: %v, want a MismatchError", err)
	}
	if !strings.Contains(err.Error(), `delete key "relay" in the NATS key-value bucket "checkpoints"`) {
		t.Errorf("error %q does not say what to do", err)
	}
	if err := s.Save(ctx, "relay", esdbA, 100); !errors.As(err, &mismatch) {
		t.Fatalf("saving over another log's checkpoint: %v", err)
	}

	// Two databases of one kind are told apart by identity; a log that did
	// not know its identity yet learns it.
	if err := s.Save(ctx, "esdb-reader", eventlog.Origin{Kind: "esdblog"}, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "esdb-reader", esdbA, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "esdb-reader", esdbB); !errors.As(err, &mismatch) {
		t.Fatalf("loading database a's checkpoint on b: %v", err)
	}
	if p, err := s.Load(ctx, "esdb-reader", esdbA); err != nil || p != 7 {
		t.Fatalf("loaded %d, %v; want 7", p, err)
	}
	if err := s.Save(ctx, "esdb-reader", esdbA, 6); !errors.Is(err, checkpoint.ErrBackwards) {
		t.Fatalf("moving back: %v", err)
	}
}

// A checkpoint saved before origins were recorded (a bare number) is taken
// to belong to the log that reads it.
func TestACheckpointWithoutOriginIsAdopted(t *testing.T) {
	_, js := natsserver.JetStreamForTest(t)
	ctx := context.Background()
	s, err := checkpoint.NewKV(ctx, js, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "relay", []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Load(ctx, "relay", esdbA); err != nil || p != 1234 {
		t.Fatalf("legacy checkpoint loaded as %d, %v", p, err)
	}
	if err := s.Save(ctx, "relay", esdbA, 2000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "relay", jetstream); err == nil {
		t.Fatal("once saved with its origin, the checkpoint is refused to another log")
	}
}
