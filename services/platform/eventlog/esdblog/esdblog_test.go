package esdblog

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/eventlogtest"
)

// openServer connects to the EventStoreDB named by EVENTSTORE_URL, or skips.
func openServer(t *testing.T, o Options) *Log {
	t.Helper()
	url := os.Getenv("EVENTSTORE_URL")
	if url == "" {
		t.Skip("EVENTSTORE_URL not set: the EventStoreDB contract suite needs a running server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := New(ctx, url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestContract(t *testing.T) {
	l := openServer(t, Options{})
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return l })
}

// TestTimelineScanAll finds a complaint's events in streams of a category
// the adapter was not told about.
func TestTimelineScanAll(t *testing.T) {
	l := openServer(t, Options{TimelineScanAll: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := uuid.NewString()
	var want []string
	for _, cat := range []string{"complaint", "unlisted", "case", "unlisted"} {
		e := eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1, Metadata: eventlog.Metadata{ComplaintID: id}}
		if _, err := l.Append(ctx, eventlog.StreamName(cat, id), eventlog.Any(), e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e.ID)
	}
	got, err := l.ReadTimeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	if strings.Join(gotIDs, ",") != strings.Join(want, ",") {
		t.Fatalf("timeline %v, want %v", gotIDs, want)
	}
}

// TestNewFailsFastWithoutServer: nothing listens on the port, New must say
// so within its connect timeout instead of hanging.
func TestNewFailsFastWithoutServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	start := time.Now()
	_, err = New(context.Background(), "esdb://admin:secret@"+addr+"?tlsVerifyCert=false", Options{ConnectTimeout: 2 * time.Second})
	if err == nil {
		t.Fatal("New succeeded without a server")
	}
	t.Log(err)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("New took %v to fail", d)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the server", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}

	if _, err := New(context.Background(), "not a connection string", Options{}); err == nil {
		t.Fatal("New accepted an invalid connection string")
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	md := eventlog.Metadata{
		ComplaintID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		CausationID: "cmd-42",
		Service:     "intake",
		Actor:       eventlog.NewActor(eventlog.ActorAgent, "agent-7"),
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		TraceState:  "vendor=value",
		RecordedAt:  time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600)),
	}
	b, err := encodeMetadata(3, md)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		keyCorrelationID: md.ComplaintID,
		keyCausationID:   md.CausationID,
		keyService:       "intake",
		keyActor:         "agent:agent-7",
		keySchemaVersion: float64(3),
		keyTraceParent:   md.TraceParent,
		keyTraceState:    md.TraceState,
		keyRecordedAt:    "2026-03-04T04:06:07.123456789Z",
	}
	for k, v := range want {
		if raw[k] != v {
			t.Errorf("metadata %s = %v, want %v", k, raw[k], v)
		}
	}
	if len(raw) != len(want) {
		t.Errorf("metadata has keys %v, want exactly %v", raw, want)
	}

	sv, got, err := decodeMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if sv != 3 {
		t.Errorf("schema version %d, want 3", sv)
	}
	if !got.RecordedAt.Equal(md.RecordedAt) {
		t.Errorf("recorded at %v, want %v", got.RecordedAt, md.RecordedAt)
	}
	got.RecordedAt, md.RecordedAt = time.Time{}, time.Time{}
	if got != md {
		t.Errorf("metadata read back as %+v, want %+v", got, md)
	}
}

