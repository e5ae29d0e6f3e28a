package jetstreamlog

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// write is one writer: it takes the next append and every append already
// waiting behind it, up to MaxBatch events, and publishes them as one batch.
func (l *Log) write() {
	defer l.wg.Done()
	for {
		var first *appendRequest
		select {
		case first = <-l.queue:
		case <-l.quit:
			return
		}
		group := []*appendRequest{first}
		n := len(first.msgs)
	gather:
		for !l.opts.NoCoalescing && n < l.opts.MaxBatch {
			select {
			case r := <-l.queue:
				if n+len(r.msgs) > l.opts.MaxBatch {
					l.publishGroup(group)
					group, n = nil, 0
				}
				group = append(group, r)
				n += len(r.msgs)
			default:
				break gather
			}
		}
		l.publishGroup(group)
	}
}

// publishGroup publishes a group of appends as one atomic batch, or each on
// its own when the batch is refused.
func (l *Log) publishGroup(group []*appendRequest) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.finish(eventlog.AppendResult{}, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		r := live[0]
		res, err := l.publishOne(r)
		r.finish(res, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	defer cancel()
	var msgs []*nats.Msg
	for _, r := range live {
		for i, m := range r.msgs {
			setExpectation(m, r.expected, i == 0)
			msgs = append(msgs, m)
		}
	}
	ack, err := l.publishBatch(ctx, msgs)
	if err == nil {
		l.stats.batches.Add(1)
		l.stats.batchedAppends.Add(uint64(len(live)))
		l.metrics.batchAppends.Record(ctx, int64(len(live)))
		// A committed batch is contiguous in the stream: its last message has
		// ack.Sequence, so the i-th of n messages has ack.Sequence-n+1+i.
		seq := ack.Sequence - uint64(len(msgs))
		for _, r := range live {
			seq += uint64(len(r.msgs))
			r.finish(eventlog.AppendResult{NextRevision: eventlog.Revision(seq), Position: eventlog.Position(seq)}, nil)
		}
		return
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		// The batch's fate is unknown (timeout, connection lost): report it;
		// each caller's retry with the same event ids is safe.
		for _, r := range live {
			r.finish(eventlog.AppendResult{}, err)
		}
		return
	}
	// The server refused the batch as a whole, so nothing of it was written:
	// publish each append on its own, so only the one at fault fails.
	l.stats.fallbacks.Add(1)
	for _, r := range live {
		res, err := l.publishOne(r)
		r.finish(res, err)
	}
}

// publishBatch publishes msgs as one atomic batch: every message but the last
// without waiting, the last with the commit header, whose acknowledgement
// covers the whole batch.
func (l *Log) publishBatch(ctx context.Context, msgs []*nats.Msg) (*jetstream.PubAck, error) {
	commit, err := natswire.StageBatch(l.nc, msgs)
	if err != nil {
		return nil, err
	}
	return l.publish(ctx, commit)
}
