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
	// retried command appends nothing new (the log de-duplicates by id).
	IdempotencyKey string
}

// Result is the outcome of a handled command.
type Result[S any] struct {
	State    S
	Revision eventlog.Revision
	// Events are the events this command appended; empty when the command
	// changed nothing (already done).
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
}

// ErrNotFound is returned by Load for an aggregate with no event.
var ErrNotFound = errors.New("not found")

// Load reads an aggregate's stream and folds it. It returns ErrNotFound when
// the stream has no event.
func (r *Repository[S, C]) Load(ctx context.Context, id string) (S, eventlog.Revision, error) {
	state, rev, exists, err := r.load(ctx, id)
	if err == nil && !exists {
		err = ErrNotFound
	}
	return state, rev, err
}

func (r *Repository[S, C]) load(ctx context.Context, id string) (S, eventlog.Revision, bool, error) {
	state := r.Decider.Initial()
	recorded, err := r.Log.ReadStream(ctx, eventlog.StreamName(r.Category, id), eventlog.FromStart)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return state, 0, false, nil
	}
	if err != nil {
		return state, 0, false, err
	}
	var rev eventlog.Revision
	for _, e := range recorded {
		m, err := Decode(e)
		if err != nil {
			return state, 0, false, err
		}
		state = r.Decider.Evolve(state, m)
		rev = e.Revision
	}
	return state, rev, len(recorded) > 0, nil
}

// Handle runs a command against aggregate id: load, decide, append with the
// expected revision, and retry from a fresh load when another writer got
// there first. Decider errors are returned as they are.
func (r *Repository[S, C]) Handle(ctx context.Context, id string, cmd Command[C]) (Result[S], error) {
	attempts := r.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	stream := eventlog.StreamName(r.Category, id)
	var lastErr error
	for range attempts {
		state, rev, exists, err := r.load(ctx, id)
		if err != nil {
			return Result[S]{}, err
		}
		events, err := r.Decider.Decide(cmd.Body, state)
		if err != nil {
			return Result[S]{State: state, Revision: rev}, err
		}
		if len(events) == 0 {
			return Result[S]{State: state, Revision: rev}, nil
		}
		data, err := r.encode(ctx, cmd, events)
		if err != nil {
			return Result[S]{}, err
		}
		expected := eventlog.NoStream()
		if exists {
			expected = eventlog.Exact(rev)
		}
		res, err := r.Log.Append(ctx, stream, expected, data...)
		if eventlog.IsWrongExpectedVersion(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return Result[S]{}, err
		}
		for _, e := range events {
			state = r.Decider.Evolve(state, e)
		}
		return Result[S]{State: state, Revision: res.NextRevision, Events: events, Recorded: data}, nil
	}
	return Result[S]{}, fmt.Errorf("%s: gave up after %d concurrent changes: %w", stream, attempts, lastErr)
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
