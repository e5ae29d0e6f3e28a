package esdblog

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// These tests need a server (EVENTSTORE_URL); they are skipped without one.

// TestTheServerKeepsANewStreamsACLAndVouchesForItsEvents: what the adapter
// writes is what the server keeps, and Vouch tells a guarded stream from the
// others. The server's enforcement is not tested here (an insecure server,
// or an administrator, passes every ACL): see
// TestAnotherUserCannotWriteAGuardedStream.
func TestTheServerKeepsANewStreamsACLAndVouchesForItsEvents(t *testing.T) {
	const owner = "complaints-acltest-writer"
	writers := map[string]string{"acltest": owner}
	l := openServer(t, Options{Writers: writers})
	plain := openServer(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	event := func() eventlog.EventData {
		return eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1}
	}
	appendOne := func(l *Log, stream string, expected eventlog.ExpectedRevision) eventlog.RecordedEvent {
		t.Helper()
		e := event()
		res, err := l.Append(ctx, stream, expected, e)
		if err != nil {
			t.Fatal(err)
		}
		return eventlog.RecordedEvent{EventData: e, Stream: stream, Revision: res.NextRevision, Position: res.Position}
	}

	guarded := "acltest-" + uuid.NewString()
	first := appendOne(l, guarded, eventlog.NoStream())
	g, err := l.guardOf(ctx, guarded)
	if err != nil {
		t.Fatal(err)
	}
	if !g.guardedBy(owner) || g.revision != 0 || !g.known || g.position >= first.Position {
		t.Fatalf("the server holds %+v (ACL %+v) for a new stream written at %d", g, g.acl, first.Position)
	}
	second := appendOne(l, guarded, eventlog.Exact(first.Revision))
	for _, e := range []eventlog.RecordedEvent{first, second} {
		if why, err := l.Vouch(ctx, e); err != nil || why != "" {
			t.Errorf("vouch for %s@%d: %q, %v", e.Stream, e.Revision, why, err)
		}
	}
	// The ACL of an existing stream is checked, not written again.
	if err := l.guard(ctx, guarded, owner); err != nil {
		t.Errorf("guard over the stream's own ACL: %v", err)
	}
	var foreign *ForeignACLError
	if err := l.guard(ctx, guarded, "complaints-someone-else"); !errors.As(err, &foreign) {
		t.Errorf("guard over another user's ACL: %v, want a ForeignACLError", err)
	}

	bare := "acltest-" + uuid.NewString()
	e := appendOne(plain, bare, eventlog.NoStream())
	if why, err := l.Vouch(ctx, e); err != nil || !strings.Contains(why, "no metadata") {
		t.Errorf("vouch for a stream without an ACL: %q, %v", why, err)
	}
	// An ACL set after the stream's first event does not vouch for it.
	if err := l.guard(ctx, bare, owner); err != nil {
		t.Fatal(err)
	}
	if why, err := l.Vouch(ctx, e); err != nil || !strings.Contains(why, "after the event") {
		t.Errorf("vouch for an event written before its stream's ACL: %q, %v", why, err)
	}
}

// TestAnotherUserCannotWriteAGuardedStream runs against a server set up as
// deploy/eventstoredb/README.md says, given two of its service users:
//
//	EVENTSTORE_ISOLATION_OWNER_URL    a connection string as one service's user
//	EVENTSTORE_ISOLATION_INTRUDER_URL a connection string as another's
//
// Neither may be an administrator. It is skipped unless both are set.
func TestAnotherUserCannotWriteAGuardedStream(t *testing.T) {
	ownerURL, intruderURL := os.Getenv("EVENTSTORE_ISOLATION_OWNER_URL"), os.Getenv("EVENTSTORE_ISOLATION_INTRUDER_URL")
	if ownerURL == "" || intruderURL == "" {
		t.Skip("EVENTSTORE_ISOLATION_OWNER_URL and EVENTSTORE_ISOLATION_INTRUDER_URL not set: enforcement needs two non-admin users")
	}
	user := func(url string) string {
		cfg, err := parseConnectionString(url)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Username == "" {
			t.Fatalf("connection string %s names no user", redact(url))
		}
		return cfg.Username
	}
	ownerUser, intruderUser := user(ownerURL), user(intruderURL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func(url, writer string) *Log {
		l, err := New(ctx, url, Options{Writers: map[string]string{"acltest": writer}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	owner := connect(ownerURL, ownerUser)
	// The intruder's adapter believes it writes the category.
	intruder := connect(intruderURL, intruderUser)
	ev := func() eventlog.EventData {
		return eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1}
	}

	stream := "acltest-" + uuid.NewString()
	res, err := owner.Append(ctx, stream, eventlog.NoStream(), ev())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := intruder.Append(ctx, stream, eventlog.Any(), ev()); !errors.Is(err, eventlog.ErrAccessDenied) && !errors.As(err, new(*ForeignACLError)) {
		t.Errorf("another user appended to a guarded stream: %v", err)
	}
	if _, err := intruder.Append(ctx, stream, eventlog.Exact(res.NextRevision), ev()); !errors.Is(err, eventlog.ErrAccessDenied) {
		t.Errorf("another user appended to a guarded stream at its revision: %v, want access denied", err)
	}
	if _, err := intruder.client.AppendToStream(ctx, "$$"+stream, esdbAny, aclEvent(intruderUser)); !isAccessDenied(err) {
		t.Errorf("another user rewrote a guarded stream's ACL: %v, want access denied", err)
	}
	// Nothing the intruder tried reached the stream.
	evs, err := owner.ReadStream(ctx, stream, eventlog.FromStart)
	if err != nil || len(evs) != 1 {
		t.Fatalf("the stream holds %d events (%v), want the owner's one", len(evs), err)
	}

	// A stream the intruder creates is its own, and is not vouched for as
	// the owner's.
	taken := "acltest-" + uuid.NewString()
	if _, err := intruder.Append(ctx, taken, eventlog.NoStream(), ev()); err != nil {
		t.Fatalf("a service creating a stream with its own ACL: %v", err)
	}
	if _, err := owner.Append(ctx, taken, eventlog.NoStream(), ev()); !errors.As(err, new(*ForeignACLError)) {
		t.Errorf("the owner appended to a stream another user took: %v, want a ForeignACLError", err)
	}
	evs, err = owner.ReadStream(ctx, taken, eventlog.FromStart)
	if err != nil || len(evs) != 1 {
		t.Fatalf("read %s: %d events, %v", taken, len(evs), err)
	}
	e := eventlog.RecordedEvent{EventData: evs[0].EventData, Stream: taken, Revision: 1, Position: evs[0].Position}
	if e.Position == 0 {
		t.Skip("the server gave no position in a stream read")
	}
	if why, err := owner.Vouch(ctx, e); err != nil || !strings.Contains(why, "does not keep") {
		t.Errorf("vouch for the intruder's event as the owner's: %q, %v", why, err)
	}
}

var esdbAny = esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}

// aclEvent is a metadata event giving a stream to user.
func aclEvent(user string) esdb.EventData {
	return esdb.EventData{EventID: uuid.New(), EventType: metadataEventType, ContentType: esdb.ContentTypeJson, Data: streamACL(user)}
}

func isAccessDenied(err error) bool { return isCode(err, esdb.ErrorCodeAccessDenied) }
