// Package eventlogtest is the contract every eventlog.Log adapter must meet.
// Each adapter's tests call Run with a function that opens the adapter on a
// real server; the same cases run against JetStream and EventStoreDB.
package eventlogtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Option adds the cases of a promise an adapter makes beyond the port's.
type Option func(*options)

type options struct {
	anyRetries bool
	restart    func(t *testing.T, l eventlog.Log) eventlog.Log
}

// RecognisesAnyRetries runs the case where an append with expectation Any
// is retried with the same events: the adapter promises to write them once
// (JetStream does, within its duplicate window). The port does not promise
// it, and no layer above relies on it.
func RecognisesAnyRetries() Option { return func(o *options) { o.anyRetries = true } }

// RecognisesAnyRetriesAcrossRestart runs the case where an append with
// expectation Any is retried after the server restarted: restart stops and
// starts the server under l and returns a log on it. Only for an adapter
// that promises it.
func RecognisesAnyRetriesAcrossRestart(restart func(t *testing.T, l eventlog.Log) eventlog.Log) Option {
	return func(o *options) { o.restart = restart }
}

// Run runs the contract suite. open returns a log for one test; the log may
// be shared with other tests and with a server that holds other events
// (names are unique per test, subscriptions start after the test's first
// append) and is closed by the caller's cleanup or by open's.
func Run(t *testing.T, open func(t *testing.T) eventlog.Log, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cases := []struct {
		name string
		run  func(t *testing.T, l eventlog.Log)
	}{
		{"AppendThenReadBack", appendThenReadBack},
		{"ExpectedRevisions", expectedRevisions},
		{"ConcurrentWritersOneWins", concurrentWritersOneWins},
		{"RetryAfterLostAcknowledgement", retryAfterLostAcknowledgement},
		{"ExactCurrentRevisionDoesNotCheckIDs", exactCurrentRevisionDoesNotCheckIDs},
		{"RefusedAppendWritesNothing", refusedAppendWritesNothing},
		{"ReadStreamNotFound", readStreamNotFound},
		{"ReadStreamAfterRevision", readStreamAfterRevision},
		{"TimelineInLogOrder", timelineInLogOrder},
		{"ManyConcurrentAppends", manyConcurrentAppends},
		{"SubscriptionStopAndResume", subscriptionStopAndResume},
		{"SubscriptionFilters", subscriptionFilters},
		{"SubscriptionHandlerError", subscriptionHandlerError},
	}
	if o.anyRetries {
		cases = append(cases, struct {
			name string
			run  func(t *testing.T, l eventlog.Log)
		}{"AnyRetryAfterLostAcknowledgement", anyRetryAfterLostAcknowledgement})
	}
	if o.restart != nil {
		cases = append(cases, struct {
			name string
			run  func(t *testing.T, l eventlog.Log)
		}{"AnyRetryAfterRestart", func(t *testing.T, l eventlog.Log) { anyRetryAfterRestart(t, l, o.restart) }})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, open(t))
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// unique returns a fresh category (letters only) and id for one test.
func unique() (category, id string) {
	u := strings.ReplaceAll(uuid.NewString(), "-", "")
	var b strings.Builder
	b.WriteString("t")
	for _, r := range u[:10] {
		b.WriteRune('a' + (r % 26))
	}
	return b.String(), uuid.NewString()
}

func event(complaintID, typ string) eventlog.EventData {
	return eventlog.EventData{
		ID:            uuid.NewString(),
		Type:          typ,
		SchemaVersion: 1,
		Data:          []byte("payload " + uuid.NewString()),
		Metadata: eventlog.Metadata{
			ComplaintID: complaintID,
			CausationID: uuid.NewString(),
			Service:     "contract",
			Actor:       eventlog.NewActor(eventlog.ActorSystem, "contract-suite"),
			TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			TraceState:  "vendor=value",
			RecordedAt:  time.Now().UTC().Truncate(time.Microsecond),
		},
	}
}

func mustAppend(t *testing.T, l eventlog.Log, stream string, exp eventlog.ExpectedRevision, events ...eventlog.EventData) eventlog.AppendResult {
	t.Helper()
	res, err := l.Append(ctxFor(t), stream, exp, events...)
	if err != nil {
		t.Fatalf("append to %s (%s): %v", stream, exp, err)
	}
	return res
}

func mustRead(t *testing.T, l eventlog.Log, stream string, after eventlog.Revision) []eventlog.RecordedEvent {
	t.Helper()
	got, err := l.ReadStream(ctxFor(t), stream, after)
	if err != nil {
		t.Fatalf("read %s after %d: %v", stream, after, err)
	}
	return got
}

func ids(events []eventlog.RecordedEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func dataIDs(events []eventlog.EventData) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: got ids %v, want %v", what, got, want)
	}
}

