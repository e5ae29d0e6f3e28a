package esdblog

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// client is what the adapter uses of the EventStoreDB client: the seam its
// tests fake.
type client interface {
	AppendToStream(ctx context.Context, stream string, opts esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error)
	ReadStream(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) (reader, error)
	ReadAll(ctx context.Context, opts esdb.ReadAllOptions, count uint64) (reader, error)
	SubscribeToAll(ctx context.Context, opts esdb.SubscribeToAllOptions) (feed, error)
	Close() error
}

// reader is a read in progress (*esdb.ReadStream).
type reader interface {
	Recv() (*esdb.ResolvedEvent, error)
	Close()
}

// feed is a running subscription (*esdb.Subscription).
type feed interface {
	Recv() *esdb.SubscriptionEvent
	Close() error
}

// grpcClient is the real client, with what it lacks on a cluster.
//
//   - Leader only. EventStore-Client-Go v4.2.0 puts the "requires-leader"
//     header of a leader-preferring connection into the call's incoming
//     metadata, which gRPC never sends: followers answered every call, a
//     read after a failover came from the former leader, stale, and no
//     NotLeader ever moved the client. Here the header goes into the
//     outgoing metadata of every call. A follower then refuses with
//     NotLeader and the leader's address, and the client reconnects there
//     (its own handling of that answer).
//   - A call refused with NotLeader is made once more, on the connection the
//     client has by then moved to the leader. Nothing was written by the
//     refused call: the follower refuses before forwarding anything.
//   - Reads (streaming calls, which the client leaves without a deadline)
//     are bounded by readTimeout. Subscriptions are not: they run until
//     stopped, and a dropped one is opened again by Subscribe, through
//     SubscribeToAll, whose errors go through the client's reconnect logic.
type grpcClient struct {
	c           *esdb.Client
	readTimeout time.Duration
}

// DefaultReadTimeout bounds one read of a stream or of $all when
// Options.ReadTimeout is zero: the client's own deadline for single calls.
const DefaultReadTimeout = 10 * time.Second

// requiresLeader is the metadata key that asks a node to answer only if it is
// the leader (NotLeader with the leader's address otherwise).
const requiresLeader = "requires-leader"

// leaderOnly marks a call's context so that only the leader answers it.
func leaderOnly(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, requiresLeader, "true")
}

func (g grpcClient) deadline(d *time.Duration) *time.Duration {
	if d != nil {
		return d
	}
	t := g.readTimeout
	if t <= 0 {
		t = DefaultReadTimeout
	}
	return &t
}

func (g grpcClient) AppendToStream(ctx context.Context, stream string, opts esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error) {
	// A call refused by a follower (NotLeader) wrote nothing and is made
	// again; so is one that could not be sent while the client drops a
	// connection for another (after a NotLeader, or a node going away). The
	// same event ids at the same expected revision make a repeat of one the
	// leader did store a no-op.
	notLeader := 0
	for try := 0; ; try++ {
		wr, err := g.c.AppendToStream(leaderOnly(ctx), stream, opts, events...)
		switch {
		case isCode(err, esdb.ErrorCodeNotLeader) && notLeader < afterNotLeader:
			notLeader++
		case movingToLeader(err) && try < 3 && pause(ctx, try):
		default:
			return wr, err
		}
	}
}

// afterNotLeader is how many times a call refused with NotLeader is made
// again: once the client has reconnected, the next node it reaches is the
// leader, unless the leader changed meanwhile.
const afterNotLeader = 1

// movingToLeader says whether err is what a call meets while the client
// drops its connection to a follower for the leader: the connection closed,
// or the request could not be sent (an unknown code).
func movingToLeader(err error) bool {
	if err == nil || cancelled(err) {
		return false
	}
	c, ok := errorCode(err)
	return !ok || c == esdb.ErrorCodeConnectionClosed || c == esdb.ErrorCodeUnknown
}

// pause waits a little longer each try before a call is made again; false
// when ctx ended.
func pause(ctx context.Context, try int) bool {
	select {
	case <-time.After(time.Duration(20<<try) * time.Millisecond):
		return true
	case <-ctx.Done():
		return false
	}
}

