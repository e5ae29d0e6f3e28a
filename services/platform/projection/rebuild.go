package projection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// Until, if set, ends the replay (without error) at the first event it
	// returns true for; that event is not folded in.
	Until func(e eventlog.RecordedEvent) bool
	// Skip, if set, leaves out the events it returns true for.
	Skip func(e eventlog.RecordedEvent) bool
	// Progress, if set, is told after every folded event how many were
	// folded so far and the position reached.
	Progress func(applied uint64, at eventlog.Position)
	// LeftOut, if set, is told of every event whose fold failed
	// permanently (see State), with the reason as the dead letters name it;
	// an error it returns ends the replay. Such an event is left out either
	// way: the live projection has dead-lettered it.
	LeftOut func(e eventlog.RecordedEvent, reason string, err error) error
}

// errReplayDone ends a replay's subscription once it has reached its end.
var errReplayDone = errors.New("projection: replay done")

// Replay folds into state the events of log that match filter, after
// position after and up to and including position upTo, and returns the
// position reached. It does not follow the log past upTo: it is how a
// projection is rebuilt from scratch, or built as it stood at an earlier
// instant, beside the live one. An event whose fold fails permanently is
// left out (see ReplayOptions.LeftOut); any other failure ends the replay.
func Replay[S State](ctx context.Context, log eventlog.Log, filter eventlog.Filter, state S, after, upTo eventlog.Position, o ReplayOptions) (eventlog.Position, error) {
	if upTo <= after {
		return after, nil
	}
	reached := after
	var applied uint64
	sub, err := log.Subscribe(ctx, after, filter, func(_ context.Context, e eventlog.RecordedEvent) error {
		if o.Until != nil && o.Until(e) {
			return errReplayDone
		}
		if o.Skip == nil || !o.Skip(e) {
			err := fold(state, e)
			reason := permanentReason(err)
			switch {
			case err == nil:
				applied++
				if o.Progress != nil {
					o.Progress(applied, e.Position)
				}
			case reason == "":
				return err
			case o.LeftOut != nil:
				if err := o.LeftOut(e, reason, err); err != nil {
					return err
				}
			}
		}
		reached = e.Position
		if e.Position >= upTo {
			return errReplayDone
		}
		return nil
	})
	if err != nil {
		return after, err
	}
	select {
	case <-sub.Done():
	case <-ctx.Done():
		sub.Stop()
		return reached, ctx.Err()
	}
	if err := sub.Err(); err != nil && !errors.Is(err, errReplayDone) {
		return reached, err
	}
	if ctx.Err() != nil {
		return reached, ctx.Err()
	}
	return reached, nil
}

// RebuildStatus is the progress of a projection's rebuild.
type RebuildStatus struct {
	Running    bool              `json:"running"`
	StartedAt  time.Time         `json:"started_at,omitzero"`
	FinishedAt time.Time         `json:"finished_at,omitzero"`
	Applied    uint64            `json:"applied"`
	Position   eventlog.Position `json:"position"`
	Target     eventlog.Position `json:"target"`
	// EventsPerSecond is Applied over the time the rebuild has taken.
	EventsPerSecond float64 `json:"events_per_second"`
	// DeadLetters counts the events the rebuild left out, as they could
	// not be folded.
	DeadLetters uint64 `json:"dead_letters"`
	Error       string `json:"error,omitempty"`
}

// Status is a projection's state: where it is in the log, what its state
// lacks, and its rebuild.
type Status struct {
	Name     string            `json:"name"`
	Position eventlog.Position `json:"position"`
	// DeadLetters are the events the state lacks: they could never be
	// folded, and were written to the dead-letter stream.
	DeadLetters DeadLetters `json:"dead_letters"`
	// Error is why the projection stopped following the log last (a
	// transient failure: it tries again, with backoff), until it folds the
	// next event.
	Error   string        `json:"error,omitempty"`
	Rebuild RebuildStatus `json:"rebuild"`
}

// Status reports where the projection is and how its rebuild goes.
func (p *Projection[S]) Status() Status {
	p.mu.RLock()
	pos, left, failure := p.position, p.left.DeadLetters, p.failure
	p.mu.RUnlock()
	p.rebuildMu.Lock()
	defer p.rebuildMu.Unlock()
	r := p.rebuild
	if r.Running && !r.StartedAt.IsZero() {
		if s := time.Since(r.StartedAt).Seconds(); s > 0 {
			r.EventsPerSecond = float64(r.Applied) / s
		}
	}
	return Status{Name: p.opts.Name, Position: pos, DeadLetters: left, Error: failure, Rebuild: r}
}