func wantWrongVersion(t *testing.T, err error, what string) *eventlog.WrongExpectedVersionError {
	t.Helper()
	var w *eventlog.WrongExpectedVersionError
	if !errors.As(err, &w) {
		t.Fatalf("%s: got %v, want a WrongExpectedVersionError", what, err)
	}
	return w
}

func appendThenReadBack(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	sent := []eventlog.EventData{event(id, "contract.v1.First"), event(id, "contract.v1.Second")}
	res := mustAppend(t, l, stream, eventlog.NoStream(), sent...)

	got := mustRead(t, l, stream, eventlog.FromStart)
	if len(got) != 2 {
		t.Fatalf("read %d events, want 2", len(got))
	}
	for i, e := range got {
		w := sent[i]
		if e.ID != w.ID || e.Type != w.Type || e.SchemaVersion != w.SchemaVersion || string(e.Data) != string(w.Data) {
			t.Errorf("event %d read back as %+v, want %+v", i, e.EventData, w)
		}
		m, wm := e.Metadata, w.Metadata
		if m.ComplaintID != wm.ComplaintID || m.CausationID != wm.CausationID || m.Service != wm.Service ||
			m.TraceParent != wm.TraceParent || m.TraceState != wm.TraceState || !m.RecordedAt.Equal(wm.RecordedAt) {
			t.Errorf("event %d metadata read back as %+v, want %+v", i, m, wm)
		}
		if e.Stream != stream {
			t.Errorf("event %d stream %q, want %q", i, e.Stream, stream)
		}
	}
	if got[1].Revision <= got[0].Revision || got[1].Position <= got[0].Position {
		t.Errorf("revisions %d,%d and positions %d,%d must increase", got[0].Revision, got[1].Revision, got[0].Position, got[1].Position)
	}
	if got[1].Revision != res.NextRevision {
		t.Errorf("last revision %d, append said %d", got[1].Revision, res.NextRevision)
	}
	if got[1].Position != res.Position {
		t.Errorf("last position %d, append said %d", got[1].Position, res.Position)
	}
	if got[0].Position == eventlog.Beginning {
		t.Errorf("position 0 is reserved for 'before the first event'")
	}
}

func expectedRevisions(t *testing.T, l eventlog.Log) {
	ctx := ctxFor(t)
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)

	_, err := l.Append(ctx, stream, eventlog.StreamExists(), event(id, "contract.v1.E"))
	wantWrongVersion(t, err, "stream exists on a new stream")
	_, err = l.Append(ctx, stream, eventlog.Exact(7), event(id, "contract.v1.E"))
	wantWrongVersion(t, err, "exact revision on a new stream")

	r1 := mustAppend(t, l, stream, eventlog.NoStream(), event(id, "contract.v1.E"))
	_, err = l.Append(ctx, stream, eventlog.NoStream(), event(id, "contract.v1.E"))
	wantWrongVersion(t, err, "no stream on an existing stream")

	r2 := mustAppend(t, l, stream, eventlog.Exact(r1.NextRevision), event(id, "contract.v1.E"))
	if r2.NextRevision <= r1.NextRevision {
		t.Fatalf("revision went from %d to %d", r1.NextRevision, r2.NextRevision)
	}
	_, err = l.Append(ctx, stream, eventlog.Exact(r1.NextRevision), event(id, "contract.v1.E"))
	w := wantWrongVersion(t, err, "stale exact revision")
	if w.HasActual && w.Actual != r2.NextRevision {
		t.Errorf("conflict says the stream is at %d, it is at %d", w.Actual, r2.NextRevision)
	}
	if w.Stream != stream {
		t.Errorf("conflict names stream %q, want %q", w.Stream, stream)
	}

	r3 := mustAppend(t, l, stream, eventlog.StreamExists(), event(id, "contract.v1.E"))
	r4 := mustAppend(t, l, stream, eventlog.Any(), event(id, "contract.v1.E"))
	if r4.NextRevision <= r3.NextRevision || r3.NextRevision <= r2.NextRevision {
		t.Errorf("revisions %d, %d, %d must increase", r2.NextRevision, r3.NextRevision, r4.NextRevision)
	}
	if got := mustRead(t, l, stream, eventlog.FromStart); len(got) != 4 {
		t.Errorf("stream holds %d events, want 4", len(got))
	}
}

