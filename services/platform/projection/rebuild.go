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
}

// errReplayDone ends a replay's subscription once it has reached its end.
var errReplayDone = errors.New("projection: replay done")

// Replay folds into state the events of log that match filter, after
// position after and up to and including position upTo, and returns the
// position reached. It does not follow the log past upTo: it is how a
// projection is rebuilt from scratch, or built as it stood at an earlier
// instant, beside the live one.
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
			if err := state.Apply(e); err != nil {
				return err
			}
			applied++
			if o.Progress != nil {
				o.Progress(applied, e.Position)
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
	Error           string  `json:"error,omitempty"`
}

// Status is a projection's state: where it is in the log, and its rebuild.
type Status struct {
	Name     string            `json:"name"`
	Position eventlog.Position `json:"position"`
	Rebuild  RebuildStatus     `json:"rebuild"`
}

// Status reports where the projection is and how its rebuild goes.
func (p *Projection[S]) Status() Status {
	p.mu.RLock()
	pos := p.position
	p.mu.RUnlock()
	p.rebuildMu.Lock()
	defer p.rebuildMu.Unlock()
	r := p.rebuild
	if r.Running && !r.StartedAt.IsZero() {
		if s := time.Since(r.StartedAt).Seconds(); s > 0 {
			r.EventsPerSecond = float64(r.Applied) / s
		}
	}
	return Status{Name: p.opts.Name, Position: pos, Rebuild: r}
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
	reached, err := Replay(ctx, p.log, p.opts.Filter, fresh, eventlog.Beginning, target, ReplayOptions{Progress: counted})
	if err == nil {
		p.mu.Lock()
		base := total
		var more eventlog.Position
		more, err = Replay(ctx, p.log, p.opts.Filter, fresh, reached, p.position, ReplayOptions{Progress: func(applied uint64, at eventlog.Position) {
			total = base + applied
		}})
		if err == nil {
			p.state, p.position, reached = fresh, max(more, p.position), max(more, p.position)
			p.dirty++
		}
		p.mu.Unlock()
	}
	done := RebuildStatus{StartedAt: started, FinishedAt: time.Now(), Applied: total, Position: reached, Target: target}
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
