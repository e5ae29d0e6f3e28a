// Package esdblog is the event log on EventStoreDB (KurrentDB), the
// production log, through the gRPC client
// github.com/EventStore/EventStore-Client-Go/v4.
//
// How the port maps onto EventStoreDB:
//
//   - Streams keep their names ("<category>-<complaint id>"), so the server's
//     $ce-<category> and $bc-<correlation id> projections work on them.
//   - Revision = EventStoreDB stream revision + 1: the first event of a stream
//     has Revision 1, and Revision 0 (FromStart) means "no event". Exact(r)
//     appends at EventStoreDB revision r-1; Exact(0) is NoStream.
//   - Position = EventStoreDB prepare position + 1, so Position 0 stays
//     "before the first event". The prepare position is each event's own
//     (see positionOf). An append's reply carries the position of its last
//     event, which is what Append answers. Only a recognised retry whose
//     reply has no position reads it back, and a failed read then leaves
//     the position 0: a write the server committed is never reported as
//     failed. A subscription
//     resumes at {Commit: p-1, Prepare: p-1} and skips what it has already
//     seen.
//   - Each event is stored with binary content (the protobuf bytes as given)
//     and JSON metadata: "$correlationId" (the complaint id), "$causationId",
//     "service", "schemaVersion", "traceparent", "tracestate" and
//     "recordedAt" (RFC 3339 with nanoseconds). The event id must be a UUID.
//   - Retries: EventStoreDB recognises an append retried with NoStream or a
//     stale exact revision when the stream holds the same ids right after
//     it, as the port promises. With Any or StreamExists it only looks in a
//     cache that a restart or a leader change empties, and at the current
//     revision it does not look at all: the port promises nothing there.
//   - Appends larger than Options.MaxAppendSize are refused before sending
//     (*eventlog.TooLargeError).
//   - Rights: New fails when the user may not read $all (subscriptions, the
//     relay) or $bc- streams (timelines). A refusal later is returned as
//     eventlog.ErrAccessDenied naming the right, logged and counted
//     (metric complaints.eventlog.refusals).
//   - Writer isolation (ADR 0037, Options.Writers): each category has one
//     EventStoreDB user that writes it. Before the first event of a stream
//     (an append expecting no stream, or Any refused for want of an ACL)
//     the adapter writes the stream's metadata: an ACL letting only that
//     user write, delete or change the metadata. Vouch tells the relay
//     whether an event was written under such an ACL. The server records
//     no author on an event: the ACL is what it enforces and what can be
//     checked afterwards.
//   - The connection must go to the leader (the default): the repository
//     reads its own writes. Every call asks for the leader (the
//     "requires-leader" header, sent as outgoing metadata: see grpcClient);
//     a follower answers NotLeader, the client moves to the leader and the
//     call is made once more there. Reads have a deadline
//     (Options.ReadTimeout). Connection strings may use the esdb:// or
//     kurrentdb:// schemes (ADR 0010); credentials need TLS.
//   - ReadTimeline reads the complaint's stream of every category in
//     Options.TimelineCategories (always consistent with the last append), adds
//     the events linked from $bc-<complaint id> (the $by_correlation_id system
//     projection, when it runs, finds events of any other category), and,
//     with Options.TimelineScanAll, scans $all with a server-side filter on
//     the stream name. The union, without duplicates, is returned in log
//     order.
//   - Subscribe is a catch-up subscription to $all, filtered on the server by
//     stream-name prefix ("<category>-") when the filter names categories,
//     otherwise excluding system events; event types are filtered here. A
//     dropped subscription is resumed after the last event delivered, unless
//     resuming cannot help (access denied, unauthenticated): the gRPC status
//     the client hands over for a drop is read like its own errors.
//   - Origin (for checkpoints) is the id of the first complaint event in
//     $all.
package esdblog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// DefaultTimelineCategories are the categories of the services' streams.
var DefaultTimelineCategories = []string{"complaint", "case", "redress", "followup"}

