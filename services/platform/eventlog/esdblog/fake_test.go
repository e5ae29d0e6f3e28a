package esdblog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// fakeClient stands for the EventStoreDB client at the adapter's seam.
// Errors are what the real client returns: gRPC statuses, which it maps to
// its own codes (and leaves raw on a dropped subscription).
type fakeClient struct {
	appendFn   func(stream string, opts esdb.AppendToStreamOptions, events []esdb.EventData) (*esdb.WriteResult, error)
	readStream func(stream string, opts esdb.ReadStreamOptions) (reader, error)
	readAll    func(opts esdb.ReadAllOptions) (reader, error)
	subscribe  func(opts esdb.SubscribeToAllOptions) (feed, error)
	appends    atomic.Int64
	reads      atomic.Int64
	subscribes atomic.Int64
}

func (f *fakeClient) AppendToStream(_ context.Context, stream string, opts esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error) {
	f.appends.Add(1)
	return f.appendFn(stream, opts, events)
}

func (f *fakeClient) ReadStream(_ context.Context, stream string, opts esdb.ReadStreamOptions, _ uint64) (reader, error) {
	f.reads.Add(1)
	if f.readStream == nil {
		return &fakeReader{err: status.Error(codes.Unavailable, "no stream reads here")}, nil
	}
	return f.readStream(stream, opts)
}

func (f *fakeClient) ReadAll(_ context.Context, opts esdb.ReadAllOptions, _ uint64) (reader, error) {
	if f.readAll == nil {
		return &fakeReader{}, nil
	}
	return f.readAll(opts)
}

func (f *fakeClient) SubscribeToAll(ctx context.Context, opts esdb.SubscribeToAllOptions) (feed, error) {
	f.subscribes.Add(1)
	s, err := f.subscribe(opts)
	if ff, ok := s.(*fakeFeed); ok {
		// Like the real client's, the subscription ends with its context.
		go func() {
			select {
			case <-ctx.Done():
				_ = ff.Close()
			case <-ff.closed:
			}
		}()
	}
	return s, err
}

func (f *fakeClient) Close() error { return nil }

// fakeReader returns its events, then err (io.EOF when nil).
type fakeReader struct {
	events []*esdb.ResolvedEvent
	err    error
}

func (r *fakeReader) Recv() (*esdb.ResolvedEvent, error) {
	if len(r.events) > 0 {
		e := r.events[0]
		r.events = r.events[1:]
		return e, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	return nil, io.EOF
}

func (r *fakeReader) Close() {}

// fakeFeed delivers what is sent on events; after Close it reports the
// drop the real client reports.
type fakeFeed struct {
	events chan *esdb.SubscriptionEvent
	once   sync.Once
	closed chan struct{}
}

func newFeed() *fakeFeed {
	return &fakeFeed{events: make(chan *esdb.SubscriptionEvent, 16), closed: make(chan struct{})}
}

func (f *fakeFeed) Recv() *esdb.SubscriptionEvent {
	select {
	case e := <-f.events:
		return e
	case <-f.closed:
		return &esdb.SubscriptionEvent{SubscriptionDropped: &esdb.SubscriptionDropped{Error: status.Error(codes.Canceled, "context canceled")}}
	}
}

func (f *fakeFeed) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeFeed) drop(err error) {
	f.events <- &esdb.SubscriptionEvent{SubscriptionDropped: &esdb.SubscriptionDropped{Error: err}}
}

func (f *fakeFeed) deliver(stream string, number, position uint64) string {
	id := uuid.New()
	md, _ := encodeMetadata(1, eventlog.Metadata{ComplaintID: "c"})
	f.events <- &esdb.SubscriptionEvent{EventAppeared: &esdb.ResolvedEvent{Event: &esdb.RecordedEvent{
		EventID: id, EventType: "test.v1.E", StreamID: stream, EventNumber: number,
		Position: esdb.Position{Commit: position, Prepare: position}, UserMetadata: md,
	}}}
	return id.String()
}

// records keeps what is logged.
type records struct {
	mu  sync.Mutex
	all []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, rec)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// above returns the messages logged at level or higher.
func (r *records) above(level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.all {
		if rec.Level >= level {
			out = append(out, rec.Message)
		}
	}
	return out
}

func testEvent(data int) eventlog.EventData {
	return eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.E", SchemaVersion: 1, Data: make([]byte, data)}
}

