package jetstreamlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Origin implements eventlog.Named: kind "jetstreamlog", identity the id of
// the first event of the log's stream. A stream deleted and created again
// starts its sequences over: it is another log, and its first event has
// another id. A log with no event yet has no identity.
func (l *Log) Origin(ctx context.Context) (eventlog.Origin, error) {
	o := eventlog.Origin{Kind: "jetstreamlog"}
	info, err := l.stream.Info(ctx)
	if err != nil {
		return o, fmt.Errorf("jetstreamlog: origin: %w", err)
	}
	if info.State.Msgs == 0 {
		return o, nil
	}
	m, err := l.stream.GetMsg(ctx, info.State.FirstSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("jetstreamlog: origin: %w", err)
	}
	o.ID = m.Header.Get(natswire.HeaderMsgID)
	return o, nil
}