func concurrentWritersOneWins(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	base := mustAppend(t, l, stream, eventlog.NoStream(), event(id, "contract.v1.Opened"))

	const writers = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won       []string
		conflicts int
		others    []error
	)
	start := make(chan struct{})
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := event(id, "contract.v1.Assigned")
			<-start
			_, err := l.Append(ctxFor(t), stream, eventlog.Exact(base.NextRevision), e)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, e.ID)
			case eventlog.IsWrongExpectedVersion(err):
				conflicts++
			default:
				others = append(others, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(others) > 0 {
		t.Fatalf("unexpected errors: %v", others)
	}
	if len(won) != 1 || conflicts != writers-1 {
		t.Fatalf("%d writers won and %d got a conflict; want exactly 1 and %d", len(won), conflicts, writers-1)
	}
	got := mustRead(t, l, stream, base.NextRevision)
	sameIDs(t, "events after the base revision", ids(got), won)
}

// retryAfterLostAcknowledgement: what the port promises of a retry, with
// NoStream or an exact revision.
func retryAfterLostAcknowledgement(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)

	// An append is retried with the same events and expectation, as a client
	// does when the acknowledgement of the first try never reached it.
	first := []eventlog.EventData{event(id, "contract.v1.Received"), event(id, "contract.v1.Acknowledged")}
	r1 := mustAppend(t, l, stream, eventlog.NoStream(), first...)
	again := mustAppend(t, l, stream, eventlog.NoStream(), first...)
	if again != r1 {
		t.Errorf("retried no-stream append answered %+v, first answer %+v", again, r1)
	}

	second := []eventlog.EventData{event(id, "contract.v1.Assigned")}
	r2 := mustAppend(t, l, stream, eventlog.Exact(r1.NextRevision), second...)
	again = mustAppend(t, l, stream, eventlog.Exact(r1.NextRevision), second...)
	if again != r2 {
		t.Errorf("retried exact append answered %+v, first answer %+v", again, r2)
	}

	// A retry comes after further events were appended: still recognised.
	third := []eventlog.EventData{event(id, "contract.v1.Resolved"), event(id, "contract.v1.Closed")}
	r3 := mustAppend(t, l, stream, eventlog.Exact(r2.NextRevision), third...)
	mustAppend(t, l, stream, eventlog.Exact(r3.NextRevision), event(id, "contract.v1.Reopened"))
	again = mustAppend(t, l, stream, eventlog.Exact(r1.NextRevision), second...)
	if again.NextRevision != r2.NextRevision {
		t.Errorf("exact append retried after later events answered revision %d, first answer %d", again.NextRevision, r2.NextRevision)
	}

	all := mustRead(t, l, stream, eventlog.FromStart)
	if len(all) != 6 {
		t.Fatalf("stream holds %d events after retries, want 6", len(all))
	}
	sameIDs(t, "stream after retries", ids(all[:5]), dataIDs(append(append(append([]eventlog.EventData{}, first...), second...), third...)))

	// A different event with the stale expectation is still a conflict.
	_, err := l.Append(ctxFor(t), stream, eventlog.Exact(r1.NextRevision), event(id, "contract.v1.Assigned"))
	wantWrongVersion(t, err, "new event with a stale revision")
}

