package jetstreamlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// written remembers the last sequence this process appended on each
// subject and to each complaint, so that a read can tell it is stale. On a
// cluster any replica answers a direct get, and a follower may answer
// before it holds the message the stream leader acknowledged: the read
// would not see a write just made. A read that ends before what was
// written here, or (on a replicated stream) before the last message the
// leader holds on the subject, is made again (readYourWrites).
//
// The memory is bounded: when it holds maxWritten subjects it starts
// afresh, which only lets an old subject's read go unchecked.
type written struct {
	mu   sync.Mutex
	last map[string]uint64
}

const maxWritten = 1 << 16

// note records that seq was written on subject (and to its complaint).
func (w *written) note(subject string, seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil || len(w.last) >= maxWritten {
		w.last = make(map[string]uint64)
	}
	for _, k := range [2]string{subject, complaintKey(subject)} {
		if k != "" && w.last[k] < seq {
			w.last[k] = seq
		}
	}
}

// at is the last sequence written on key (a subject, or a complaint's
// wildcard subject); 0 when none is remembered.
func (w *written) at(key string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last[key]
}

// complaintKey is the wildcard subject of the complaint whose stream
// subject ("<prefix>.<category>.<complaint id>") is subject: what a
// timeline reads.
func complaintKey(subject string) string {
	i := strings.LastIndexByte(subject, '.')
	if i < 0 || i == len(subject)-1 {
		return ""
	}
	return natswire.ComplaintSubject(subject[i+1:])
}

// readYourWrites reads key from sequence from on with read until what it
// returns reaches the last sequence this process wrote there, reading
// again a few times with growing waits (about 0.3 s in all) when a replica
// answers stale. After that it returns what it read: the log is then as
// fresh as its replicas.
func (l *Log) readYourWrites(ctx context.Context, key string, from uint64, read func() ([]eventlog.RecordedEvent, error)) ([]eventlog.RecordedEvent, error) {
	want := l.written.at(key)
	if l.replicated {
		// What other instances wrote: the leader knows the last message.
		if last, err := l.leaderLast(ctx, key); err == nil {
			want = max(want, last)
		}
	}
	wait := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		events, err := read()
		if err != nil || want < from || attempt == retriedReads || reaches(events, want) {
			return events, err
		}
		select {
		case <-time.After(wait):
			wait *= 2
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// reaches says whether events end at or after sequence seq.
func reaches(events []eventlog.RecordedEvent, seq uint64) bool {
	if len(events) == 0 {
		return false
	}
	last, _ := natswire.SequenceOfRevision(events[len(events)-1].Revision)
	return last >= seq
}

// leaderLast asks the stream's leader for the sequence of the last message
// on subject (wildcards allowed); 0 when there is none. Direct gets, which
// any replica answers, cannot say it.
func (l *Log) leaderLast(ctx context.Context, subject string) (uint64, error) {
	req, _ := json.Marshal(struct {
		LastBySubject string `json:"last_by_subj"`
	}{subject})
	ctx, cancel := context.WithTimeout(ctx, leaderGetTimeout)
	defer cancel()
	msg, err := l.nc.RequestWithContext(ctx, leaderGetSubject, req)
	if err != nil {
		return 0, err
	}
	var resp struct {
		Error *struct {
			ErrCode int    `json:"err_code"`
			Desc    string `json:"description"`
		} `json:"error"`
		Message *struct {
			Sequence uint64 `json:"seq"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, err
	}
	switch {
	case resp.Error != nil && resp.Error.ErrCode == errCodeNoMessage:
		return 0, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("jetstreamlog: leader's last message of %s: %s", subject, resp.Error.Desc)
	case resp.Message == nil:
		return 0, fmt.Errorf("jetstreamlog: leader's last message of %s: empty answer", subject)
	}
	return resp.Message.Sequence, nil
}

var leaderGetSubject = "$JS.API.STREAM.MSG.GET." + natswire.StreamName

// leaderGetTimeout bounds the leader's answer: without one (no leader for
// the moment) the read goes on with what this process knows.
const leaderGetTimeout = 2 * time.Second

// errCodeNoMessage is JetStream's "no message found".
const errCodeNoMessage = 10037
