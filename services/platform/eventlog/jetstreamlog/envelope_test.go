package jetstreamlog

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

func openLog(t testing.TB, o Options) *Log {
	t.Helper()
	nc, _ := natsservertest.JetStreamForTest(t)
	return OpenForTest(t, nc, o)
}

func someEvents(n int) []eventlog.EventData {
	out := make([]eventlog.EventData, n)
	for i := range out {
		out[i] = eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1, Data: []byte{byte(i)},
			Metadata: eventlog.Metadata{ComplaintID: "c1", Service: "test", Actor: "system:test",
				RecordedAt: time.Date(2026, 12, 7, 10, 0, i, 0, time.UTC)}}
	}
	return out
}

// An append of several events is one message in the stream, read back as
// its events in order, each at its own position, all at the message's
// revision.
func TestAnAppendOfSeveralEventsIsOneMessage(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	first, err := l.Append(ctx, "case-c1", eventlog.NoStream(), someEvents(1)...)
	if err != nil {
		t.Fatal(err)
	}
	three := someEvents(3)
	res, err := l.Append(ctx, "case-c1", eventlog.Exact(first.NextRevision), three...)
	if err != nil {
		t.Fatal(err)
	}
	info, err := l.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 || res.NextRevision != natswire.RevisionOf(2, 2, 3) || res.Position != natswire.PositionOf(2, 2, 3) {
		t.Fatalf("%d messages, append answered %+v; want 2 messages, the third event of message 2", info.State.Msgs, res)
	}
	got, err := l.ReadStream(ctx, "case-c1", first.NextRevision)
	if err != nil || len(got) != 3 {
		t.Fatalf("read %d events after the first append: %v", len(got), err)
	}
	for i, e := range got {
		want := three[i]
		if e.ID != want.ID || e.Type != want.Type || string(e.Data) != string(want.Data) || e.Revision != natswire.RevisionOf(2, i, 3) ||
			e.Position != natswire.PositionOf(2, i, 3) || !e.Metadata.RecordedAt.Equal(want.Metadata.RecordedAt) ||
			e.Metadata.Actor != want.Metadata.Actor || e.Stream != "case-c1" {
			t.Fatalf("event %d read back as %+v, want %+v in message 2", i, e, want)
		}
	}
	// The append is all or nothing under its expectation, like one event.
	if _, err := l.Append(ctx, "case-c1", eventlog.Exact(first.NextRevision), someEvents(2)...); !eventlog.IsWrongExpectedVersion(err) {
		t.Fatalf("stale append of two events: %v, want a conflict", err)
	}
}

// A retried append of several events is answered with where it was first
// written, and written once.
func TestARetriedAppendOfSeveralEventsIsWrittenOnce(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	events := someEvents(3)
	first, err := l.Append(ctx, "case-r", eventlog.NoStream(), events...)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Append(ctx, "case-r", eventlog.NoStream(), events...)
	if err != nil || again != first {
		t.Fatalf("retry answered %+v, %v; first append %+v", again, err, first)
	}
	anyAgain, err := l.Append(ctx, "case-r", eventlog.Any(), events...)
	if err != nil || anyAgain != first {
		t.Fatalf("retry with Any answered %+v, %v; first append %+v", anyAgain, err, first)
	}
	if got, _ := l.ReadStream(ctx, "case-r", eventlog.FromStart); len(got) != 3 {
		t.Fatalf("%d events in the stream, want 3", len(got))
	}
}

// A stream of more messages than one direct-get batch is read whole and in
// order.
func TestReadingMoreMessagesThanOneReadBatch(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	var want []string
	for range 2*readBatch + 10 {
		events := someEvents(3)
		if _, err := l.Append(ctx, "complaint-long", eventlog.Any(), events...); err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			want = append(want, e.ID)
		}
	}
	got, err := l.ReadStream(ctx, "complaint-long", eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("event %d is %s, want %s", i, got[i].ID, want[i])
		}
	}
	// After the first event of message readBatch+6: the two others, and
	// the events of the messages after it.
	tail, err := l.ReadStream(ctx, "complaint-long", got[3*(readBatch+5)].Revision)
	if err != nil || len(tail) != len(want)-3*(readBatch+5)-1 {
		t.Fatalf("read after revision: %d events, %v", len(tail), err)
	}
}

// A subscription resumed after an event in the middle of a message gets the
// rest of that message's events, then what follows.
func TestASubscriptionResumesInsideAMessage(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	first := someEvents(3)
	res, err := l.Append(ctx, "case-s", eventlog.NoStream(), first...)
	if err != nil {
		t.Fatal(err)
	}
	next := someEvents(1)
	if _, err := l.Append(ctx, "case-s", eventlog.Exact(res.NextRevision), next...); err != nil {
		t.Fatal(err)
	}
	seq, _ := natswire.SequenceOf(res.Position)
	got := make(chan eventlog.RecordedEvent, 10)
	sub, err := l.Subscribe(ctx, natswire.PositionOf(seq, 0, 3), eventlog.Filter{}, func(_ context.Context, e eventlog.RecordedEvent) error {
		got <- e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	for _, want := range []string{first[1].ID, first[2].ID, next[0].ID} {
		select {
		case e := <-got:
			if e.ID != want {
				t.Fatalf("received %s, want %s", e.ID, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no event %s", want)
		}
	}
}

func TestPositionsOfMessages(t *testing.T) {
	for _, c := range []struct {
		seq          uint64
		index, count int
	}{{1, 0, 1}, {1, 0, 1000}, {1, 999, 1000}, {42, 3, 4}, {1 << 40, 7, 8}} {
		p := natswire.PositionOf(c.seq, c.index, c.count)
		seq, last := natswire.SequenceOf(p)
		if seq != c.seq || last != (c.index == c.count-1) {
			t.Errorf("position %d of (%d, %d of %d) reads back as message %d, last %v", p, c.seq, c.index, c.count, seq, last)
		}
		if c.index < c.count-1 && natswire.PositionOf(c.seq, c.index+1, c.count) <= p {
			t.Errorf("positions of (%d, %d) and the next event are not in order", c.seq, c.index)
		}
		if natswire.PositionOf(c.seq+1, 0, natswire.MaxEnvelopeEvents) <= natswire.LastOfMessage(c.seq) ||
			natswire.PositionOf(c.seq, 0, c.count) <= natswire.LastOfMessage(c.seq-1) {
			t.Errorf("the events of message %d are not between the ones before and after", c.seq)
		}
	}
}
