package es

import (
	"context"
	"errors"
	"sync"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Cache keeps the aggregates a Repository's Handle has loaded, so that the
// next command on one reads only the events appended since. It is for a few
// long, busy streams, such as a month's redress budget, which every
// resolution with goodwill changes: read whole, each command's load grows
// with the month.
//
// With a cache, commands on one aggregate run one at a time in the process
// (other processes still race through the exact revision, and the loser
// reads the winner's events and decides again). Load does not use it.
type Cache[S any] struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry[S]
}

// NewCache returns an empty cache.
func NewCache[S any]() *Cache[S] { return &Cache[S]{entries: map[string]*cacheEntry[S]{}} }

type cacheEntry[S any] struct {
	mu sync.Mutex
	// agg is the aggregate as the log held it at agg.rev; loaded says agg
	// holds anything yet.
	agg    loaded[S]
	loaded bool
}

func (c *Cache[S]) entry(id string) *cacheEntry[S] {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		e = &cacheEntry[S]{}
		c.entries[id] = e
	}
	return e
}

// catchUp brings the entry up to the log: the events after the revision it
// holds, folded into its state. The caller holds e.mu.
func (r *Repository[S, C]) catchUp(ctx context.Context, id string, e *cacheEntry[S]) (loaded[S], error) {
	if !e.loaded {
		e.agg = loaded[S]{state: r.Decider.Initial(), ids: map[string]bool{}}
	}
	after := eventlog.FromStart
	if e.agg.exists {
		after = e.agg.rev
	}
	recorded, err := r.Log.ReadStream(ctx, eventlog.StreamName(r.Category, id), after)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		recorded, err = nil, nil
	}
	if err != nil {
		e.loaded = false
		return loaded[S]{}, err
	}
	for _, rec := range recorded {
		m, err := Decode(rec)
		if err != nil {
			e.loaded = false
			return loaded[S]{}, err
		}
		e.agg.state = r.Decider.Evolve(e.agg.state, m)
		e.agg.rev = rec.Revision
		e.agg.ids[rec.ID] = true
		e.agg.exists = true
	}
	e.loaded = true
	return e.agg, nil
}

// remember records a successful append in the entry. The caller holds e.mu.
func (e *cacheEntry[S]) remember(state S, rev eventlog.Revision, data []eventlog.EventData) {
	e.agg.state, e.agg.rev, e.agg.exists = state, rev, true
	for _, d := range data {
		e.agg.ids[d.ID] = true
	}
}
