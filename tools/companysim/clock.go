package companysim

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Clock is the simulated clock every service of the run reads.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// set moves the clock; it never goes back.
func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// item is something to do at a simulated time; seq keeps the order of
// items due at the same time.
type item struct {
	at  time.Time
	seq uint64
	do  func(context.Context) error
}

type agenda []*item

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if !a[i].at.Equal(a[j].at) {
		return a[i].at.Before(a[j].at)
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(*item)) }
func (a *agenda) Pop() any {
	old := *a
	it := old[len(old)-1]
	*a = old[:len(old)-1]
	return it
}

// Agenda orders what the run does in simulated time.
type Agenda struct {
	mu    sync.Mutex
	items agenda
	seq   uint64
}

// At adds f at t.
func (a *Agenda) At(t time.Time, f func(context.Context) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	heap.Push(&a.items, &item{at: t, seq: a.seq, do: f})
}

// next takes the earliest item.
func (a *Agenda) next() (*item, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.items) == 0 {
		return nil, false
	}
	return heap.Pop(&a.items).(*item), true
}

// Timers are the services' timers on the simulated clock: a timer fires
// when the run reaches its due time, a later schedule of the same timer
// supersedes it, a cancel drops it. They stand in for the JetStream message
// schedules, which fire on the wall clock.
type Timers struct {
	clock    *Clock
	agenda   *Agenda
	mu       sync.Mutex
	current  map[string]uint64
	gen      uint64
	handlers map[string]timer.Handler
	// Fired counts the firings delivered, by service.
	Fired map[string]int
}

func newTimers(c *Clock, a *Agenda) *Timers {
	return &Timers{clock: c, agenda: a, current: map[string]uint64{}, handlers: map[string]timer.Handler{}, Fired: map[string]int{}}
}

// handle sets the handler of a service's firings.
func (ts *Timers) handle(service string, h timer.Handler) { ts.handlers[service] = h }

// Schedule implements the services' timer ports.
func (ts *Timers) Schedule(_ context.Context, t timer.Timer) error {
	if t.Due.IsZero() {
		return fmt.Errorf("timer %s of %s has no due time", t.ID, t.Service)
	}
	key := t.Service + "/" + t.ID
	ts.mu.Lock()
	ts.gen++
	gen := ts.gen
	ts.current[key] = gen
	ts.mu.Unlock()
	due := t.Due
	if now := ts.clock.Now(); due.Before(now) {
		due = now
	}
	ts.agenda.At(due, func(ctx context.Context) error {
		ts.mu.Lock()
		live := ts.current[key] == gen
		if live {
			delete(ts.current, key)
		}
		ts.mu.Unlock()
		if !live {
			return nil
		}
		h := ts.handlers[t.Service]
		if h == nil {
			return fmt.Errorf("no handler of %s's timers", t.Service)
		}
		ts.mu.Lock()
		ts.Fired[t.Service]++
		ts.mu.Unlock()
		return h(ctx, timer.Fired{
			Service: t.Service, ID: t.ID, Due: t.Due, FireID: t.Service + "." + t.ID + "@" + t.Due.UTC().Format(time.RFC3339Nano),
			Kind: t.Kind, Command: t.Command, ComplaintID: t.ComplaintID, ScheduledBy: t.Actor, Delivery: 1,
		})
	})
	return nil
}

// Cancel implements the services' timer ports.
func (ts *Timers) Cancel(_ context.Context, service, id string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.current, service+"/"+id)
	return nil
}