// exactCurrentRevisionDoesNotCheckIDs records what the port does NOT
// promise: appending at the stream's current revision an event whose id the
// stream already holds may write it again (EventStoreDB does) or not
// (JetStream, within its duplicate window). Either way the append succeeds
// and its answer agrees with the stream.
func exactCurrentRevisionDoesNotCheckIDs(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	e := event(id, "contract.v1.Opened")
	r1 := mustAppend(t, l, stream, eventlog.NoStream(), e)
	r2 := mustAppend(t, l, stream, eventlog.Exact(r1.NextRevision), e)
	got := mustRead(t, l, stream, eventlog.FromStart)
	switch {
	case len(got) == 1 && r2 == r1:
	case len(got) == 2 && got[1].ID == e.ID && r2.NextRevision == got[1].Revision && r2.Position == got[1].Position:
	default:
		t.Fatalf("stream holds %d events, second append answered %+v (first %+v): want one event and the first answer, or two and the second's", len(got), r2, r1)
	}
}

// anyRetryAfterLostAcknowledgement: a promise some adapters make beyond the
// port's (see RecognisesAnyRetries).
func anyRetryAfterLostAcknowledgement(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	first := []eventlog.EventData{event(id, "contract.v1.Resolved")}
	r1 := mustAppend(t, l, stream, eventlog.Any(), first...)
	again := mustAppend(t, l, stream, eventlog.Any(), first...)
	if again.NextRevision != r1.NextRevision || again.Position != r1.Position {
		t.Errorf("retried any append answered %+v, first answer %+v", again, r1)
	}
	second := []eventlog.EventData{event(id, "contract.v1.RedressDecided"), event(id, "contract.v1.RedressIssued")}
	r2 := mustAppend(t, l, stream, eventlog.Any(), second...)
	again = mustAppend(t, l, stream, eventlog.Any(), second...)
	if again.NextRevision != r2.NextRevision || again.Position != r2.Position {
		t.Errorf("retried any append of two events answered %+v, first answer %+v", again, r2)
	}
	sameIDs(t, "stream after retries", ids(mustRead(t, l, stream, eventlog.FromStart)), dataIDs(append(first, second...)))
}

// anyRetryAfterRestart: the Any retry comes after the server restarted
// (see RecognisesAnyRetriesAcrossRestart).
func anyRetryAfterRestart(t *testing.T, l eventlog.Log, restart func(t *testing.T, l eventlog.Log) eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	events := []eventlog.EventData{event(id, "contract.v1.Received"), event(id, "contract.v1.Acknowledged")}
	r1 := mustAppend(t, l, stream, eventlog.Any(), events...)
	l = restart(t, l)
	again := mustAppend(t, l, stream, eventlog.Any(), events...)
	if again.NextRevision != r1.NextRevision {
		t.Errorf("any append retried after a restart answered %+v, first answer %+v", again, r1)
	}
	sameIDs(t, "stream after the retry", ids(mustRead(t, l, stream, eventlog.FromStart)), dataIDs(events))
}

func refusedAppendWritesNothing(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	r := mustAppend(t, l, stream, eventlog.NoStream(), event(id, "contract.v1.Opened"))
	_, err := l.Append(ctxFor(t), stream, eventlog.Exact(r.NextRevision+100),
		event(id, "contract.v1.A"), event(id, "contract.v1.B"), event(id, "contract.v1.C"))
	wantWrongVersion(t, err, "three events with a wrong revision")
	if got := mustRead(t, l, stream, eventlog.FromStart); len(got) != 1 {
		t.Fatalf("a refused append left %d events in the stream, want 1", len(got))
	}
}

func readStreamNotFound(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	_, err := l.ReadStream(ctxFor(t), eventlog.StreamName(cat, id), eventlog.FromStart)
	if !errors.Is(err, eventlog.ErrStreamNotFound) {
		t.Fatalf("reading a stream that does not exist: got %v, want ErrStreamNotFound", err)
	}
	_, err = l.ReadStream(ctxFor(t), "no dash here", eventlog.FromStart)
	if err == nil {
		t.Fatalf("reading an invalid stream name succeeded")
	}
}

