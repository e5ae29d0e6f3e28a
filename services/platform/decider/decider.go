// Package decider is the shape of every aggregate's pure logic, after the
// functional "decider" pattern: Decide says which events a command produces
// in a state (or why it is refused), Evolve folds one event into the state,
// and Initial is the state before any event.
//
// The package is a leaf: it imports only the standard library and protobuf,
// so domain packages that use it link neither the event log, NATS nor any
// id generator.
package decider

import "google.golang.org/protobuf/proto"

// Decider is an aggregate's pure logic. S is its state, C its command type:
// a sealed interface that only the aggregate's commands implement. Neither
// function may do I/O or read a clock: time comes in on the command.
type Decider[S, C any] struct {
	Initial func() S
	Decide  func(cmd C, state S) ([]proto.Message, error)
	Evolve  func(state S, event proto.Message) S
}

// Fold evolves the initial state through events.
func (d Decider[S, C]) Fold(events []proto.Message) S {
	s := d.Initial()
	for _, e := range events {
		s = d.Evolve(s, e)
	}
	return s
}
