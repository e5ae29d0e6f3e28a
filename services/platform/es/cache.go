package es

import (
	"container/list"
	"context"
	"errors"
	"sync"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// DefaultCacheSize is how many aggregates a cache holds unless told
// otherwise.
const DefaultCacheSize = 10_000

// Cache keeps the aggregates a Repository's Handle has seen, each with the
// revision it was read or written at, so that the next command on one reads
// nothing: Handle decides on the state in memory and appends with the exact
// revision it holds. The log refuses that append when someone else (another
// instance, another process) wrote since; Handle then reads only the events
// after that revision, folds them in and decides again. A decision that
// appends nothing (a refusal, nothing to do, a retried command) cannot be
// checked by an append: Handle reads what is new before answering it.
//
// With a cache, commands on one aggregate run one at a time in the process.
// Load does not use it.
//
// The cache holds at most its size in aggregates, letting go of the least
// recently used; an aggregate let go is read whole at its next command. An
// aggregate a command is working on is never let go, so while more commands
// than the size run at once the cache briefly holds more. Each aggregate
// costs its state and the ids of its events (kept to recognise a retried
// command).
//
// The state a cached Handle returns shares memory with the cache, and the
// next command folds its events into that state: a repository may have a
// cache only if its Evolve changes no memory an earlier state shares (it
// copies a slice or map before changing an element, and only appends).
type Cache[S any] struct {
	size    int
	mu      sync.Mutex
	entries map[string]*list.Element // of *cacheEntry[S]
	recent  list.List                // most recently used first
}

// NewCache returns an empty cache of at most size aggregates;
// DefaultCacheSize when size is not positive.
func NewCache[S any](size int) *Cache[S] {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache[S]{size: size, entries: map[string]*list.Element{}}
}

// Len is the number of aggregates the cache holds.
func (c *Cache[S]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

type cacheEntry[S any] struct {
	id string
	// users counts the commands holding the entry; guarded by Cache.mu.
	users int

	mu sync.Mutex
	// agg is the aggregate as the log held it at agg.rev; loaded says agg
	// holds anything yet.
	agg    loaded[S]
	loaded bool
}

// acquire returns id's entry, kept until release.
func (c *Cache[S]) acquire(id string) *cacheEntry[S] {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if ok {
		c.recent.MoveToFront(el)
	} else {
		el = c.recent.PushFront(&cacheEntry[S]{id: id})
		c.entries[id] = el
	}
	e := el.Value.(*cacheEntry[S])
	e.users++
	c.trim()
	return e
}

// release lets go of an entry acquire returned.
func (c *Cache[S]) release(e *cacheEntry[S]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.users--
	c.trim()
}

// trim lets go of the least recently used entries no command holds until
// the cache is within its size. The caller holds c.mu.
func (c *Cache[S]) trim() {
	for el := c.recent.Back(); el != nil && len(c.entries) > c.size; {
		prev := el.Prev()
		if e := el.Value.(*cacheEntry[S]); e.users == 0 {
			c.recent.Remove(el)
			delete(c.entries, e.id)
		}
		el = prev
	}
}

// catchUp brings the entry up to the log: the events after the revision it
// holds, folded into its state. It returns how many there were. The caller
// holds e.mu.
func (r *Repository[S, C]) catchUp(ctx context.Context, id string, e *cacheEntry[S]) (int, error) {
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
		return 0, err
	}
	for _, rec := range recorded {
		m, err := Decode(rec)
		if err != nil {
			e.loaded = false
			return 0, err
		}
		e.agg.state = r.Decider.Evolve(e.agg.state, m)
		e.agg.rev = rec.Revision
		e.agg.ids[rec.ID] = true
		e.agg.exists = true
	}
	e.loaded = true
	return len(recorded), nil
}

// remember records a successful append in the entry. The caller holds e.mu.
func (e *cacheEntry[S]) remember(state S, rev eventlog.Revision, data []eventlog.EventData) {
	e.agg.state, e.agg.rev, e.agg.exists = state, rev, true
	for _, d := range data {
		e.agg.ids[d.ID] = true
	}
}