func (g grpcClient) ReadStream(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) (reader, error) {
	opts.Deadline = g.deadline(opts.Deadline)
	return readOnLeader(func() (*esdb.ReadStream, error) { return g.c.ReadStream(leaderOnly(ctx), stream, opts, count) })
}

func (g grpcClient) ReadAll(ctx context.Context, opts esdb.ReadAllOptions, count uint64) (reader, error) {
	opts.Deadline = g.deadline(opts.Deadline)
	return readOnLeader(func() (*esdb.ReadStream, error) { return g.c.ReadAll(leaderOnly(ctx), opts, count) })
}

// readOnLeader starts a read and takes its first answer, where a NotLeader
// refusal comes: then the read is started once more, on the leader.
func readOnLeader(open func() (*esdb.ReadStream, error)) (reader, error) {
	refused := false
	for attempt := 0; ; attempt++ {
		rs, err := open()
		if err != nil {
			if attempt == 0 && isCode(err, esdb.ErrorCodeNotLeader) {
				refused = true
				continue
			}
			if refused && attempt < 3 && movingToLeader(err) && pause(context.Background(), attempt-1) {
				continue // the client is still moving to the leader
			}
			return nil, err
		}
		first, err := rs.Recv()
		if attempt == 0 && isCode(err, esdb.ErrorCodeNotLeader) {
			rs.Close()
			refused = true
			continue
		}
		if refused && attempt < 3 && err != nil && !errors.Is(err, io.EOF) && movingToLeader(err) && pause(context.Background(), attempt-1) {
			rs.Close()
			continue
		}
		return &peeked{rs: rs, first: first, err: err, held: true}, nil
	}
}

// peeked is a read whose first answer was taken already.
type peeked struct {
	rs    *esdb.ReadStream
	first *esdb.ResolvedEvent
	err   error
	held  bool
}

func (p *peeked) Recv() (*esdb.ResolvedEvent, error) {
	if p.held {
		p.held = false
		return p.first, p.err
	}
	return p.rs.Recv()
}

func (p *peeked) Close() { p.rs.Close() }

func (g grpcClient) SubscribeToAll(ctx context.Context, opts esdb.SubscribeToAllOptions) (feed, error) {
	s, err := g.c.SubscribeToAll(leaderOnly(ctx), opts)
	if isCode(err, esdb.ErrorCodeNotLeader) {
		s, err = g.c.SubscribeToAll(leaderOnly(ctx), opts)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (g grpcClient) Close() error { return g.c.Close() }

// errorCode is the EventStoreDB error code of err. The client returns most
// errors as *esdb.Error, but a dropped subscription carries the raw gRPC
// status: both are read here, the status as the client itself would map it.
func errorCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		if e.Code() != esdb.ErrorCodeUnknown {
			return e.Code(), true
		}
		if e.Err() == nil {
			return esdb.ErrorCodeUnknown, true
		}
		err = e.Err()
	}
	st, ok := status.FromError(err)
	if !ok {
		var gs interface{ GRPCStatus() *status.Status }
		if !errors.As(err, &gs) {
			return 0, false
		}
		st = gs.GRPCStatus()
	}
	switch st.Code() {
	case codes.Unauthenticated:
		return esdb.ErrorCodeUnauthenticated, true
	case codes.Unimplemented:
		return esdb.ErrorCodeUnsupportedFeature, true
	case codes.NotFound:
		return esdb.ErrorCodeResourceNotFound, true
	case codes.PermissionDenied:
		return esdb.ErrorCodeAccessDenied, true
	case codes.DeadlineExceeded:
		return esdb.ErrorCodeDeadlineExceeded, true
	case codes.AlreadyExists:
		return esdb.ErrorCodeResourceAlreadyExists, true
	case codes.Aborted:
		return esdb.ErrorAborted, true
	case codes.Unavailable:
		return esdb.ErrorUnavailable, true
	}
	return esdb.ErrorCodeUnknown, true
}

func isCode(err error, code esdb.ErrorCode) bool {
	c, ok := errorCode(err)
	return ok && c == code
}

// cancelled reports whether err says the call was cancelled by this side:
// a gRPC Canceled status or context.Canceled.
func cancelled(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	var gs interface{ GRPCStatus() *status.Status }
	if errors.As(err, &gs) {
		return gs.GRPCStatus().Code() == codes.Canceled
	}
	return status.Code(err) == codes.Canceled
}
