package esdblog

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

func TestANewStreamsACLKeepsItToItsWriter(t *testing.T) {
	var doc map[string]map[string][]string
	if err := json.Unmarshal(streamACL("complaints-resolution"), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"$w": {"complaints-resolution"}, "$d": {"complaints-resolution"}, "$mw": {"complaints-resolution"}}
	if len(doc) != 1 || len(doc["$acl"]) != len(want) {
		t.Fatalf("ACL %v, want exactly {$acl: %v}", doc, want)
	}
	for k, v := range want {
		if strings.Join(doc["$acl"][k], ",") != strings.Join(v, ",") {
			t.Errorf("%s = %v, want %v", k, doc["$acl"][k], v)
		}
	}
	// Read and metadata read are left to the default ACL, which lets the
	// other services and the relay read.
	g := parseGuard(metadataEvent(0, 100, streamACL("complaints-resolution")))
	if !g.guardedBy("complaints-resolution") || g.guardedBy("complaints-intake") || g.keptTo("complaints-intake") {
		t.Errorf("the ACL read back as %+v", g.acl)
	}
}

// metadataEvent is a $metadata event of revision rev at log position pos.
func metadataEvent(rev, pos uint64, data []byte) *esdb.RecordedEvent {
	return &esdb.RecordedEvent{
		EventID: uuid.New(), EventType: metadataEventType, StreamID: "$$case-1", EventNumber: rev,
		Position: esdb.Position{Commit: pos, Prepare: pos}, Data: data,
	}
}

func TestVouchOnlyForAStreamWhoseOneACLKeptItToItsWriterBeforeTheEvent(t *testing.T) {
	const owner = "complaints-resolution"
	acl := func(doc string) []byte { return []byte(doc) }
	at := func(rev, pos uint64, data []byte) streamGuard { return parseGuard(metadataEvent(rev, pos, data)) }
	ownACL := streamACL(owner)
	// The metadata event at position 100 is Position 101; the event is after it.
	const event = eventlog.Position(500)
	cases := []struct {
		name  string
		owner string
		guard streamGuard
		pos   eventlog.Position
		says  string // "" when vouched for
	}{
		{"the writer's ACL, written once, before the event", owner, at(0, 100, ownACL), event, ""},
		{"one role given as a string", owner, at(0, 100, acl(`{"$acl":{"$w":"complaints-resolution","$d":"complaints-resolution","$mw":"complaints-resolution","$r":"$all"}}`)), event, ""},
		{"administrators beside the writer", owner, at(0, 100, acl(`{"$acl":{"$w":["complaints-resolution","$admins"],"$d":["$admins"],"$mw":[]}}`)), event, ""},
		{"no writer configured for the category", "", at(0, 100, ownACL), event, "no writer is configured"},
		{"no metadata", owner, streamGuard{}, event, "no metadata"},
		{"metadata without an ACL", owner, at(0, 100, acl(`{"$maxAge":3600}`)), event, "has no ACL"},
		{"metadata that is not JSON", owner, at(0, 100, acl(`not json`)), event, "has no ACL"},
		{"another service's user writes", owner, at(0, 100, streamACL("complaints-intake")), event, "does not keep"},
		{"another user writes beside the writer", owner, at(0, 100, acl(`{"$acl":{"$w":["complaints-resolution","complaints-intake"],"$d":"complaints-resolution","$mw":"complaints-resolution"}}`)), event, "does not keep"},
		{"everyone writes", owner, at(0, 100, acl(`{"$acl":{"$w":"$all","$d":"complaints-resolution","$mw":"complaints-resolution"}}`)), event, "does not keep"},
		{"deleting left to the default ACL", owner, at(0, 100, acl(`{"$acl":{"$w":"complaints-resolution","$mw":"complaints-resolution"}}`)), event, "does not keep"},
		{"metadata write left to the default ACL", owner, at(0, 100, acl(`{"$acl":{"$w":"complaints-resolution","$d":"complaints-resolution","$mw":null}}`)), event, "does not keep"},
		{"another user may change the ACL", owner, at(0, 100, acl(`{"$acl":{"$w":"complaints-resolution","$d":"complaints-resolution","$mw":["complaints-resolution","complaints-intake"]}}`)), event, "does not keep"},
		{"the ACL was changed since", owner, at(1, 100, ownACL), event, "was changed (1 times)"},
		{"the ACL was written after the event", owner, at(0, 600, ownACL), event, "written after the event"},
		{"the ACL is the event's own position", owner, at(0, 499, ownACL), event, "written after the event"},
		{"the server did not say where the ACL is", owner, at(0, noPosition, ownACL), event, "did not say where"},
		{"the event's position is unknown", owner, at(0, 100, ownACL), 0, "position is unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := vouch(c.owner, c.guard, c.pos)
			if c.says == "" && got != "" {
				t.Fatalf("refused: %s", got)
			}
			if c.says != "" && !strings.Contains(got, c.says) {
				t.Fatalf("vouch said %q, want a refusal saying %q", got, c.says)
			}
		})
	}
}

