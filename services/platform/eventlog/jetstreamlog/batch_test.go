package jetstreamlog

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

func openLog(t testing.TB, o Options) *Log {
	t.Helper()
	nc, _ := natsserver.JetStreamForTest(t)
	return OpenForTest(t, nc, o)
}

func request(t *testing.T, stream string, exp eventlog.ExpectedRevision, n int) *appendRequest {
	t.Helper()
	subject, err := natswire.Subject(stream)
	if err != nil {
		t.Fatal(err)
	}
	r := &appendRequest{ctx: context.Background(), stream: stream, subject: subject, expected: exp, done: make(chan appendOutcome, 1)}
	for range n {
		e := eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1, Data: []byte("x")}
		m, err := natswire.Message(stream, e)
		if err != nil {
			t.Fatal(err)
		}
		r.events = append(r.events, e)
		r.msgs = append(r.msgs, m)
	}
	return r
}

// A coalesced batch holding one append whose expectation fails is refused as
// a whole; the others must still be written, each exactly once, and only the
// one at fault gets the conflict.
func TestConflictInACoalescedBatchFailsOnlyItsAppend(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	taken, err := l.Append(ctx, "case-taken", eventlog.NoStream(), request(t, "case-taken", eventlog.Any(), 1).events...)
	if err != nil {
		t.Fatal(err)
	}
	good1 := request(t, "case-one", eventlog.NoStream(), 2)
	bad := request(t, "case-taken", eventlog.NoStream(), 1)
	good2 := request(t, "case-two", eventlog.Any(), 1)

	l.publishGroup([]*appendRequest{good1, bad, good2})

	for _, r := range []*appendRequest{good1, good2} {
		out := <-r.done
		if out.err != nil {
			t.Fatalf("%s: %v", r.stream, out.err)
		}
		got, err := l.ReadStream(ctx, r.stream, eventlog.FromStart)
		if err != nil || len(got) != len(r.events) || got[len(got)-1].Revision != out.result.NextRevision {
			t.Fatalf("%s: read %d events (%v), append answered %+v", r.stream, len(got), err, out.result)
		}
	}
	if out := <-bad.done; !eventlog.IsWrongExpectedVersion(out.err) {
		t.Fatalf("conflicting append answered %v, want a wrong-expected-version error", out.err)
	}
	if got, _ := l.ReadStream(ctx, "case-taken", eventlog.FromStart); len(got) != 1 || got[0].Revision != taken.NextRevision {
		t.Fatalf("conflicting append changed its stream: %d events", len(got))
	}
	if s := l.Stats(); s.Fallbacks != 1 {
		t.Fatalf("stats %+v, want one refused batch", s)
	}
}

// A batch of appends that all pass is committed once, with each append told
// its own revision.
func TestCoalescedBatchAnswersEachAppend(t *testing.T) {
	l := openLog(t, Options{})
	group := []*appendRequest{
		request(t, "complaint-a", eventlog.NoStream(), 2),
		request(t, "complaint-b", eventlog.NoStream(), 1),
		request(t, "complaint-c", eventlog.NoStream(), 3),
	}
	l.publishGroup(group)
	for _, r := range group {
		out := <-r.done
		if out.err != nil {
			t.Fatal(out.err)
		}
		got, err := l.ReadStream(context.Background(), r.stream, eventlog.FromStart)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(r.events) || got[len(got)-1].Revision != out.result.NextRevision || got[len(got)-1].ID != r.events[len(r.events)-1].ID {
			t.Fatalf("%s: read back %d events ending at %d, append answered %+v", r.stream, len(got), got[len(got)-1].Revision, out.result)
		}
	}
	if s := l.Stats(); s.Batches != 1 || s.BatchedAppends != 3 {
		t.Fatalf("stats %+v, want one batch of three appends", s)
	}
}

// A stream longer than one direct-get batch is read whole and in order.
func TestReadingMoreEventsThanOneReadBatch(t *testing.T) {
	l := openLog(t, Options{})
	ctx := context.Background()
	var want []string
	for len(want) < 2*readBatch+10 {
		r := request(t, "complaint-long", eventlog.Any(), 100)
		if _, err := l.Append(ctx, "complaint-long", eventlog.Any(), r.events...); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.events {
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
	tail, err := l.ReadStream(ctx, "complaint-long", got[readBatch+5].Revision)
	if err != nil || len(tail) != len(want)-readBatch-6 {
		t.Fatalf("read after revision: %d events, %v", len(tail), err)
	}
}
