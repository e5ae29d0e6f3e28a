package adapters

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/projection"
)

// Rebuildable is a projection the registry operates.
type Rebuildable interface {
	Status() projection.Status
	// StartRebuild starts a rebuild in the background; done yields its
	// outcome.
	StartRebuild(ctx context.Context) (done <-chan error, err error)
}

// Registry holds the service's projections by name; it is the app's
// Projections. Rebuilds run in the background until the context given to
// Start ends.
type Registry struct {
	mu     sync.Mutex
	ctx    context.Context
	byName map[string]Rebuildable
}

// NewRegistry registers projections under their names.
func NewRegistry(ps ...Rebuildable) *Registry {
	r := &Registry{ctx: context.Background(), byName: map[string]Rebuildable{}}
	for _, p := range ps {
		r.byName[p.Status().Name] = p
	}
	return r
}

// Start sets the context rebuilds run under.
func (r *Registry) Start(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
}

func wire(s projection.Status) api.ProjectionStatus {
	b := s.Rebuild
	out := api.ProjectionStatus{Name: s.Name, Position: uint64(s.Position), DeadLetters: s.DeadLetters.Count, Error: s.Error,
		Rebuild: api.ProjectionRebuild{
			Running: b.Running, StartedAt: b.StartedAt, FinishedAt: b.FinishedAt, Applied: b.Applied,
			Position: uint64(b.Position), Target: uint64(b.Target), EventsPerSecond: b.EventsPerSecond,
			DeadLetters: b.DeadLetters, Error: b.Error,
		}}
	if d := s.DeadLetters.Last; d != nil {
		out.LastDeadLetter = &api.ProjectionDeadLetter{Position: uint64(d.Position), EventID: d.EventID,
			EventType: d.EventType, Reason: d.Reason, Error: d.Error, At: d.At}
	}
	return out
}

// List implements app.Projections.
func (r *Registry) List() []api.ProjectionStatus {
	out := make([]api.ProjectionStatus, 0, len(r.byName))
	for _, p := range r.byName {
		out = append(out, wire(p.Status()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Status implements app.Projections.
func (r *Registry) Status(name string) (api.ProjectionStatus, bool) {
	p, ok := r.byName[name]
	if !ok {
		return api.ProjectionStatus{}, false
	}
	return wire(p.Status()), true
}

// Rebuild implements app.Projections: it starts the rebuild and returns
// the status it starts from. A rebuild already running is not an error: the
// caller follows that one.
func (r *Registry) Rebuild(name string) (api.ProjectionStatus, bool, error) {
	p, ok := r.byName[name]
	if !ok {
		return api.ProjectionStatus{}, false, nil
	}
	r.mu.Lock()
	ctx := r.ctx
	r.mu.Unlock()
	done, err := p.StartRebuild(ctx)
	if errors.Is(err, projection.ErrRebuildRunning) {
		return wire(p.Status()), true, nil
	}
	if err != nil {
		return api.ProjectionStatus{}, true, err
	}
	go func() {
		if err := <-done; err != nil {
			slog.Error("projection rebuild failed", "projection", name, "err", err)
		}
	}()
	return wire(p.Status()), true, nil
}