// aclServer is a fake server's streams and their metadata, at the adapter's
// seam: appends to $$<stream> go to meta, the others to streams.
type aclServer struct {
	mu       sync.Mutex
	meta     map[string][]*esdb.RecordedEvent
	streams  map[string]int
	calls    []string // "append <stream>", "read <stream>", in order
	denyMeta bool     // refuse metadata writes
	// deny refuses appends to a stream without an ACL of its own, as a
	// locked default ACL does.
	deny bool
	pos  uint64
}

func newACLServer() *aclServer {
	return &aclServer{meta: map[string][]*esdb.RecordedEvent{}, streams: map[string]int{}, pos: 1000}
}

func (s *aclServer) client() *fakeClient {
	return &fakeClient{
		appendFn: func(stream string, opts esdb.AppendToStreamOptions, events []esdb.EventData) (*esdb.WriteResult, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.calls = append(s.calls, "append "+stream)
			s.pos += 100
			if orig, ok := strings.CutPrefix(stream, "$$"); ok {
				if s.denyMeta {
					return nil, status.Error(codes.PermissionDenied, "Access denied")
				}
				if len(s.meta[orig]) > 0 {
					// The real client's wrong expected version is an
					// *esdb.Error this side cannot build: an error whose
					// fate is unknown makes the adapter look the same way.
					return nil, status.Error(codes.Unavailable, "wrong expected version")
				}
				s.meta[orig] = append(s.meta[orig], metadataEvent(0, s.pos, events[0].Data))
				return &esdb.WriteResult{CommitPosition: s.pos, PreparePosition: s.pos, NextExpectedVersion: 0}, nil
			}
			if s.deny && len(s.meta[stream]) == 0 {
				return nil, status.Error(codes.PermissionDenied, "Access denied")
			}
			s.streams[stream] += len(events)
			return &esdb.WriteResult{CommitPosition: s.pos, PreparePosition: s.pos, NextExpectedVersion: uint64(s.streams[stream] - 1)}, nil
		},
		readStream: func(stream string, opts esdb.ReadStreamOptions) (reader, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.calls = append(s.calls, "read "+stream)
			orig, ok := strings.CutPrefix(stream, "$$")
			if !ok {
				return &fakeReader{err: status.Error(codes.NotFound, "not found")}, nil
			}
			if opts.Direction != esdb.Backwards || opts.From != (esdb.End{}) {
				return &fakeReader{err: errors.New("the metadata must be read from its last event")}, nil
			}
			m := s.meta[orig]
			if len(m) == 0 {
				return &fakeReader{err: status.Error(codes.NotFound, "not found")}, nil
			}
			return &fakeReader{events: []*esdb.ResolvedEvent{{Event: m[len(m)-1]}}}, nil
		},
	}
}

func (s *aclServer) callLog() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := strings.Join(s.calls, "; ")
	s.calls = nil
	return out
}

var writersForTest = map[string]string{"case": "complaints-resolution", "complaint": "complaints-intake"}

