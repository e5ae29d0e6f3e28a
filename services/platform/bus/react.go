package bus

import (
	"context"
	"fmt"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Reaction is what one part of a service does with some event types: open
// a case on a received complaint, move the clocks, keep the queue. A
// service that reacts in several ways to the events of the same streams
// runs them on one durable (React), so that each event is delivered to it,
// acknowledged and its place written once, not once per reaction.
type Reaction struct {
	// Name says which reaction failed, in errors and logs.
	Name string
	// EventTypes are the types it handles; it never sees the others.
	EventTypes []string
	Handle     Handler
}

// React combines reactions into one handler, and gives the event types a
// Subscription running it should ask for. An event is handed to each
// reaction that wants its type, in the order given; the first error stops
// it, and the bus's retry hands the event to every one of them again, so
// each reaction must be idempotent, as every handler is. A permanent error
// of one reaction dead-letters the event for all of them: a re-drive hands
// it to each again.
func React(reactions ...Reaction) (eventTypes []string, h Handler) {
	byType := map[string][]Reaction{}
	for _, r := range reactions {
		for _, t := range r.EventTypes {
			if len(byType[t]) == 0 {
				eventTypes = append(eventTypes, t)
			}
			byType[t] = append(byType[t], r)
		}
	}
	return eventTypes, func(ctx context.Context, e eventlog.RecordedEvent) error {
		for _, r := range byType[e.Type] {
			if err := r.Handle(ctx, e); err != nil {
				return fmt.Errorf("%s: %w", r.Name, err)
			}
		}
		return nil
	}
}