// measure collects the refusals counted while the test runs, by right.
func measure(t *testing.T) func() map[string]int64 {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	return func() map[string]int64 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != "complaints.eventlog.refusals" {
					continue
				}
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					r, _ := dp.Attributes.Value(attribute.Key("right"))
					out[r.AsString()] += dp.Value
				}
			}
		}
		return out
	}
}

// A multi-event append answers the position the reply carries, and reads
// nothing back: a read that fails would turn a committed write into an
// error.
func TestAppendAnswersTheReplyPosition(t *testing.T) {
	fc := &fakeClient{appendFn: func(string, esdb.AppendToStreamOptions, []esdb.EventData) (*esdb.WriteResult, error) {
		return &esdb.WriteResult{CommitPosition: 9000, PreparePosition: 9000, NextExpectedVersion: 6}, nil
	}}
	l := open(fc, Options{})
	res, err := l.Append(context.Background(), "case-1", eventlog.Exact(4), testEvent(10), testEvent(10), testEvent(10))
	if err != nil {
		t.Fatalf("a committed append reported %v", err)
	}
	if res.NextRevision != 7 || res.Position != 9001 {
		t.Errorf("append answered %+v, want revision 7 at position 9001", res)
	}
	if n := fc.reads.Load(); n != 0 {
		t.Errorf("append read the stream %d times, want none", n)
	}
}

// A retry the server recognised may come back without a position; when the
// position cannot be read back either, the append still succeeds.
func TestARecognisedRetryWithoutPositionIsNoError(t *testing.T) {
	fc := &fakeClient{appendFn: func(string, esdb.AppendToStreamOptions, []esdb.EventData) (*esdb.WriteResult, error) {
		return &esdb.WriteResult{NextExpectedVersion: 2}, nil
	}}
	fc.readStream = func(string, esdb.ReadStreamOptions) (reader, error) {
		return nil, status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	l := open(fc, Options{Logger: slog.New(&records{})})
	res, err := l.Append(context.Background(), "case-1", eventlog.NoStream(), testEvent(1), testEvent(1), testEvent(1))
	if err != nil {
		t.Fatalf("a recognised retry reported %v", err)
	}
	if res.NextRevision != 3 || res.Position != 0 {
		t.Errorf("append answered %+v, want revision 3 and no position", res)
	}

	// When the read works, the position is the last event's.
	fc.readStream = func(string, esdb.ReadStreamOptions) (reader, error) {
		return &fakeReader{events: []*esdb.ResolvedEvent{{Event: &esdb.RecordedEvent{EventNumber: 2, Position: esdb.Position{Commit: 700, Prepare: 700}}}}}, nil
	}
	res, err = l.Append(context.Background(), "case-1", eventlog.NoStream(), testEvent(1), testEvent(1), testEvent(1))
	if err != nil || res.Position != 701 {
		t.Errorf("append answered %+v, %v; want position 701", res, err)
	}
}

func TestAnAppendTooLargeIsRefusedBeforeSending(t *testing.T) {
	fc := &fakeClient{appendFn: func(string, esdb.AppendToStreamOptions, []esdb.EventData) (*esdb.WriteResult, error) {
		return &esdb.WriteResult{CommitPosition: 1, PreparePosition: 1}, nil
	}}
	l := open(fc, Options{})
	_, err := l.Append(context.Background(), "case-1", eventlog.Any(), testEvent(600<<10), testEvent(600<<10))
	var tl *eventlog.TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("append of 1.2 MB answered %v, want a TooLargeError", err)
	}
	if tl.Stream != "case-1" || tl.Limit != DefaultMaxAppendSize || tl.Size < 1200<<10 {
		t.Errorf("error %+v", tl)
	}
	if fc.appends.Load() != 0 {
		t.Error("the append was sent")
	}
	if _, err := l.Append(context.Background(), "case-1", eventlog.Any(), testEvent(900<<10)); err != nil {
		t.Errorf("append of 900 KB: %v", err)
	}
}