// Options of the adapter.
type Options struct {
	// Logger receives the adapter's and the client's messages.
	Logger *slog.Logger
	// TimelineCategories are the categories whose "<category>-<complaint id>"
	// stream ReadTimeline reads (DefaultTimelineCategories when empty).
	TimelineCategories []string
	// TimelineScanAll makes ReadTimeline also scan $all for streams of any
	// category named after the complaint. Every event of the log is looked
	// at on the server, so it suits small logs and tests.
	TimelineScanAll bool
	// ConnectTimeout bounds the check that the server answers (5 s when zero).
	ConnectTimeout time.Duration
	// ReadTimeout bounds each read of a stream or of $all
	// (DefaultReadTimeout when zero). Subscriptions have no deadline.
	ReadTimeout time.Duration
	// MaxAppendSize is the most one append may carry, as the server counts
	// it (DefaultMaxAppendSize when zero). Set it to the server's
	// MaxAppendSize setting when that was changed.
	MaxAppendSize int
	// Writers maps a stream category to the EventStoreDB user that alone
	// writes it (ADR 0037). A stream of one of these categories is created
	// with an ACL that lets only that user write it, delete it or change
	// its metadata, and Vouch tells whether an event was written under such
	// an ACL. Empty: streams are created without an ACL of their own, and
	// Vouch vouches for nothing.
	Writers map[string]string
}

// DefaultMaxAppendSize is the server's default limit on one append: 1 MiB.
const DefaultMaxAppendSize = 1 << 20

// Log is the EventStoreDB event log.
type Log struct {
	client     client
	logger     *slog.Logger
	categories []string
	scanAll    bool
	maxAppend  int
	refusals   metric.Int64Counter
	writers    map[string]string
	vouched    vouchedStreams

	subs      eventlog.Subscriptions
	closeOnce sync.Once

	mu     sync.Mutex
	origin eventlog.Origin
}

var _ eventlog.Log = (*Log)(nil)

// New connects to the EventStoreDB at url (a connection string such as
// "esdb://127.0.0.1:2113?tls=false" or "kurrentdb://…"), checks that it
// answers and that the user has the rights the services need.
func New(ctx context.Context, url string, o Options) (*Log, error) {
	cfg, err := parseConnectionString(url)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	logger := o.Logger.With("component", "esdblog")
	cfg.Logger = clientLogger(logger)
	target := describe(cfg)
	c, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("esdblog: EventStoreDB at %s: %w", target, err)
	}
	l := open(grpcClient{c: c, readTimeout: o.ReadTimeout}, o)
	if err := l.probe(ctx, o.ConnectTimeout); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("esdblog: EventStoreDB at %s: %w", target, err)
	}
	return l, nil
}

// open builds the log on a client, with the defaults of o filled in.
func open(c client, o Options) *Log {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if len(o.TimelineCategories) == 0 {
		o.TimelineCategories = DefaultTimelineCategories
	}
	if o.MaxAppendSize <= 0 {
		o.MaxAppendSize = DefaultMaxAppendSize
	}
	meter := otel.GetMeterProvider().Meter("github.com/complaintflow/complaintflow/services/platform/eventlog/esdblog")
	refusals, _ := meter.Int64Counter("complaints.eventlog.refusals", metric.WithUnit("{refusal}"),
		metric.WithDescription("Operations EventStoreDB refused for want of a right (access denied)"))
	return &Log{
		client:     c,
		logger:     o.Logger.With("component", "esdblog"),
		categories: append([]string(nil), o.TimelineCategories...),
		scanAll:    o.TimelineScanAll,
		maxAppend:  o.MaxAppendSize,
		refusals:   refusals,
		writers:    maps.Clone(o.Writers),
	}
}

// describe names the server(s) of a configuration, without credentials.
func describe(cfg *esdb.Configuration) string {
	if cfg.Address != "" {
		return cfg.Address
	}
	seeds := make([]string, 0, len(cfg.GossipSeeds))
	for _, s := range cfg.GossipSeeds {
		seeds = append(seeds, s.String())
	}
	return strings.Join(seeds, ",")
}

