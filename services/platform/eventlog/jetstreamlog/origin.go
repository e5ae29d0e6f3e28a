package jetstreamlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Origin implements eventlog.Named: kind "jetstreamlog/2", identity the id
// of the first event of the log's stream. A stream deleted and created again
// starts its sequences over: it is another log, and its first event has
// another id. A log with no event yet has no identity. The "/2" is the
// positions' form: sequence times natswire.PositionsPerMessage plus index
// since appends became one message each; a snapshot or checkpoint taken
// under plain "jetstreamlog" (position = sequence) is refused, not misread.
func (l *Log) Origin(ctx context.Context) (eventlog.Origin, error) {
	o := eventlog.Origin{Kind: "jetstreamlog/2"}
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
