package checkpoint_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
)

var (
	jetstream = eventlog.Origin{Kind: "jetstreamlog", ID: "j"}
	esdbA     = eventlog.Origin{Kind: "esdblog", ID: "a"}
	esdbB     = eventlog.Origin{Kind: "esdblog", ID: "b"}
)

func TestACheckpointBelongsToItsLog(t *testing.T) {
	_, js := natsservertest.JetStreamForTest(t)
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

	// Two databases of one kind are told apart by identity.
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

// A checkpoint saved before origins were recorded (a bare number) cannot be
// told to belong to the log that reads it: it may be the position of the log
// used before an upgrade and a switch. It is refused, with what to do.
func TestACheckpointWithoutOriginIsRefused(t *testing.T) {
	_, js := natsservertest.JetStreamForTest(t)
	ctx := context.Background()
	s, err := checkpoint.NewKV(ctx, js, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1234", `{"position":1234}`} {
		if _, err := kv.Put(ctx, "relay", []byte(v)); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load(ctx, "relay", esdbA)
		var mismatch *checkpoint.MismatchError
		if !errors.As(err, &mismatch) {
			t.Fatalf("checkpoint %s without origin loaded: %v, want a MismatchError", v, err)
		}
		if !strings.Contains(err.Error(), `delete key "relay" in the NATS key-value bucket "checkpoints"`) {
			t.Errorf("error %q does not say what to do", err)
		}
		if err := s.Save(ctx, "relay", esdbA, 2000); !errors.As(err, &mismatch) {
			t.Fatalf("saving over checkpoint %s without origin: %v, want a MismatchError", v, err)
		}
	}

	// At position 0 a checkpoint says nothing that could be wrong.
	if _, err := kv.Put(ctx, "relay", []byte("0")); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Load(ctx, "relay", esdbA); err != nil || p != eventlog.Beginning {
		t.Fatalf("checkpoint 0 without origin loaded as %d, %v", p, err)
	}
	if err := s.Save(ctx, "relay", esdbA, 10); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Load(ctx, "relay", esdbA); err != nil || p != 10 {
		t.Fatalf("loaded %d, %v; want 10", p, err)
	}
}

// A log that cannot name itself (empty, or with no complaint event among
// the first records of $all) is of unknown identity: it may be any log. It
// starts from the beginning when it has no checkpoint, and refuses to adopt
// a saved position or to save one that could not be checked later.
func TestALogOfUnknownIdentityAdoptsNoCheckpoint(t *testing.T) {
	_, js := natsservertest.JetStreamForTest(t)
	ctx := context.Background()
	s, err := checkpoint.NewKV(ctx, js, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	unknown := eventlog.Origin{Kind: "esdblog"}

	// The first start on an empty log.
	if p, err := s.Load(ctx, "relay", unknown); err != nil || p != eventlog.Beginning {
		t.Fatalf("no checkpoint on an empty log loads as %d, %v", p, err)
	}
	if err := s.Save(ctx, "relay", unknown, eventlog.Beginning); err != nil {
		t.Fatalf("saving the beginning of an empty log: %v", err)
	}
	if p, err := s.Load(ctx, "relay", unknown); err != nil || p != eventlog.Beginning {
		t.Fatalf("checkpoint 0 loads as %d, %v", p, err)
	}

	var mismatch *checkpoint.MismatchError
	if err := s.Save(ctx, "relay", unknown, 5); !errors.Is(err, checkpoint.ErrUnknownLog) {
		t.Fatalf("saved position 5 of a log of unknown identity: %v", err)
	}

	if err := s.Save(ctx, "relay", esdbA, 42); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(ctx, "relay", unknown)
	if !errors.As(err, &mismatch) {
		t.Fatalf("a log of unknown identity adopted database a's checkpoint: %v", err)
	}
	if !strings.Contains(err.Error(), `delete key "relay" in the NATS key-value bucket "checkpoints"`) {
		t.Errorf("error %q does not say what to do", err)
	}
	if err := s.Save(ctx, "relay", unknown, 50); !errors.As(err, &mismatch) {
		t.Fatalf("a log of unknown identity saved over database a's checkpoint: %v", err)
	}

	// A position saved, by an older version, while the log could not name
	// itself cannot be checked either.
	kv, err := js.KeyValue(ctx, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "old", []byte(`{"log":{"kind":"esdblog"},"position":42}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "old", esdbA); !errors.As(err, &mismatch) {
		t.Fatalf("adopted a position saved without identity: %v", err)
	}
}
