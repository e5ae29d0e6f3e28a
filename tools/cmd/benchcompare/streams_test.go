package main

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

func TestTheMessagesOfAStoppedServersStreamsAreCounted(t *testing.T) {
	dir := t.TempDir()
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "COMPLAINT_EVENTS", Subjects: []string{"complaints.events.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"complaints.events.complaint.1", "complaints.events.case.1", "complaints.events.followup.1"} {
		if _, err := js.Publish(ctx, s, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "checkpoints", Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "a"} { // history 1: two keys, two messages
		if _, err := kv.Put(ctx, k, []byte("1")); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()

	got, written, err := countStreams(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["COMPLAINT_EVENTS"] != 3 || got["KV_checkpoints"] != 2 || sum(got) != 5 {
		t.Fatalf("counts %v; want COMPLAINT_EVENTS 3, KV_checkpoints 2", got)
	}
	// The key "a" was written twice: one of its values is gone, its write counted.
	if written["COMPLAINT_EVENTS"] != 3 || written["KV_checkpoints"] != 3 || sum(written) != 6 {
		t.Fatalf("writes %v; want COMPLAINT_EVENTS 3, KV_checkpoints 3", written)
	}
}

func TestAStoreWithoutStreamsIsAnError(t *testing.T) {
	if _, _, err := countStreams(t.Context(), t.TempDir()); err == nil {
		t.Fatal("an empty store was counted")
	}
}
