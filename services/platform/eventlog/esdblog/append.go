package esdblog

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

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
