package esdblog

import (
	"context"
	"errors"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

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
