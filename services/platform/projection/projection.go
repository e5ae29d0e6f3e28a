// Package projection keeps read models up to date from the whole event log.
//
// A projection folds events into in-memory state and saves a snapshot of that
// state together with the log position it reflects, in one JetStream KV value.
// Saving both at once is what makes it exact: after a restart the projection
// restores the snapshot and resumes right after its position, so no event is
// counted twice or missed. Deleting the snapshot rebuilds the projection from
// the start of the log. The snapshot records which log its position belongs
// to: New refuses a snapshot of another log (a *checkpoint.MismatchError,
// which names the key to delete), so switching the event log from JetStream
// to EventStoreDB never reads a JetStream sequence as an EventStoreDB
// position.
//
// One event that cannot be folded never stops a projection: an event whose
// fold fails permanently (a payload its type cannot read, an error marked
// with backoff.Permanent, a panic) is written to the dead-letter stream
// (bus.DeadLetterStream, consumer "projection.<name>"), counted in Status
// and the snapshot, and left out; the projection goes on with the next
// event. Any other error is taken to be transient: the projection stops and
// resumes from the same event, with backoff, until it folds.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// State is what a projection folds events into. It must be JSON-serialisable.
type State interface {
	// Apply folds one event in. An error that will never pass (a payload
	// that does not decode, an error wrapped with backoff.Permanent) has the
	// event dead-lettered and left out; any other is tried again. A failing
	// Apply should leave the state as it was.
	Apply(e eventlog.RecordedEvent) error
}

// Options tune a projection.
type Options struct {
	// Name identifies the projection's snapshot.
	Name string
	// Filter selects the events it needs.
	Filter eventlog.Filter
	// SnapshotInterval is how often unsaved progress is saved (default 1s).
	SnapshotInterval time.Duration
}

// Projection runs one read model.
type Projection[S State] struct {
	opts     Options
	log      eventlog.Log
	js       jetstream.JetStream
	kv       jetstream.KeyValue
	mu       sync.RWMutex
	state    S
	position eventlog.Position
	origin   eventlog.Origin
	dirty    int
	// left are the events the state lacks, dead-lettered.
	left leftOut
	// failure is why the projection stopped following the log last, until
	// it folds (or dead-letters) the next event.
	failure string

	// rebuild is the progress of the rebuild running now, or of the last.
	rebuildMu  sync.Mutex
	rebuild    RebuildStatus
	rebuilding atomic.Bool
}

type snapshot[S any] struct {
	// Log is the log Position belongs to; empty in snapshots saved before
	// it was recorded, which are taken to belong to the log that reads them.
	Log      eventlog.Origin   `json:"log"`
	Position eventlog.Position `json:"position"`
	State    S                 `json:"state"`
	// DeadLetters are the events State lacks (absent when none).
	DeadLetters *leftOut `json:"dead_letters,omitempty"`
}

// parts names the keys that hold a snapshot too large for one value: the
// value under the projection's name is then {"parts": {...}} and the
// snapshot is the concatenation of keys "<name>.<generation>.<i>".
type parts struct {
	Parts *partsRef `json:"parts,omitempty"`
}

type partsRef struct {
	Generation string `json:"generation"`
	Count      int    `json:"count"`
}

// partSize is the most one KV value of a snapshot holds: under a NATS
// server's default max_payload (1 MiB), with room for headers.
const partSize = 512 << 10

// BucketName is the KV bucket holding projection snapshots.
const BucketName = "projections"

// BucketConfig is the snapshots bucket as the operator provisions it (see
// package provision).
func BucketConfig() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{Bucket: BucketName, History: 1, Storage: jetstream.FileStorage}
}

// New prepares a projection over the log with snapshots in the KV bucket,
// which the operator provisioned (New never creates it).
func New[S State](ctx context.Context, log eventlog.Log, js jetstream.JetStream, initial S, opts Options) (*Projection[S], error) {
	if opts.SnapshotInterval <= 0 {
		opts.SnapshotInterval = time.Second
	}
	kv, err := js.KeyValue(ctx, BucketName)
	if err != nil {
		return nil, fmt.Errorf("projection %s: bucket %s (run complaintctl provision as the operator): %w", opts.Name, BucketName, err)
	}
	origin, err := eventlog.OriginOf(ctx, log)
	if err != nil {
		return nil, fmt.Errorf("projection %s: %w", opts.Name, err)
	}
	p := &Projection[S]{opts: opts, log: log, js: js, kv: kv, state: initial, origin: origin}
	entry, err := kv.Get(ctx, opts.Name)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return nil, fmt.Errorf("projection %s: load snapshot: %w", opts.Name, err)
	default:
		data, err := p.assemble(ctx, entry.Value())
		if err != nil {
			return nil, fmt.Errorf("projection %s: snapshot unreadable (delete key %q in bucket %q to rebuild): %w", opts.Name, opts.Name, BucketName, err)
		}
		snap := snapshot[S]{State: initial}
		if err := json.Unmarshal(data, &snap); err != nil {
			return nil, fmt.Errorf("projection %s: snapshot unreadable (delete key %q in bucket %q to rebuild): %w", opts.Name, opts.Name, BucketName, err)
		}
		if err := checkpoint.Check(BucketName, opts.Name, snap.Log, snap.Position, origin); err != nil {
			return nil, fmt.Errorf("projection %s: %w", opts.Name, err)
		}
		p.state, p.position = snap.State, snap.Position
		if snap.DeadLetters != nil {
			p.left = *snap.DeadLetters
		}
	}
	return p, nil
}