func TestMetadataEmptyAndInvalid(t *testing.T) {
	b, err := encodeMetadata(1, eventlog.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"schemaVersion":1}` {
		t.Errorf("empty metadata encoded as %s", b)
	}
	sv, md, err := decodeMetadata(nil)
	if err != nil || sv != 0 || md != (eventlog.Metadata{}) {
		t.Errorf("no metadata decoded as %d %+v %v", sv, md, err)
	}
	if _, _, err := decodeMetadata([]byte("not json")); err == nil {
		t.Error("invalid metadata decoded without error")
	}
	if _, _, err := decodeMetadata([]byte(`{"recordedAt":"yesterday"}`)); err == nil {
		t.Error("invalid recordedAt decoded without error")
	}
}

func TestToEventData(t *testing.T) {
	id := uuid.New()
	e := eventlog.EventData{ID: id.String(), Type: "complaints.v1.CaseOpened", SchemaVersion: 1, Data: []byte{1, 2, 3}}
	d, err := toEventData(e)
	if err != nil {
		t.Fatal(err)
	}
	if d.EventID != id || d.EventType != e.Type || d.ContentType != esdb.ContentTypeBinary || string(d.Data) != string(e.Data) {
		t.Errorf("event data %+v", d)
	}
	for _, bad := range []eventlog.EventData{
		{ID: "not-a-uuid", Type: "x.v1.E"},
		{ID: uuid.NewString()},
		{ID: uuid.NewString(), Type: "$metadata"},
	} {
		if _, err := toEventData(bad); err == nil {
			t.Errorf("event %+v accepted", bad)
		}
	}
}

func TestFromRecorded(t *testing.T) {
	id := uuid.New()
	md, _ := encodeMetadata(2, eventlog.Metadata{ComplaintID: "c1", Service: "resolution"})
	r := &esdb.RecordedEvent{
		EventID:      id,
		EventType:    "complaints.v1.CaseOpened",
		StreamID:     "case-c1",
		EventNumber:  4,
		Position:     esdb.Position{Commit: 1000, Prepare: 1000},
		Data:         []byte("payload"),
		UserMetadata: md,
	}
	e, err := fromRecorded(r)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != id.String() || e.Type != r.EventType || e.Stream != "case-c1" || e.Revision != 5 || e.Position != 1001 ||
		e.SchemaVersion != 2 || e.Metadata.ComplaintID != "c1" || e.Metadata.Service != "resolution" || string(e.Data) != "payload" {
		t.Errorf("recorded event read as %+v", e)
	}
}

func TestRevisionMapping(t *testing.T) {
	if toRevision(0) != 1 || toRevision(41) != 42 {
		t.Error("revision must be the EventStoreDB revision plus one")
	}
	if _, ok := readFrom(eventlog.FromStart).(esdb.Start); !ok {
		t.Errorf("reading from the start maps to %#v", readFrom(eventlog.FromStart))
	}
	// Events after Revision 3 (EventStoreDB revision 2) start at revision 3.
	if got := readFrom(3); got != esdb.Revision(3) {
		t.Errorf("reading after 3 maps to %#v", got)
	}
}

func TestExpectationMapping(t *testing.T) {
	cases := []struct {
		in   eventlog.ExpectedRevision
		want esdb.ExpectedRevision
	}{
		{eventlog.Any(), esdb.Any{}},
		{eventlog.NoStream(), esdb.NoStream{}},
		{eventlog.StreamExists(), esdb.StreamExists{}},
		{eventlog.Exact(0), esdb.NoStream{}},
		{eventlog.Exact(1), esdb.Revision(0)},
		{eventlog.Exact(42), esdb.Revision(41)},
	}
	for _, c := range cases {
		if got := toExpected(c.in); got != c.want {
			t.Errorf("%s maps to %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestPositionMapping(t *testing.T) {
	if p, ok := positionOf(esdb.Position{Commit: 0, Prepare: 0}); !ok || p != 1 {
		t.Errorf("commit 0 maps to %d %v, want 1", p, ok)
	}
	if p, ok := positionOf(esdb.Position{Commit: 500, Prepare: 500}); !ok || p != 501 {
		t.Errorf("commit 500 maps to %d %v", p, ok)
	}
	if p, ok := positionOf(esdb.Position{Commit: noPosition, Prepare: 700}); !ok || p != 701 {
		t.Errorf("prepare only maps to %d %v", p, ok)
	}
	// Two events of one append sharing the write's commit position keep
	// distinct, increasing positions.
	first, _ := positionOf(esdb.Position{Commit: 900, Prepare: 820})
	second, _ := positionOf(esdb.Position{Commit: 900, Prepare: 860})
	if first != 821 || second != 861 {
		t.Errorf("events of one write map to %d and %d, want 821 and 861", first, second)
	}
	if p, ok := positionOf(esdb.Position{Commit: 400, Prepare: noPosition}); !ok || p != 401 {
		t.Errorf("commit only maps to %d %v", p, ok)
	}
	if _, ok := positionOf(esdb.Position{Commit: noPosition, Prepare: noPosition}); ok {
		t.Error("an unknown position mapped to a known one")
	}
	if _, ok := subscribeFrom(eventlog.Beginning).(esdb.Start); !ok {
		t.Errorf("subscribing from the beginning maps to %#v", subscribeFrom(eventlog.Beginning))
	}
	if got := subscribeFrom(501); got != (esdb.Position{Commit: 500, Prepare: 500}) {
		t.Errorf("subscribing after 501 maps to %#v", got)
	}
}

func TestActualFromWrongExpected(t *testing.T) {
	cases := []struct {
		msg  string
		want eventlog.Revision
		ok   bool
	}{
		{"[ErrorCodeWrongExpectedVersion] ...: wrong expected version: expecting '3' but got '5'", 6, true},
		{"wrong expected version: expecting 'any' but got '0'", 1, true},
		{"wrong expected version: expecting 'stream_exists' but got 'no_stream'", 0, false},
		{"something else", 0, false},
	}
	for _, c := range cases {
		got, ok := actualFromWrongExpected(c.msg)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: got %d %v, want %d %v", c.msg, got, ok, c.want, c.ok)
		}
	}
	// The error the client returns is recognised by its code.
	if isCode(errors.New("plain"), esdb.ErrorCodeWrongExpectedVersion) {
		t.Error("a plain error taken for a wrong expected version")
	}
}

func TestSubscriptionFilter(t *testing.T) {
	f := subscriptionFilter(eventlog.Filter{})
	if f.Type != esdb.EventFilterType || f.Regex == "" {
		t.Errorf("empty filter maps to %+v, want system events excluded", f)
	}
	f = subscriptionFilter(eventlog.Filter{Categories: []string{"case", "redress"}, EventTypes: []string{"x"}})
	if f.Type != esdb.StreamFilterType || strings.Join(f.Prefixes, ",") != "case-,redress-" {
		t.Errorf("category filter maps to %+v", f)
	}
	for _, c := range []struct {
		stream, typ string
		want        bool
	}{
		{"case-1", "complaints.v1.CaseOpened", true},
		{"case-1", "$metadata", false},
		{"$ce-case", "complaints.v1.CaseOpened", false},
		{"$$case-1", "$metadata", false},
		{"nodash", "x", false},
		{"case-has.dot", "x", false},
	} {
		if got := isLogEvent(c.stream, c.typ); got != c.want {
			t.Errorf("isLogEvent(%q, %q) = %v", c.stream, c.typ, got)
		}
	}
}

func TestSortTimeline(t *testing.T) {
	at := func(stream string, rev eventlog.Revision, pos eventlog.Position, sec int, known bool) timelineEvent {
		return timelineEvent{
			ev:       eventlog.RecordedEvent{EventData: eventlog.EventData{ID: stream + string(rune('0'+rev))}, Stream: stream, Revision: rev, Position: pos},
			created:  time.Unix(int64(sec), 0),
			knownPos: known,
		}
	}
	evs := []timelineEvent{at("complaint-1", 1, 10, 3, true), at("complaint-1", 2, 30, 1, true), at("case-1", 1, 20, 2, true)}
	sortTimeline(evs)
	if evs[0].ev.Position != 10 || evs[1].ev.Position != 20 || evs[2].ev.Position != 30 {
		t.Errorf("by position: %+v", evs)
	}
	// Without positions, server time orders streams; a stream keeps its order.
	evs = []timelineEvent{at("complaint-1", 1, 0, 1, false), at("complaint-1", 2, 0, 5, false), at("case-1", 1, 0, 3, false)}
	sortTimeline(evs)
	if evs[0].ev.Stream != "complaint-1" || evs[1].ev.Stream != "case-1" || evs[2].ev.Revision != 2 {
		t.Errorf("by time: %+v", evs)
	}
}