func TestStartFailsWhenTheUserMayNotRead(t *testing.T) {
	denied := status.Error(codes.PermissionDenied, "Access denied")
	for _, c := range []struct {
		name, right string
		fc          *fakeClient
	}{
		{"$all", "read $all", &fakeClient{readAll: func(esdb.ReadAllOptions) (reader, error) { return &fakeReader{err: denied}, nil }}},
		{"$bc-", "read $bc- streams", &fakeClient{readStream: func(string, esdb.ReadStreamOptions) (reader, error) { return nil, denied }}},
	} {
		t.Run(c.name, func(t *testing.T) {
			refusals := measure(t)
			logs := &records{}
			l := open(c.fc, Options{Logger: slog.New(logs)})
			if c.name == "$all" {
				c.fc.readStream = func(string, esdb.ReadStreamOptions) (reader, error) {
					return &fakeReader{err: status.Error(codes.NotFound, "not found")}, nil
				}
			}
			err := l.probe(context.Background(), time.Second)
			if !errors.Is(err, eventlog.ErrAccessDenied) {
				t.Fatalf("start-up with a user who may not %s: %v, want access denied", c.right, err)
			}
			if !strings.Contains(err.Error(), c.right) || !strings.Contains(err.Error(), "$admins") {
				t.Errorf("error %q does not name the right and how to grant it", err)
			}
			if got := refusals()[c.right]; got != 1 {
				t.Errorf("refusals counted %d, want 1", got)
			}
			if len(logs.above(slog.LevelError)) != 1 {
				t.Errorf("logged %v, want one error", logs.above(slog.LevelError))
			}
		})
	}
	// Not found and an empty log are fine.
	ok := &fakeClient{readStream: func(string, esdb.ReadStreamOptions) (reader, error) {
		return &fakeReader{err: status.Error(codes.NotFound, "not found")}, nil
	}}
	if err := open(ok, Options{}).probe(context.Background(), time.Second); err != nil {
		t.Fatalf("probe of a server that answers: %v", err)
	}
}

// A timeline must not silently lose what $bc- links when it is refused.
func TestTimelineReportsARefusedCorrelationStream(t *testing.T) {
	refusals := measure(t)
	fc := &fakeClient{readStream: func(stream string, _ esdb.ReadStreamOptions) (reader, error) {
		if strings.HasPrefix(stream, "$bc-") {
			return &fakeReader{err: status.Error(codes.PermissionDenied, "Access denied")}, nil
		}
		return &fakeReader{err: status.Error(codes.NotFound, "not found")}, nil
	}}
	l := open(fc, Options{Logger: slog.New(&records{})})
	_, err := l.ReadTimeline(context.Background(), "c1")
	if !errors.Is(err, eventlog.ErrAccessDenied) || !strings.Contains(err.Error(), "$bc-") {
		t.Fatalf("timeline with $bc- refused: %v, want access denied naming $bc-", err)
	}
	if refusals()["read $bc- streams"] != 1 {
		t.Errorf("refusals %v", refusals())
	}
}