// clientLogger routes the client's messages to slog: its errors as
// warnings (a dropped subscription is resumed), the rest at debug level.
// What the client reports of a call this side cancelled (every Stop of a
// subscription, every Close) is not a problem: debug level too.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...interface{}) {
		lvl := slog.LevelDebug
		switch level {
		case esdb.LogError, esdb.LogWarn:
			lvl = slog.LevelWarn
		}
		for _, a := range args {
			if err, ok := a.(error); ok && cancelled(err) {
				lvl = slog.LevelDebug
			}
		}
		l.Log(context.Background(), lvl, fmt.Sprintf(format, args...), "source", "esdb-client")
	}
}

// right is a right the services need: its name (the attribute of the
// refusals metric) and how an operator grants it.
type right struct{ name, grant string }

func (r right) String() string { return r.name + " (" + r.grant + ")" }

// Rights the services need, as refusals name them.
var (
	rightReadAll   = right{"read $all", "subscriptions and the relay read the whole log: make the user a member of $admins, or grant it $r in the metadata of $all (stream $$$all)"}
	rightReadBC    = right{"read $bc- streams", "timelines read the $by_correlation_id projection's links: make the user a member of $admins, or grant it $r on system streams ($systemStreamAcl in the $settings stream)"}
	rightRead      = right{"read complaint streams", "grant it $r in $userStreamAcl of the $settings stream, or in the streams' metadata"}
	rightWrite     = right{"write complaint streams", "grant it $w in $userStreamAcl of the $settings stream, or in the streams' metadata; with writer isolation (ADR 0037) a user writes only the streams of the categories Writers gives it"}
	rightReadMeta  = right{"read stream metadata", "the relay reads each stream's ACL: grant it $mr in $userStreamAcl of the $settings stream"}
	rightWriteMeta = right{"write the ACL of a new stream", "a service sets the ACL of each stream it creates: grant it $mw in $userStreamAcl of the $settings stream"}
)

// refused logs and counts a refusal for want of a right, and returns the
// error to give the caller.
func (l *Log) refused(ctx context.Context, op string, r right, err error) error {
	l.refusals.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("right", r.name)))
	l.logger.Error("EventStoreDB refused access", "operation", op, "right", r.name, "grant", r.grant, "err", err)
	return fmt.Errorf("%w: %s needs the right to %s: %v", eventlog.ErrAccessDenied, op, r, err)
}

// probe checks that the server answers and that the user may read $all and
// $bc- streams. Not found proves the server answers.
func (l *Log) probe(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	checks := []struct {
		op    string
		right right
		read  func(ctx context.Context) (reader, error)
	}{
		{"read $all", rightReadAll, func(ctx context.Context) (reader, error) {
			return l.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}, Deadline: &timeout}, 1)
		}},
		{"read $bc-", rightReadBC, func(ctx context.Context) (reader, error) {
			return l.client.ReadStream(ctx, "$bc-"+uuid.NewString(), esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Start{}, Deadline: &timeout}, 1)
		}},
	}
	for _, c := range checks {
		done := make(chan error, 1)
		// The client may wait for a connection without watching ctx.
		go func() {
			rs, err := c.read(ctx)
			if err == nil {
				_, err = rs.Recv()
				rs.Close()
			}
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			return fmt.Errorf("does not answer: %w", ctx.Err())
		}
		switch {
		case err == nil, errors.Is(err, io.EOF), isCode(err, esdb.ErrorCodeResourceNotFound):
		case isCode(err, esdb.ErrorCodeAccessDenied):
			return l.refused(ctx, c.op, c.right, err)
		case isCode(err, esdb.ErrorCodeUnauthenticated):
			return fmt.Errorf("the user name or password is refused: %w", err)
		default:
			return fmt.Errorf("does not answer: %w", err)
		}
	}
	return nil
}