func TestANewStreamGetsItsWritersACLBeforeItsFirstEvent(t *testing.T) {
	for _, expected := range []eventlog.ExpectedRevision{eventlog.NoStream(), eventlog.Exact(0)} {
		t.Run(expected.String(), func(t *testing.T) {
			srv := newACLServer()
			l := open(srv.client(), Options{Writers: writersForTest, Logger: slog.New(&records{})})
			if _, err := l.Append(context.Background(), "case-1", expected, testEvent(1)); err != nil {
				t.Fatal(err)
			}
			if got := srv.callLog(); got != "append $$case-1; append case-1" {
				t.Fatalf("calls: %s, want the ACL first", got)
			}
			if g := parseGuard(srv.meta["case-1"][0]); !g.guardedBy("complaints-resolution") {
				t.Errorf("the stream's metadata is %s", srv.meta["case-1"][0].Data)
			}
		})
	}
	t.Run("an existing stream", func(t *testing.T) {
		srv := newACLServer()
		l := open(srv.client(), Options{Writers: writersForTest})
		if _, err := l.Append(context.Background(), "case-1", eventlog.Exact(3), testEvent(1)); err != nil {
			t.Fatal(err)
		}
		if got := srv.callLog(); got != "append case-1" {
			t.Fatalf("calls: %s, want the events only", got)
		}
	})
	t.Run("without writers", func(t *testing.T) {
		srv := newACLServer()
		l := open(srv.client(), Options{})
		if _, err := l.Append(context.Background(), "case-1", eventlog.NoStream(), testEvent(1)); err != nil {
			t.Fatal(err)
		}
		if got := srv.callLog(); got != "append case-1" {
			t.Fatalf("calls: %s, want no metadata", got)
		}
	})
	t.Run("a category without a writer", func(t *testing.T) {
		srv := newACLServer()
		l := open(srv.client(), Options{Writers: writersForTest})
		if _, err := l.Append(context.Background(), "unlisted-1", eventlog.NoStream(), testEvent(1)); err != nil {
			t.Fatal(err)
		}
		if got := srv.callLog(); got != "append unlisted-1" {
			t.Fatalf("calls: %s, want no metadata", got)
		}
	})
}

func TestAStreamWhoseMetadataAnotherUserSetFirstIsNotWritten(t *testing.T) {
	srv := newACLServer()
	srv.meta["case-1"] = []*esdb.RecordedEvent{metadataEvent(0, 50, streamACL("complaints-intake"))}
	logs := &records{}
	l := open(srv.client(), Options{Writers: writersForTest, Logger: slog.New(logs)})
	_, err := l.Append(context.Background(), "case-1", eventlog.NoStream(), testEvent(1))
	var foreign *ForeignACLError
	if !errors.As(err, &foreign) || foreign.Stream != "case-1" || foreign.Owner != "complaints-resolution" {
		t.Fatalf("append answered %v, want a ForeignACLError", err)
	}
	if srv.streams["case-1"] != 0 {
		t.Error("the events were written")
	}
	if len(logs.above(slog.LevelError)) != 1 {
		t.Errorf("logged %v, want one error", logs.above(slog.LevelError))
	}

	// Its own ACL already there (a retried append, another instance of the
	// same service) is no obstacle.
	srv.meta["case-2"] = []*esdb.RecordedEvent{metadataEvent(0, 60, streamACL("complaints-resolution"))}
	if _, err := l.Append(context.Background(), "case-2", eventlog.NoStream(), testEvent(1)); err != nil {
		t.Fatalf("append over the stream's own ACL: %v", err)
	}
	if srv.streams["case-2"] != 1 {
		t.Error("the events were not written")
	}
	// Its own ACL, changed since, is not.
	srv.meta["case-3"] = []*esdb.RecordedEvent{metadataEvent(1, 60, streamACL("complaints-resolution"))}
	if _, err := l.Append(context.Background(), "case-3", eventlog.NoStream(), testEvent(1)); !errors.As(err, &foreign) {
		t.Fatalf("append over a changed ACL answered %v, want a ForeignACLError", err)
	}
}

func TestAnAppendWhoseACLCannotBeWrittenIsRefusedNamingTheRight(t *testing.T) {
	refusals := measure(t)
	srv := newACLServer()
	srv.denyMeta = true
	l := open(srv.client(), Options{Writers: writersForTest, Logger: slog.New(&records{})})
	_, err := l.Append(context.Background(), "case-1", eventlog.NoStream(), testEvent(1))
	if !errors.Is(err, eventlog.ErrAccessDenied) || !strings.Contains(err.Error(), "$mw") {
		t.Fatalf("append answered %v, want access denied saying to grant $mw", err)
	}
	if srv.streams["case-1"] != 0 {
		t.Error("the events were written without their ACL")
	}
	if refusals()["write the ACL of a new stream"] != 1 {
		t.Errorf("refusals %v", refusals())
	}
}