func TestADroppedSubscriptionIsSeenAsPermanentOrResumed(t *testing.T) {
	t.Run("access denied ends it", func(t *testing.T) {
		ff := newFeed()
		fc := &fakeClient{subscribe: func(esdb.SubscribeToAllOptions) (feed, error) { return ff, nil }}
		l := open(fc, Options{Logger: slog.New(&records{})})
		sub, err := l.Subscribe(context.Background(), eventlog.Beginning, eventlog.Filter{}, func(context.Context, eventlog.RecordedEvent) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		// The client hands over the raw gRPC status, not an *esdb.Error.
		ff.drop(status.Error(codes.PermissionDenied, "Access denied"))
		select {
		case <-sub.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a subscription refused access kept going")
		}
		if !errors.Is(sub.Err(), eventlog.ErrAccessDenied) {
			t.Errorf("subscription ended with %v, want access denied", sub.Err())
		}
		if n := fc.subscribes.Load(); n != 1 {
			t.Errorf("subscribed %d times, want once", n)
		}
	})
	t.Run("unavailable resumes after the last event", func(t *testing.T) {
		feeds := make(chan *fakeFeed, 2)
		first, second := newFeed(), newFeed()
		feeds <- first
		feeds <- second
		var froms []esdb.AllPosition
		var mu sync.Mutex
		fc := &fakeClient{subscribe: func(o esdb.SubscribeToAllOptions) (feed, error) {
			mu.Lock()
			froms = append(froms, o.From)
			mu.Unlock()
			return <-feeds, nil
		}}
		l := open(fc, Options{Logger: slog.New(&records{})})
		got := make(chan string, 4)
		sub, err := l.Subscribe(context.Background(), eventlog.Beginning, eventlog.Filter{}, func(_ context.Context, e eventlog.RecordedEvent) error {
			got <- e.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Stop()
		a := first.deliver("case-1", 0, 100)
		first.drop(status.Error(codes.Unavailable, "connection reset"))
		b := second.deliver("case-1", 1, 200)
		for _, want := range []string{a, b} {
			select {
			case id := <-got:
				if id != want {
					t.Fatalf("delivered %s, want %s", id, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("subscription did not resume")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(froms) != 2 || froms[1] != (esdb.Position{Commit: 100, Prepare: 100}) {
			t.Errorf("subscribed from %v, want the start and then after the last event", froms)
		}
	})
}

// Stopping a subscription is normal: nothing is logged above debug, by the
// adapter or by the client (which reports the cancelled call as an error).
func TestStopLogsNothingAlarming(t *testing.T) {
	logs := &records{}
	ff := newFeed()
	fc := &fakeClient{subscribe: func(esdb.SubscribeToAllOptions) (feed, error) { return ff, nil }}
	l := open(fc, Options{Logger: slog.New(logs)})
	sub, err := l.Subscribe(context.Background(), eventlog.Beginning, eventlog.Filter{}, func(context.Context, eventlog.RecordedEvent) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	sub.Stop()
	if sub.Err() != nil {
		t.Errorf("stopped subscription reports %v", sub.Err())
	}
	log := clientLogger(slog.New(logs))
	log(esdb.LogError, "subscription has dropped. Reason: %v", status.Error(codes.Canceled, "context canceled"))
	log(esdb.LogError, "unexpected exception: %v", context.Canceled)
	if got := logs.above(slog.LevelInfo); len(got) != 0 {
		t.Errorf("a normal stop logged %q", got)
	}
	log(esdb.LogError, "subscription has dropped. Reason: %v", status.Error(codes.Unavailable, "connection reset"))
	if got := logs.above(slog.LevelWarn); len(got) != 1 {
		t.Errorf("a real drop logged %q, want one warning", got)
	}
}

func TestOriginIsTheFirstComplaintEventOfAll(t *testing.T) {
	id := uuid.New()
	fc := &fakeClient{readAll: func(o esdb.ReadAllOptions) (reader, error) {
		if o.Direction != esdb.Forwards {
			t.Errorf("origin read $all %v", o.Direction)
		}
		return &fakeReader{events: []*esdb.ResolvedEvent{
			{Event: &esdb.RecordedEvent{EventID: uuid.New(), StreamID: "$epoch-information", EventType: "$epoch-information"}},
			{Event: &esdb.RecordedEvent{EventID: uuid.New(), StreamID: "$users", EventType: "$user-created"}},
			{Event: &esdb.RecordedEvent{EventID: id, StreamID: "complaint-1", EventType: "complaints.v1.ComplaintReceived"}},
		}}, nil
	}}
	o, err := open(fc, Options{}).Origin(context.Background())
	if err != nil || o != (eventlog.Origin{Kind: "esdblog", ID: id.String()}) {
		t.Fatalf("origin %+v, %v", o, err)
	}
	empty, err := open(&fakeClient{}, Options{}).Origin(context.Background())
	if err != nil || empty != (eventlog.Origin{Kind: "esdblog"}) {
		t.Fatalf("origin of an empty log %+v, %v", empty, err)
	}
}

func TestConnectionStrings(t *testing.T) {
	for _, c := range []struct {
		in, address string
		discover    bool
	}{
		{"esdb://127.0.0.1:2113?tls=false", "127.0.0.1:2113", false},
		{"kurrentdb://127.0.0.1:2113?tls=false", "127.0.0.1:2113", false},
		{"KurrentDB://node1:2113?tlsVerifyCert=false", "node1:2113", false},
		{"kurrentdb+discover://admin:changeit@cluster.example:2113", "cluster.example:2113", true},
		{"kdb://node1?tls=false", "node1:2113", false},
	} {
		cfg, err := parseConnectionString(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if cfg.Address != c.address || cfg.DnsDiscover != c.discover {
			t.Errorf("%s read as address %q discover %v", c.in, cfg.Address, cfg.DnsDiscover)
		}
	}
	for _, c := range []struct{ in, says string }{
		{"not a connection string", "no scheme"},
		{"postgres://admin:hunter2@db:5432", "unknown scheme \"postgres\""},
		{"esdb://admin:hunter2@node1:21x3", "invalid port"},
		{"esdb://admin:hunter2@node1:2113?tls=maybe", "tls"},
		{"esdb://admin:hunter2@127.0.0.1:2113?tls=false", "tls=false"},
		{"esdb://node1:2113?nodePreference=follower", "leader"},
		{"esdb://admin:hunter2@[::1", "missing ']'"},
	} {
		_, err := parseConnectionString(c.in)
		if err == nil {
			t.Errorf("%s accepted", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: error %q does not say %q", c.in, err, c.says)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error %q shows the password", c.in, err)
		}
	}
}