// Origin implements eventlog.Named: kind "esdblog", identity the id of
// the first event of the complaint log in $all (system records, which a
// scavenge may remove, are passed over). It is looked for among the first
// originScan records; a log with no such event there has no identity yet.
func (l *Log) Origin(ctx context.Context) (eventlog.Origin, error) {
	l.mu.Lock()
	o := l.origin
	l.mu.Unlock()
	if o.ID != "" {
		return o, nil
	}
	o = eventlog.Origin{Kind: "esdblog"}
	rs, err := l.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: esdb.Start{}}, originScan)
	if err != nil {
		return o, l.fail(ctx, "read $all", rightReadAll, err)
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		switch {
		case errors.Is(err, io.EOF):
			return o, nil
		case err != nil:
			return o, l.fail(ctx, "read $all", rightReadAll, err)
		}
		r := ev.OriginalEvent()
		if r == nil || !isLogEvent(r.StreamID, r.EventType) {
			continue
		}
		o.ID = r.EventID.String()
		l.mu.Lock()
		l.origin = o
		l.mu.Unlock()
		return o, nil
	}
}

// originScan bounds the records of $all Origin looks at.
const originScan = 1000

// fail is the error to return for a failed operation: a refusal names the
// right (and is logged and counted), anything else is wrapped.
func (l *Log) fail(ctx context.Context, op string, r right, err error) error {
	if isCode(err, esdb.ErrorCodeAccessDenied) {
		return l.refused(ctx, op, r, err)
	}
	return fmt.Errorf("esdblog: %s: %w", op, err)
}

// appendSize is what an append takes as the server counts it against its
// limit (the size of the proposed messages), over-estimated a little.
func appendSize(events []esdb.EventData) int {
	n := 0
	for _, e := range events {
		// id, field tags, the "type" and "content-type" keys and the
		// content type's value ("application/octet-stream")
		const overhead = 128
		n += len(e.Data) + len(e.Metadata) + len(e.EventType) + overhead
	}
	return n
}

// Append implements eventlog.Log.
func (l *Log) Append(ctx context.Context, stream string, expected eventlog.ExpectedRevision, events ...eventlog.EventData) (eventlog.AppendResult, error) {
	if _, _, err := eventlog.SplitStream(stream); err != nil {
		return eventlog.AppendResult{}, err
	}
	if len(events) == 0 {
		return eventlog.AppendResult{}, fmt.Errorf("esdblog: append to %s: no events", stream)
	}
	data := make([]esdb.EventData, 0, len(events))
	for _, e := range events {
		d, err := toEventData(e)
		if err != nil {
			return eventlog.AppendResult{}, err
		}
		data = append(data, d)
	}
	if n := appendSize(data); n > l.maxAppend {
		return eventlog.AppendResult{}, &eventlog.TooLargeError{Stream: stream, Size: n, Limit: l.maxAppend}
	}
	owner := l.ownerOf(stream)
	if r, exact := expected.ExactRevision(); owner != "" && (expected.IsNoStream() || exact && r == 0) {
		// A new stream: its ACL goes first, so that it is in force for
		// every event of the stream.
		if err := l.guard(ctx, stream, owner); err != nil {
			return eventlog.AppendResult{}, err
		}
	}
	wr, err := l.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, data...)
	if err != nil && owner != "" && expected.IsAny() && isCode(err, esdb.ErrorCodeAccessDenied) {
		// Any may create the stream; where the default ACL lets no one
		// but administrators write a stream without an ACL of its own,
		// that is refused until the stream has one.
		if gerr := l.guard(ctx, stream, owner); gerr != nil {
			return eventlog.AppendResult{}, gerr
		}
		wr, err = l.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, data...)
	}
	if err != nil {
		if isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
			w := &eventlog.WrongExpectedVersionError{Stream: stream, Expected: expected}
			if a, ok := actualFromWrongExpected(err.Error()); ok {
				w.Actual, w.HasActual = a, true
			} else if a, ok, rerr := l.lastRevision(ctx, stream); rerr == nil && ok {
				w.Actual, w.HasActual = a, true
			}
			return eventlog.AppendResult{}, w
		}
		return eventlog.AppendResult{}, l.fail(ctx, "append to "+stream, rightWrite, err)
	}
	// From here on the events are in the log: nothing may turn this into an
	// error.
	res := eventlog.AppendResult{NextRevision: toRevision(wr.NextExpectedVersion)}
	if p, ok := replyPosition(wr); ok {
		res.Position = p
		return res, nil
	}
	// A retry recognised by the server may come back without a position
	// (when the server could not tell where the events are): read the last
	// event to tell, if that works.
	last, err := l.readOne(ctx, stream, esdb.Revision(wr.NextExpectedVersion))
	if err != nil {
		l.logger.Warn("append succeeded, its position could not be read back", "stream", stream, "revision", uint64(res.NextRevision), "err", err)
		return res, nil
	}
	if last != nil {
		if p, ok := positionOf(last.Position); ok {
			res.Position = p
		}
	}
	return res, nil
}