func readStreamAfterRevision(t *testing.T, l eventlog.Log) {
	cat, id := unique()
	stream := eventlog.StreamName(cat, id)
	events := []eventlog.EventData{event(id, "contract.v1.A"), event(id, "contract.v1.B"), event(id, "contract.v1.C")}
	res := mustAppend(t, l, stream, eventlog.NoStream(), events...)
	all := mustRead(t, l, stream, eventlog.FromStart)
	sameIDs(t, "after first", ids(mustRead(t, l, stream, all[0].Revision)), dataIDs(events[1:]))
	if got := mustRead(t, l, stream, res.NextRevision); len(got) != 0 {
		t.Fatalf("reading after the last revision returned %d events", len(got))
	}
}

func timelineInLogOrder(t *testing.T, l eventlog.Log) {
	ctx := ctxFor(t)
	_, complaint := unique()
	_, other := unique()
	var want []string
	// Several services' streams for one complaint, interleaved with another
	// complaint's events.
	steps := []struct {
		category, complaint string
	}{
		{"complaint", complaint}, {"complaint", other}, {"case", complaint}, {"case", other},
		{"complaint", complaint}, {"redress", complaint}, {"followup", other}, {"followup", complaint},
		{"complaint", complaint},
	}
	for _, s := range steps {
		e := event(s.complaint, "contract.v1."+s.category)
		mustAppend(t, l, eventlog.StreamName(s.category, s.complaint), eventlog.Any(), e)
		if s.complaint == complaint {
			want = append(want, e.ID)
		}
	}
	got, err := l.ReadTimeline(ctx, complaint)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "timeline", ids(got), want)
	for i := 1; i < len(got); i++ {
		if got[i].Position <= got[i-1].Position {
			t.Fatalf("timeline positions not increasing at %d: %d then %d", i, got[i-1].Position, got[i].Position)
		}
	}
	none, err := l.ReadTimeline(ctx, uuid.NewString())
	if err != nil || len(none) != 0 {
		t.Fatalf("timeline of an unknown complaint: %d events, %v; want none, no error", len(none), err)
	}
}

func manyConcurrentAppends(t *testing.T, l eventlog.Log) {
	cat, _ := unique()
	const n = 200
	results := make([]eventlog.AppendResult, n)
	streams := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.NewString()
			streams[i] = eventlog.StreamName(cat, id)
			results[i], errs[i] = l.Append(ctxFor(t), streams[i], eventlog.NoStream(), event(id, "contract.v1.E"), event(id, "contract.v1.F"))
		}()
	}
	wg.Wait()
	positions := map[eventlog.Position]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		if positions[results[i].Position] {
			t.Fatalf("two appends answered position %d", results[i].Position)
		}
		positions[results[i].Position] = true
		got := mustRead(t, l, streams[i], eventlog.FromStart)
		if len(got) != 2 || got[1].Position != results[i].Position || got[1].Revision != results[i].NextRevision {
			t.Fatalf("stream %s: read %d events ending at %+v, append said %+v", streams[i], len(got), got[len(got)-1].Position, results[i])
		}
	}
}

// collector gathers what a subscription delivers.
type collector struct {
	mu     sync.Mutex
	events []eventlog.RecordedEvent
	notify chan struct{}
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1)} }

func (c *collector) handle(_ context.Context, e eventlog.RecordedEvent) error {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) waitFor(t *testing.T, n int) []eventlog.RecordedEvent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		got := append([]eventlog.RecordedEvent(nil), c.events...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-c.notify:
		case <-deadline:
			t.Fatalf("subscription delivered %d events, want %d", len(got), n)
		}
	}
}

func appendEach(t *testing.T, l eventlog.Log, category string, n int, typ string) []string {
	var out []string
	for range n {
		id := uuid.NewString()
		e := event(id, typ)
		mustAppend(t, l, eventlog.StreamName(category, id), eventlog.Any(), e)
		out = append(out, e.ID)
	}
	return out
}

