package memlog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
)

func ev(typ string) eventlog.EventData {
	return eventlog.EventData{ID: uuid.NewString(), Type: typ, SchemaVersion: 1, Data: []byte("x")}
}

func open(t *testing.T) *memlog.Log {
	l := memlog.New()
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func read(t *testing.T, l eventlog.Log, stream string) []eventlog.RecordedEvent {
	t.Helper()
	got, err := l.ReadStream(context.Background(), stream, eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The memory log recognises a retry only as the port promises, so that a
// test over it never passes thanks to a de-duplication a real log may not do.
func TestRetriesRecognisedOnlyAsThePortPromises(t *testing.T) {
	ctx := context.Background()
	l := open(t)
	a, b, c := ev("t.v1.A"), ev("t.v1.B"), ev("t.v1.C")
	r1, err := l.Append(ctx, "case-1", eventlog.NoStream(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := l.Append(ctx, "case-1", eventlog.Exact(r1.NextRevision), c)
	if err != nil {
		t.Fatal(err)
	}

	// NoStream and Exact retries, even after later appends: the original answer.
	if again, err := l.Append(ctx, "case-1", eventlog.NoStream(), a, b); err != nil || again != r1 {
		t.Fatalf("no-stream retry answered %+v, %v; want %+v", again, err, r1)
	}
	if again, err := l.Append(ctx, "case-1", eventlog.Exact(r1.NextRevision), c); err != nil || again != r2 {
		t.Fatalf("exact retry answered %+v, %v; want %+v", again, err, r2)
	}
	// Another order or more events is not a retry.
	for _, events := range [][]eventlog.EventData{{b, a}, {a, b, ev("t.v1.D")}} {
		if _, err := l.Append(ctx, "case-1", eventlog.NoStream(), events...); !eventlog.IsWrongExpectedVersion(err) {
			t.Fatalf("no-stream append of %d other events: %v, want a conflict", len(events), err)
		}
	}
	if n := len(read(t, l, "case-1")); n != 3 {
		t.Fatalf("stream holds %d events, want 3", n)
	}

	// Any and StreamExists write an id the stream holds again.
	if r, err := l.Append(ctx, "case-1", eventlog.Any(), c); err != nil || r.NextRevision != r2.NextRevision+1 {
		t.Fatalf("any append of a held id answered %+v, %v; want it written at %d", r, err, r2.NextRevision+1)
	}
	if r, err := l.Append(ctx, "case-1", eventlog.StreamExists(), c); err != nil || r.NextRevision != r2.NextRevision+2 {
		t.Fatalf("stream-exists append of a held id answered %+v, %v; want it written", r, err)
	}
	// Exact at the current revision with a held id writes it again too.
	cur := r2.NextRevision + 2
	if r, err := l.Append(ctx, "case-1", eventlog.Exact(cur), a); err != nil || r.NextRevision != cur+1 {
		t.Fatalf("exact append at the current revision of a held id answered %+v, %v; want it written", r, err)
	}
	if n := len(read(t, l, "case-1")); n != 6 {
		t.Fatalf("stream holds %d events, want 6", n)
	}
}

func TestRefusesWhatRealLogsRefuse(t *testing.T) {
	ctx := context.Background()
	l := open(t)
	e := ev("t.v1.E")
	for name, events := range map[string][]eventlog.EventData{
		"no event":       nil,
		"id not a UUID":  {{ID: "42", Type: "t.v1.E"}},
		"no type":        {{ID: uuid.NewString()}},
		"reserved type":  {{ID: uuid.NewString(), Type: "$metadata"}},
		"id given twice": {e, e},
	} {
		if _, err := l.Append(ctx, "case-1", eventlog.Any(), events...); err == nil {
			t.Errorf("%s: append succeeded", name)
		}
	}
	if _, err := l.Append(ctx, "nodash", eventlog.Any(), ev("t.v1.E")); !errors.Is(err, eventlog.ErrInvalidStreamName) {
		t.Errorf("invalid stream name: %v", err)
	}
}

func TestWhatIsReadCannotChangeTheLog(t *testing.T) {
	ctx := context.Background()
	l := open(t)
	e := ev("t.v1.E")
	if _, err := l.Append(ctx, "case-1", eventlog.NoStream(), e); err != nil {
		t.Fatal(err)
	}
	e.Data[0] = 'y'
	got := read(t, l, "case-1")
	got[0].Data[0] = 'z'
	if d := string(read(t, l, "case-1")[0].Data); d != "x" {
		t.Fatalf("log holds %q, want %q", d, "x")
	}
}

func TestCloseStopsSubscriptionsAndFailsLaterCalls(t *testing.T) {
	ctx := context.Background()
	l := memlog.New()
	sub, err := l.Subscribe(ctx, eventlog.Beginning, eventlog.Filter{}, func(context.Context, eventlog.RecordedEvent) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("subscription still running after Close")
	}
	if err := sub.Err(); err != nil {
		t.Fatalf("subscription ended by Close reports %v", err)
	}
	if _, err := l.Append(ctx, "case-1", eventlog.Any(), ev("t.v1.E")); !errors.Is(err, memlog.ErrClosed) {
		t.Errorf("append after Close: %v", err)
	}
	if _, err := l.ReadStream(ctx, "case-1", eventlog.FromStart); !errors.Is(err, memlog.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
	if _, err := l.ReadTimeline(ctx, "1"); !errors.Is(err, memlog.ErrClosed) {
		t.Errorf("timeline after Close: %v", err)
	}
	if _, err := l.Subscribe(ctx, 0, eventlog.Filter{}, nil); !errors.Is(err, memlog.ErrClosed) {
		t.Errorf("subscribe after Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