// lastRevision is the Revision of a stream's last event; false when the
// stream has no event.
func (l *Log) lastRevision(ctx context.Context, stream string) (eventlog.Revision, bool, error) {
	rs, err := l.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return 0, false, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	switch {
	case errors.Is(err, io.EOF), isCode(err, esdb.ErrorCodeResourceNotFound):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return toRevision(ev.OriginalEvent().EventNumber), true, nil
}

// readOne reads the event of a stream at an EventStoreDB revision; nil when
// there is none.
func (l *Log) readOne(ctx context.Context, stream string, at esdb.StreamPosition) (*esdb.RecordedEvent, error) {
	rs, err := l.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: at}, 1)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	switch {
	case errors.Is(err, io.EOF), isCode(err, esdb.ErrorCodeResourceNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return ev.OriginalEvent(), nil
}

// ReadStream implements eventlog.Log.
func (l *Log) ReadStream(ctx context.Context, stream string, after eventlog.Revision) ([]eventlog.RecordedEvent, error) {
	if _, _, err := eventlog.SplitStream(stream); err != nil {
		return nil, err
	}
	evs, err := l.readStream(ctx, stream, after, false)
	if err != nil {
		return nil, err
	}
	out := make([]eventlog.RecordedEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.ev)
	}
	return out, nil
}

// timelineEvent is an event with what ReadTimeline orders it by.
type timelineEvent struct {
	ev       eventlog.RecordedEvent
	created  time.Time
	knownPos bool
}

// readStream reads a stream forward from after; ErrStreamNotFound when the
// stream has no event. With resolve, links are followed and the linked
// events returned (links to deleted events are left out).
func (l *Log) readStream(ctx context.Context, stream string, after eventlog.Revision, resolve bool) ([]timelineEvent, error) {
	rs, err := l.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{
		Direction:      esdb.Forwards,
		From:           readFrom(after),
		ResolveLinkTos: resolve,
	}, math.MaxInt64)
	if err != nil {
		return nil, l.failRead(ctx, stream, err)
	}
	defer rs.Close()
	var out []timelineEvent
	for {
		re, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if isCode(err, esdb.ErrorCodeResourceNotFound) || isCode(err, esdb.ErrorCodeStreamDeleted) {
			return nil, fmt.Errorf("%w: %s", eventlog.ErrStreamNotFound, stream)
		}
		if err != nil {
			return nil, l.failRead(ctx, stream, err)
		}
		r := re.Event
		if r == nil {
			continue
		}
		ev, err := fromRecorded(r)
		if err != nil {
			return nil, err
		}
		_, known := positionOf(r.Position)
		out = append(out, timelineEvent{ev: ev, created: r.CreatedDate, knownPos: known})
	}
}

// failRead is the error of a failed read of stream.
func (l *Log) failRead(ctx context.Context, stream string, err error) error {
	r := rightRead
	if strings.HasPrefix(stream, "$bc-") {
		r = rightReadBC
	}
	return l.fail(ctx, "read "+stream, r, err)
}