// Run follows the log until ctx is done, saving snapshots as it goes.
func (p *Projection[S]) Run(ctx context.Context) error {
	defer register(p.js.Conn(), p)()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 100*time.Millisecond, 10*time.Second
	_, _ = backoff.Retry(ctx, func() (struct{}, error) {
		err := p.follow(ctx)
		if ctx.Err() != nil {
			return struct{}{}, backoff.Permanent(ctx.Err())
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, next time.Duration) {
		slog.Error("projection stopped; resuming", "projection", p.opts.Name, "retry_in", next, "err", err)
		p.mu.Lock()
		p.failure = err.Error()
		p.mu.Unlock()
	}))
	p.save(context.WithoutCancel(ctx))
	return nil
}

func (p *Projection[S]) follow(ctx context.Context) error {
	p.mu.RLock()
	from := p.position
	p.mu.RUnlock()
	sub, err := p.log.Subscribe(ctx, from, p.opts.Filter, func(ctx context.Context, e eventlog.RecordedEvent) error {
		p.mu.Lock()
		if e.Position <= p.position {
			p.mu.Unlock()
			return nil
		}
		err := fold(p.state, e)
		if err == nil {
			p.position, p.failure = e.Position, ""
			p.dirty++
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		reason := permanentReason(err)
		if reason == "" {
			return err
		}
		// Readers are not held while the dead letter is written; only this
		// follower moves the position on.
		d, werr := p.writeDeadLetter(ctx, e, reason, err)
		if werr != nil {
			return werr
		}
		p.mu.Lock()
		p.left.add(d)
		p.position, p.failure = e.Position, ""
		p.dirty++
		p.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	tick := time.NewTicker(p.opts.SnapshotInterval)
	defer tick.Stop()
	for {
		select {
		case <-sub.Done():
			return sub.Err()
		case <-ctx.Done():
			sub.Stop()
			return ctx.Err()
		case <-tick.C:
			p.save(ctx)
		}
	}
}

func (p *Projection[S]) save(ctx context.Context) {
	p.mu.RLock()
	if p.dirty == 0 {
		p.mu.RUnlock()
		return
	}
	origin := p.origin
	snap := snapshot[S]{Log: origin, Position: p.position, State: p.state}
	if p.left.Count > 0 {
		left := p.left
		snap.DeadLetters = &left
	}
	data, err := json.Marshal(snap)
	dirty := p.dirty
	p.mu.RUnlock()
	if origin.ID == "" {
		// The log may have had no event to name it by when the projection
		// started: learn its identity now that it has some.
		if o, oerr := eventlog.OriginOf(ctx, p.log); oerr == nil && o.ID != "" {
			p.mu.Lock()
			p.origin = o
			p.mu.Unlock()
			p.save(ctx)
			return
		}
		// Saved without an identity, the snapshot could not be checked
		// when restored: keep it in memory until the log can name itself.
		slog.Warn("projection snapshot not saved: the log cannot name itself yet", "projection", p.opts.Name, "log", origin.String())
		return
	}
	if err != nil {
		slog.Error("projection snapshot", "projection", p.opts.Name, "err", err)
		return
	}
	if err := p.put(ctx, data); err != nil {
		slog.Warn("projection snapshot not saved", "projection", p.opts.Name, "err", err)
		return
	}
	p.mu.Lock()
	p.dirty -= dirty
	p.mu.Unlock()
}

// Read gives f the current state under a read lock, with the position it
// reflects.
func (p *Projection[S]) Read(f func(state S, position eventlog.Position)) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	f(p.state, p.position)
}

// assemble returns the snapshot held by value, reading its parts when it
// was saved in several.
func (p *Projection[S]) assemble(ctx context.Context, value []byte) ([]byte, error) {
	var ref parts
	if err := json.Unmarshal(value, &ref); err != nil || ref.Parts == nil {
		return value, nil
	}
	var out []byte
	for i := range ref.Parts.Count {
		e, err := p.kv.Get(ctx, partKey(p.opts.Name, ref.Parts.Generation, i))
		if err != nil {
			return nil, fmt.Errorf("part %d of %d: %w", i+1, ref.Parts.Count, err)
		}
		out = append(out, e.Value()...)
	}
	return out, nil
}

func partKey(name, generation string, i int) string {
	return fmt.Sprintf("%s.%s.%d", name, generation, i)
}

// put saves a snapshot: in one value when it fits, otherwise in parts of a
// new generation followed by the value naming them, so a reader sees
// either the old snapshot or the new one whole. The old generation's parts
// are purged afterwards.
func (p *Projection[S]) put(ctx context.Context, data []byte) error {
	old := p.previousParts(ctx)
	if len(data) <= partSize {
		if _, err := p.kv.Put(ctx, p.opts.Name, data); err != nil {
			return err
		}
	} else {
		gen := strconv.FormatInt(time.Now().UnixNano(), 36)
		n := 0
		for off := 0; off < len(data); off += partSize {
			end := min(off+partSize, len(data))
			if _, err := p.kv.Put(ctx, partKey(p.opts.Name, gen, n), data[off:end]); err != nil {
				return err
			}
			n++
		}
		ref, err := json.Marshal(parts{Parts: &partsRef{Generation: gen, Count: n}})
		if err != nil {
			return err
		}
		if _, err := p.kv.Put(ctx, p.opts.Name, ref); err != nil {
			return err
		}
	}
	if old != nil {
		for i := range old.Count {
			_ = p.kv.Purge(ctx, partKey(p.opts.Name, old.Generation, i))
		}
	}
	return nil
}

func (p *Projection[S]) previousParts(ctx context.Context) *partsRef {
	e, err := p.kv.Get(ctx, p.opts.Name)
	if err != nil || len(e.Value()) > 256 {
		return nil
	}
	var ref parts
	if json.Unmarshal(e.Value(), &ref) != nil {
		return nil
	}
	return ref.Parts
}
