package projection

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// AsOfSkew is how far past an as-of instant a replay keeps reading: events
// are in log order, and the clocks of the services that stamp them may
// disagree by that much.
const AsOfSkew = time.Minute

// AsOf folds into fresh the events of log that match filter and were
// recorded at or before asOf, reading at most up to upTo (the live
// projection's position). It is how a projection answers for an earlier
// instant: by replay, at the cost of reading the log from its start.
func AsOf[S State](ctx context.Context, log eventlog.Log, filter eventlog.Filter, fresh S, upTo eventlog.Position, asOf time.Time) (eventlog.Position, error) {
	stopAfter := asOf.Add(AsOfSkew)
	return Replay(ctx, log, filter, fresh, eventlog.Beginning, upTo, ReplayOptions{
		Skip:  func(e eventlog.RecordedEvent) bool { return e.Metadata.RecordedAt.After(asOf) },
		Until: func(e eventlog.RecordedEvent) bool { return e.Metadata.RecordedAt.After(stopAfter) },
	})
}