// ReadTimeline implements eventlog.Log (see the package comment for how).
func (l *Log) ReadTimeline(ctx context.Context, complaintID string) ([]eventlog.RecordedEvent, error) {
	if !eventlog.ValidID(complaintID) {
		return nil, fmt.Errorf("%w: complaint id %q", eventlog.ErrInvalidStreamName, complaintID)
	}
	seen := map[string]int{}
	var all []timelineEvent
	add := func(evs []timelineEvent) {
		for _, e := range evs {
			if !isLogEvent(e.ev.Stream, e.ev.Type) {
				continue
			}
			if i, ok := seen[e.ev.ID]; ok {
				if !all[i].knownPos && e.knownPos {
					all[i] = e
				}
				continue
			}
			seen[e.ev.ID] = len(all)
			all = append(all, e)
		}
	}
	for _, c := range l.categories {
		evs, err := l.readStream(ctx, eventlog.StreamName(c, complaintID), eventlog.FromStart, false)
		if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil, err
		}
		add(evs)
	}
	bc, err := l.readStream(ctx, "$bc-"+complaintID, eventlog.FromStart, true)
	if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil, err
	}
	add(bc)
	if l.scanAll {
		evs, err := l.scanTimeline(ctx, complaintID)
		if err != nil {
			return nil, err
		}
		add(evs)
	}
	sortTimeline(all)
	out := make([]eventlog.RecordedEvent, 0, len(all))
	for _, e := range all {
		out = append(out, e.ev)
	}
	return out, nil
}

// sortTimeline orders events by position when every position is known,
// otherwise by the time the server recorded them; events of one stream
// always keep their order.
func sortTimeline(evs []timelineEvent) {
	byPos := true
	for _, e := range evs {
		if !e.knownPos {
			byPos = false
			break
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.ev.Stream == b.ev.Stream {
			return a.ev.Revision < b.ev.Revision
		}
		if byPos {
			return a.ev.Position < b.ev.Position
		}
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		return a.ev.Stream < b.ev.Stream
	})
}

// scanTimeline reads $all, filtered on the server to the streams named
// "<category>-<complaint id>", up to the last event written when it starts.
func (l *Log) scanTimeline(ctx context.Context, complaintID string) ([]timelineEvent, error) {
	end, err := l.lastPosition(ctx)
	if err != nil || end == nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := l.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From: esdb.Start{},
		Filter: &esdb.SubscriptionFilter{
			Type:  esdb.StreamFilterType,
			Regex: "^[A-Za-z0-9_]+-" + regexp.QuoteMeta(complaintID) + "$",
		},
	})
	if err != nil {
		return nil, l.fail(ctx, "scan $all", rightReadAll, err)
	}
	defer sub.Close()
	var out []timelineEvent
	for {
		m := sub.Recv()
		switch {
		case m.EventAppeared != nil:
			r := m.EventAppeared.Event
			if r == nil {
				continue
			}
			if r.Position.Commit > end.Commit {
				return out, nil
			}
			ev, err := fromRecorded(r)
			if err != nil {
				return nil, err
			}
			out = append(out, timelineEvent{ev: ev, created: r.CreatedDate, knownPos: true})
			if r.Position.Commit == end.Commit {
				return out, nil
			}
		case m.CheckPointReached != nil:
			if m.CheckPointReached.Commit >= end.Commit {
				return out, nil
			}
		case m.CaughtUp != nil:
			return out, nil
		case m.SubscriptionDropped != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, l.fail(ctx, "scan $all", rightReadAll, m.SubscriptionDropped.Error)
		}
	}
}

// lastPosition is the position of the last event of $all; nil when empty.
func (l *Log) lastPosition(ctx context.Context) (*esdb.Position, error) {
	rs, err := l.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return nil, l.fail(ctx, "read $all", rightReadAll, err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, l.fail(ctx, "read $all", rightReadAll, err)
	}
	p := ev.OriginalEvent().Position
	return &p, nil
}