// here is a position at the current end of the log (the position of an
// event of a category of its own), so that a subscription of a test starts
// after what other tests wrote, and a reused server is not read from its
// beginning.
func here(t *testing.T, l eventlog.Log) eventlog.Position {
	t.Helper()
	cat, id := unique()
	return mustAppend(t, l, eventlog.StreamName(cat, id), eventlog.NoStream(), event(id, "contract.v1.Here")).Position
}

func subscriptionStopAndResume(t *testing.T, l eventlog.Log) {
	ctx := ctxFor(t)
	cat, _ := unique()
	filter := eventlog.Filter{Categories: []string{cat}}
	start := here(t, l)
	before := appendEach(t, l, cat, 5, "contract.v1.Before")

	c1 := newCollector()
	sub, err := l.Subscribe(ctx, start, filter, c1.handle)
	if err != nil {
		t.Fatal(err)
	}
	live := appendEach(t, l, cat, 3, "contract.v1.Live")
	got := c1.waitFor(t, 8)
	sub.Stop()
	if err := sub.Err(); err != nil {
		t.Fatalf("stopped subscription reports %v", err)
	}
	sameIDs(t, "first subscription", ids(got), append(append([]string{}, before...), live...))
	checkpoint := got[len(got)-1].Position

	after := appendEach(t, l, cat, 4, "contract.v1.WhileStopped")
	c2 := newCollector()
	sub2, err := l.Subscribe(ctx, checkpoint, filter, c2.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Stop()
	c2.waitFor(t, 4) // the events written while it was stopped, caught up
	more := appendEach(t, l, cat, 1, "contract.v1.AfterResume")
	got2 := c2.waitFor(t, 5)
	sameIDs(t, "resumed subscription", ids(got2), append(after, more...))
	for i := 1; i < len(got2); i++ {
		if got2[i].Position <= got2[i-1].Position {
			t.Fatalf("positions not increasing: %d then %d", got2[i-1].Position, got2[i].Position)
		}
	}
	if got2[0].Position <= checkpoint {
		t.Fatalf("resumed at position %d, not after checkpoint %d", got2[0].Position, checkpoint)
	}
}

func subscriptionFilters(t *testing.T, l eventlog.Log) {
	ctx := ctxFor(t)
	catA, _ := unique()
	catB, _ := unique()
	start := here(t, l)
	wantA := appendEach(t, l, catA, 2, "contract.v1.Wanted")
	appendEach(t, l, catB, 2, "contract.v1.Wanted")
	appendEach(t, l, catA, 2, "contract.v1.Unwanted")
	wantA = append(wantA, appendEach(t, l, catA, 1, "contract.v1.Wanted")...)
	marker := appendEach(t, l, catA, 1, "contract.v1.Marker")

	c := newCollector()
	sub, err := l.Subscribe(ctx, start, eventlog.Filter{Categories: []string{catA}, EventTypes: []string{"contract.v1.Wanted", "contract.v1.Marker"}}, c.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	got := c.waitFor(t, 4)
	sameIDs(t, "filtered subscription", ids(got), append(wantA, marker...))
}

func subscriptionHandlerError(t *testing.T, l eventlog.Log) {
	ctx := ctxFor(t)
	cat, _ := unique()
	start := here(t, l)
	appendEach(t, l, cat, 3, "contract.v1.E")
	boom := errors.New("handler refused the event")
	calls := 0
	sub, err := l.Subscribe(ctx, start, eventlog.Filter{Categories: []string{cat}}, func(context.Context, eventlog.RecordedEvent) error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("subscription did not stop after its handler failed")
	}
	if !errors.Is(sub.Err(), boom) {
		t.Fatalf("subscription ended with %v, want the handler's error", sub.Err())
	}
	if calls != 2 {
		t.Fatalf("handler called %d times after failing, want it to stop at 2", calls)
	}
	sub.Stop() // stopping an ended subscription is harmless
}
