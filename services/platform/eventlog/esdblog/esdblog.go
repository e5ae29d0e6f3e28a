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
	// Meter makes the adapter's instruments; nil means the global provider.
	Meter metric.MeterProvider
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
	if o.Meter == nil {
		o.Meter = otel.GetMeterProvider()
	}
	meter := o.Meter.Meter("github.com/complaintflow/complaintflow/services/platform/eventlog/esdblog")
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

// fail is the error to return for a failed operation: a refusal names the
// right (and is logged and counted), anything else is wrapped.
func (l *Log) fail(ctx context.Context, op string, r right, err error) error {
	if isCode(err, esdb.ErrorCodeAccessDenied) {
		return l.refused(ctx, op, r, err)
	}
	return fmt.Errorf("esdblog: %s: %w", op, err)
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