// Subscribe implements eventlog.Log. It runs as eventlog.RunSubscription
// over one catch-up subscription to $all at a time: a dropped one is
// resumed after the last event delivered, unless resuming cannot help
// (access denied, unauthenticated, closed, unsupported).
func (l *Log) Subscribe(ctx context.Context, after eventlog.Position, filter eventlog.Filter, handle func(context.Context, eventlog.RecordedEvent) error) (eventlog.Subscription, error) {
	sub, err := l.subs.Run(ctx, l.openFeed, after, filter, handle, eventlog.SubscriptionOptions{
		Transient: func(err error) bool { return !permanent(err) },
		OnResume: func(after eventlog.Position, err error) {
			l.logger.Warn("subscription to $all dropped, resuming", "after", uint64(after), "err", err)
		},
		ResumeDelay: resubscribeDelay,
		MaxBackoff:  5 * time.Second,
	})
	if errors.Is(err, eventlog.ErrSubscriptionsClosed) {
		return nil, errors.New("esdblog: log closed")
	}
	return sub, err
}

// resubscribeDelay is the least wait before resubscribing after a drop, so
// that a server dropping every subscription at once is not hammered.
const resubscribeDelay = 100 * time.Millisecond

func (l *Log) openFeed(ctx context.Context, after eventlog.Position, filter eventlog.Filter) (eventlog.Feed, error) {
	sub, err := l.subscribeAll(ctx, after, filter)
	if err != nil {
		return nil, err
	}
	return &allFeed{log: l, sub: sub}, nil
}

func (l *Log) subscribeAll(ctx context.Context, after eventlog.Position, filter eventlog.Filter) (feed, error) {
	sub, err := l.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   subscribeFrom(after),
		Filter: subscriptionFilter(filter),
	})
	if err != nil {
		return nil, l.fail(ctx, fmt.Sprintf("subscribe to $all after %d", after), rightReadAll, err)
	}
	return sub, nil
}

// Close implements eventlog.Log: it stops the running subscriptions and
// closes the connection.
func (l *Log) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.subs.Close()
		err = l.client.Close()
	})
	return err
}

// permanent reports whether resubscribing cannot help. The error of a
// dropped subscription is the raw gRPC status (errorCode reads it too).
func permanent(err error) bool {
	if errors.Is(err, eventlog.ErrAccessDenied) {
		return true
	}
	c, ok := errorCode(err)
	if !ok {
		return false
	}
	switch c {
	case esdb.ErrorCodeConnectionClosed, esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeUnsupportedFeature:
		return true
	}
	return false
}

// allFeed is the eventlog.Feed of one catch-up subscription to $all: the
// events of the complaint log, system events left out.
type allFeed struct {
	log *Log
	sub feed
}

// Next implements eventlog.Feed.
func (f *allFeed) Next(ctx context.Context) (eventlog.RecordedEvent, error) {
	for {
		m := f.sub.Recv()
		if m.SubscriptionDropped != nil {
			if err := ctx.Err(); err != nil {
				return eventlog.RecordedEvent{}, err
			}
			err := m.SubscriptionDropped.Error
			if isCode(err, esdb.ErrorCodeAccessDenied) {
				return eventlog.RecordedEvent{}, f.log.refused(ctx, "subscription to $all", rightReadAll, err)
			}
			return eventlog.RecordedEvent{}, fmt.Errorf("esdblog: subscription to $all dropped: %w", err)
		}
		if m.EventAppeared == nil || m.EventAppeared.Event == nil {
			continue
		}
		r := m.EventAppeared.Event
		if !isLogEvent(r.StreamID, r.EventType) {
			continue
		}
		pos, ok := positionOf(r.Position)
		if !ok {
			continue
		}
		ev, err := fromRecorded(r)
		if err != nil {
			f.log.logger.Warn("event metadata unreadable, delivered without it", "stream", r.StreamID, "id", r.EventID.String(), "err", err)
			ev = eventlog.RecordedEvent{
				EventData: eventlog.EventData{ID: r.EventID.String(), Type: r.EventType, Data: r.Data},
				Stream:    r.StreamID,
				Revision:  toRevision(r.EventNumber),
			}
		}
		ev.Position = pos
		return ev, nil
	}
}

// Close implements eventlog.Feed.
func (f *allFeed) Close() { _ = f.sub.Close() }
