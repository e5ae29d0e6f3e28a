package es

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Command carries what every command needs besides its own fields.
type Command[C any] struct {
	Body C
	// ComplaintID is the correlation id stamped on every event.
	ComplaintID string
	// CausationID is the event or request that caused the command.
	CausationID string
	// Actor is who asked for the command; it is stamped on every event.
	Actor eventlog.Actor
	// IdempotencyKey, when set, makes the event ids deterministic so that a
	// retried command appends nothing new: Handle leaves out the decided
	// events whose ids the stream already holds.
	IdempotencyKey string
}

// Result is the outcome of a handled command.
type Result[S any] struct {
	// State and Revision are the aggregate as the log holds it after the
	// command.
	State    S
	Revision eventlog.Revision
	// Events are the events this command appended; empty when it appended
	// nothing: the decider decided nothing, or the events it decided are
	// already in the stream (a retried command).
	Events []proto.Message
	// Recorded is the metadata under which the events were appended.
	Recorded []eventlog.EventData
}

// Repository loads and changes the aggregates of one stream category.
type Repository[S, C any] struct {
	Log      eventlog.Log
	Category string
	Service  string
	Decider  decider.Decider[S, C]
	// Metadata fills trace context into event metadata; may be nil.
	Metadata func(ctx context.Context, md *eventlog.Metadata)
	// MaxAttempts bounds retries after a concurrent writer won (default 5).
	MaxAttempts int
	// Cache, when set, keeps the aggregates Handle has seen so that a
	// command on one in memory reads nothing from the log unless someone
	// else wrote it since (see Cache). The state in a Result then shares
	// memory with the cache: read it, do not change it.
	Cache *Cache[S]
}

// ErrNotFound is returned by Load for an aggregate with no event.
var ErrNotFound = errors.New("not found")

// Load reads an aggregate's stream and folds it. It returns ErrNotFound when
// the stream has no event.
func (r *Repository[S, C]) Load(ctx context.Context, id string) (S, eventlog.Revision, error) {
	l, err := r.load(ctx, id, false)
	if err == nil && !l.exists {
		err = ErrNotFound
	}
	return l.state, l.rev, err
}

// loaded is an aggregate as read from its stream.
type loaded[S any] struct {
	state  S
	rev    eventlog.Revision
	exists bool
	ids    map[string]bool // ids of the stream's events, when asked for
}

func (r *Repository[S, C]) load(ctx context.Context, id string, withIDs bool) (loaded[S], error) {
	l := loaded[S]{state: r.Decider.Initial()}
	recorded, err := r.Log.ReadStream(ctx, eventlog.StreamName(r.Category, id), eventlog.FromStart)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	if withIDs {
		l.ids = make(map[string]bool, len(recorded))
	}
	for _, e := range recorded {
		m, err := Decode(e)
		if err != nil {
			return l, err
		}
		l.state = r.Decider.Evolve(l.state, m)
		l.rev = e.Revision
		if withIDs {
			l.ids[e.ID] = true
		}
	}
	l.exists = len(recorded) > 0
	return l, nil
}

// Handle runs a command against aggregate id: load, decide, append with the
// exact revision it decided on (NoStream for a new stream), and on a
// conflict load again and decide again. Decider errors are returned as they
// are.
//
// Handle, not the log, makes a retried command idempotent: with an
// IdempotencyKey the event ids are deterministic, and the decided events
// whose ids the loaded stream already holds are left out. When all are, the
// command was done before: nothing is appended and the result is the
// aggregate as the log holds it. Without a cache this holds on every log
// with no append relying on the log recognising an id. With a cache, the
// ids are those of the aggregate in memory; if another instance did the
// command since, the append at the revision in memory is either refused
// (and the stream read) or, carrying the same ids right after that
// revision, recognised by the log as a retry (see eventlog.Log.Append):
// either way nothing is written twice.
func (r *Repository[S, C]) Handle(ctx context.Context, id string, cmd Command[C]) (Result[S], error) {
	attempts := r.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	if r.Cache != nil {
		return r.handleCached(ctx, id, cmd, attempts)
	}
	stream := eventlog.StreamName(r.Category, id)
	var lastErr error
	for range attempts {
		agg, err := r.load(ctx, id, cmd.IdempotencyKey != "")
		if err != nil {
			return Result[S]{}, err
		}
		done := Result[S]{State: agg.state, Revision: agg.rev}
		events, data, refused, err := r.decide(ctx, cmd, agg)
		if err != nil {
			return Result[S]{}, err
		}
		if refused != nil || len(events) == 0 {
			return done, refused
		}
		res, err := r.Log.Append(ctx, stream, expectedOf(agg), data...)
		if eventlog.IsWrongExpectedVersion(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return Result[S]{}, err
		}
		state := agg.state
		for _, e := range events {
			state = r.Decider.Evolve(state, e)
		}
		return Result[S]{State: state, Revision: res.NextRevision, Events: events, Recorded: data}, nil
	}
	return Result[S]{}, fmt.Errorf("%s: gave up after %d concurrent changes: %w", stream, attempts, lastErr)
}