// With a locked default ACL, an append expecting Any to a stream that has
// no ACL yet is refused: the adapter sets the ACL and tries once more.
func TestAnAppendToAnyStreamRefusedForWantOfAnACLGetsIt(t *testing.T) {
	srv := newACLServer()
	srv.deny = true
	l := open(srv.client(), Options{Writers: writersForTest, Logger: slog.New(&records{})})
	if _, err := l.Append(context.Background(), "complaint-1", eventlog.Any(), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	if got := srv.callLog(); got != "append complaint-1; append $$complaint-1; append complaint-1" {
		t.Fatalf("calls: %s", got)
	}
	if g := parseGuard(srv.meta["complaint-1"][0]); !g.guardedBy("complaints-intake") {
		t.Errorf("the stream's metadata is %s", srv.meta["complaint-1"][0].Data)
	}
	// A refusal of a stream that has its ACL is a refusal.
	_, err := l.Append(context.Background(), "case-9", eventlog.Exact(2), testEvent(1))
	if !errors.Is(err, eventlog.ErrAccessDenied) {
		t.Fatalf("append answered %v, want access denied", err)
	}
	if got := srv.callLog(); got != "append case-9" {
		t.Fatalf("calls: %s, want no ACL written for an existing stream", got)
	}
}

func TestVouchReadsTheStreamsMetadataOnceForItsLaterEvents(t *testing.T) {
	srv := newACLServer()
	l := open(srv.client(), Options{Writers: writersForTest})
	ctx := context.Background()
	res, err := l.Append(ctx, "case-1", eventlog.NoStream(), testEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	srv.callLog()
	ev := func(stream string, pos eventlog.Position) eventlog.RecordedEvent {
		return eventlog.RecordedEvent{EventData: testEvent(1), Stream: stream, Revision: 1, Position: pos}
	}
	if why, err := l.Vouch(ctx, ev("case-1", res.Position)); err != nil || why != "" {
		t.Fatalf("vouch for the writer's event: %q, %v", why, err)
	}
	if why, err := l.Vouch(ctx, ev("case-1", res.Position+100)); err != nil || why != "" {
		t.Fatalf("vouch for a later event: %q, %v", why, err)
	}
	if got := srv.callLog(); got != "read $$case-1" {
		t.Errorf("calls: %s, want the metadata read once", got)
	}
	// An event before the ACL is not vouched for, cache or not.
	if why, err := l.Vouch(ctx, ev("case-1", 5)); err != nil || !strings.Contains(why, "after the event") {
		t.Errorf("vouch for an event before the ACL: %q, %v", why, err)
	}
	// A stream without metadata, of an unknown category.
	if why, _ := l.Vouch(ctx, ev("case-2", 7000)); !strings.Contains(why, "no metadata") {
		t.Errorf("vouch for a stream without an ACL: %q", why)
	}
	if why, _ := l.Vouch(ctx, ev("unlisted-1", 7000)); !strings.Contains(why, "no writer") {
		t.Errorf("vouch for a category without a writer: %q", why)
	}
	// Metadata the relay may not read: an error naming the right, not a verdict.
	denied := &fakeClient{readStream: func(string, esdb.ReadStreamOptions) (reader, error) {
		return nil, status.Error(codes.PermissionDenied, "Access denied")
	}}
	dl := open(denied, Options{Writers: writersForTest, Logger: slog.New(&records{})})
	if _, err := dl.Vouch(ctx, ev("case-1", 7000)); !errors.Is(err, eventlog.ErrAccessDenied) || !strings.Contains(err.Error(), "$mr") {
		t.Errorf("vouch without the right to read metadata: %v", err)
	}
}

func TestWritersOfEveryServicesUser(t *testing.T) {
	table := map[string]string{"complaint": "intake", "customer": "intake", "case": "resolution"}
	got, err := WritersOf(table, map[string]string{"intake": "complaints-intake", "resolution": "complaints-resolution"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"complaint": "complaints-intake", "customer": "complaints-intake", "case": "complaints-resolution"}
	if len(got) != len(want) {
		t.Fatalf("writers %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("writer of %s is %q, want %q", k, got[k], v)
		}
	}
	if w, err := WritersOf(table, nil); w != nil || err != nil {
		t.Errorf("no users gave %v, %v; want no writers", w, err)
	}
	for _, c := range []struct {
		users map[string]string
		says  string
	}{
		{map[string]string{"intake": "complaints-intake"}, "no EventStoreDB user for service resolution"},
		{map[string]string{"intake": "complaints-intake", "resolution": ""}, "no EventStoreDB user for service resolution"},
		{map[string]string{"intake": "complaints-intake", "resolution": "complaints-resolution", "resolutoin": "x"}, "resolutoin"},
	} {
		if _, err := WritersOf(table, c.users); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("users %v: %v, want an error saying %q", c.users, err, c.says)
		}
	}
}
