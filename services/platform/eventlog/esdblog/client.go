package esdblog

import (
	"context"
	"errors"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
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

// grpcClient is the real client.
type grpcClient struct{ c *esdb.Client }

func (g grpcClient) AppendToStream(ctx context.Context, stream string, opts esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error) {
	return g.c.AppendToStream(ctx, stream, opts, events...)
}

func (g grpcClient) ReadStream(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) (reader, error) {
	rs, err := g.c.ReadStream(ctx, stream, opts, count)
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (g grpcClient) ReadAll(ctx context.Context, opts esdb.ReadAllOptions, count uint64) (reader, error) {
	rs, err := g.c.ReadAll(ctx, opts, count)
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (g grpcClient) SubscribeToAll(ctx context.Context, opts esdb.SubscribeToAllOptions) (feed, error) {
	s, err := g.c.SubscribeToAll(ctx, opts)
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