// handleCached is Handle with a cache: it reads the stream only when the
// aggregate is not in memory, when the log refused an append (someone else
// wrote since), and before answering a decision that appends nothing.
func (r *Repository[S, C]) handleCached(ctx context.Context, id string, cmd Command[C], attempts int) (Result[S], error) {
	stream := eventlog.StreamName(r.Category, id)
	cached := r.Cache.acquire(id)
	defer r.Cache.release(cached)
	cached.mu.Lock()
	defer cached.mu.Unlock()
	// read says the entry holds what the log held at a read made by this
	// command, after which nothing it saw was refused.
	read := false
	var lastErr error
	for range attempts {
		if !cached.loaded {
			if _, err := r.catchUp(ctx, id, cached); err != nil {
				return Result[S]{}, err
			}
			read = true
		}
		agg := cached.agg
		done := Result[S]{State: agg.state, Revision: agg.rev}
		events, data, refused, err := r.decide(ctx, cmd, agg)
		if err != nil {
			return Result[S]{}, err
		}
		if refused != nil || len(events) == 0 {
			if read {
				return done, refused
			}
			// Decided on memory alone, and no append will check it.
			news, rerr := r.catchUp(ctx, id, cached)
			if rerr != nil {
				return Result[S]{}, rerr
			}
			read = true
			if news == 0 {
				return done, refused
			}
			continue
		}
		res, err := r.Log.Append(ctx, stream, expectedOf(agg), data...)
		if eventlog.IsWrongExpectedVersion(err) {
			lastErr = err
			if _, err := r.catchUp(ctx, id, cached); err != nil {
				return Result[S]{}, err
			}
			read = true
			continue
		}
		if err != nil {
			cached.loaded = false // the append may or may not have landed
			return Result[S]{}, err
		}
		// The log may have recognised the append as a retry of one another
		// instance made on the same revision: then the same ids, decided on
		// the same state, are what it holds after agg.rev.
		state := agg.state
		for _, e := range events {
			state = r.Decider.Evolve(state, e)
		}
		cached.remember(state, res.NextRevision, data)
		return Result[S]{State: state, Revision: res.NextRevision, Events: events, Recorded: data}, nil
	}
	return Result[S]{}, fmt.Errorf("%s: gave up after %d concurrent changes: %w", stream, attempts, lastErr)
}

// decide runs the decider on agg and encodes what it decided, leaving out
// the events whose ids agg holds. refused is the decider's error, as it is;
// err is a failure to encode.
func (r *Repository[S, C]) decide(ctx context.Context, cmd Command[C], agg loaded[S]) (events []proto.Message, data []eventlog.EventData, refused, err error) {
	events, refused = r.Decider.Decide(cmd.Body, agg.state)
	if refused != nil {
		return nil, nil, refused, nil
	}
	data, err = r.encode(ctx, cmd, events)
	if err != nil {
		return nil, nil, nil, err
	}
	events, data = notIn(agg.ids, events, data)
	return events, data, nil, nil
}

func expectedOf[S any](agg loaded[S]) eventlog.ExpectedRevision {
	if agg.exists {
		return eventlog.Exact(agg.rev)
	}
	return eventlog.NoStream()
}

// notIn keeps the events whose ids are not in have.
func notIn(have map[string]bool, events []proto.Message, data []eventlog.EventData) ([]proto.Message, []eventlog.EventData) {
	if len(have) == 0 {
		return events, data
	}
	var keptE []proto.Message
	var keptD []eventlog.EventData
	for i, d := range data {
		if !have[d.ID] {
			keptE = append(keptE, events[i])
			keptD = append(keptD, d)
		}
	}
	return keptE, keptD
}

// eventIDNamespace derives deterministic event ids from idempotency keys.
var eventIDNamespace = uuid.MustParse("5b0c8a52-7f3e-4e1a-9c55-2f0d1c6b7a10")

func (r *Repository[S, C]) encode(ctx context.Context, cmd Command[C], events []proto.Message) ([]eventlog.EventData, error) {
	md := eventlog.Metadata{ComplaintID: cmd.ComplaintID, CausationID: cmd.CausationID, Service: r.Service, Actor: cmd.Actor}
	if r.Metadata != nil {
		r.Metadata(ctx, &md)
	}
	out := make([]eventlog.EventData, 0, len(events))
	for i, e := range events {
		var id string
		if cmd.IdempotencyKey != "" {
			id = uuid.NewSHA1(eventIDNamespace, []byte(r.Category+"/"+cmd.IdempotencyKey+"/"+strconv.Itoa(i)+"/"+TypeOf(e))).String()
		} else {
			id = uuid.Must(uuid.NewV7()).String()
		}
		d, err := Encode(id, e, md)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