// Name is the projection's name.
func (p *Projection[S]) Name() string { return p.opts.Name }

// Position is the log position the projection reflects.
func (p *Projection[S]) Position() eventlog.Position {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.position
}

// ErrRebuildRunning is returned by Rebuild while another rebuild runs.
var ErrRebuildRunning = errors.New("projection: a rebuild is already running")

// Rebuild folds the whole log again into fresh, beside the live state,
// which keeps answering meanwhile: up to the position the projection had
// reached when the rebuild started, then, with the live follower held,
// the few events it has folded since. fresh then replaces the live state
// and is saved as the snapshot. It returns when the rebuild is done.
func (p *Projection[S]) Rebuild(ctx context.Context, fresh S) error {
	done, err := p.StartRebuild(ctx, fresh)
	if err != nil {
		return err
	}
	return <-done
}

// StartRebuild starts Rebuild in the background: Status shows it running
// when StartRebuild returns, and done yields its outcome.
func (p *Projection[S]) StartRebuild(ctx context.Context, fresh S) (done <-chan error, err error) {
	if !p.rebuilding.CompareAndSwap(false, true) {
		return nil, ErrRebuildRunning
	}
	started := time.Now()
	target := p.Position()
	p.setRebuild(RebuildStatus{Running: true, StartedAt: started, Target: target})
	out := make(chan error, 1)
	go func() {
		defer p.rebuilding.Store(false)
		out <- p.rebuildFrom(ctx, fresh, started, target)
	}()
	return out, nil
}

func (p *Projection[S]) rebuildFrom(ctx context.Context, fresh S, started time.Time, target eventlog.Position) error {
	progress := func(applied uint64, at eventlog.Position) {
		if applied%1024 == 0 {
			p.rebuildMu.Lock()
			p.rebuild.Applied, p.rebuild.Position = applied, at
			p.rebuildMu.Unlock()
		}
	}
	var total uint64
	counted := func(applied uint64, at eventlog.Position) { total = applied; progress(applied, at) }
	// The events the fresh state lacks. Their dead letters are written
	// again only for those the live state did not lack already.
	var left leftOut
	p.mu.RLock()
	known := p.left
	p.mu.RUnlock()
	leftOutOf := func(e eventlog.RecordedEvent, reason string, err error) error {
		d := DeadLettered{Position: e.Position, EventID: e.ID, EventType: e.Type, Reason: reason, Error: err.Error(), At: time.Now().UTC()}
		if !known.has(e.Position) {
			var werr error
			if d, werr = p.writeDeadLetter(ctx, e, reason, err); werr != nil {
				return werr
			}
		}
		left.add(d)
		p.rebuildMu.Lock()
		p.rebuild.DeadLetters = left.Count
		p.rebuildMu.Unlock()
		return nil
	}
	reached, err := Replay(ctx, p.log, p.opts.Filter, fresh, eventlog.Beginning, target, ReplayOptions{Progress: counted, LeftOut: leftOutOf})
	if err == nil {
		p.mu.Lock()
		known = p.left
		base := total
		var more eventlog.Position
		more, err = Replay(ctx, p.log, p.opts.Filter, fresh, reached, p.position, ReplayOptions{Progress: func(applied uint64, at eventlog.Position) {
			total = base + applied
		}, LeftOut: leftOutOf})
		if err == nil {
			p.state, p.position, reached = fresh, max(more, p.position), max(more, p.position)
			p.left = left
			p.dirty++
		}
		p.mu.Unlock()
	}
	done := RebuildStatus{StartedAt: started, FinishedAt: time.Now(), Applied: total, Position: reached, Target: target, DeadLetters: left.Count}
	if s := done.FinishedAt.Sub(started).Seconds(); s > 0 {
		done.EventsPerSecond = float64(total) / s
	}
	if err != nil {
		done.Error = err.Error()
		p.setRebuild(done)
		return fmt.Errorf("projection %s: rebuild: %w", p.opts.Name, err)
	}
	p.setRebuild(done)
	p.save(context.WithoutCancel(ctx))
	return nil
}

func (p *Projection[S]) setRebuild(s RebuildStatus) {
	p.rebuildMu.Lock()
	p.rebuild = s
	p.rebuildMu.Unlock()
}
