// Package decidertest specifies deciders given/when/then: given these past
// events, when this command arrives, then these events (or this error)
// follow, and the aggregate is in this state. No I/O.
//
//	decidertest.For(t, domain.Decider).
//		Given(received).
//		When(domain.Acknowledge{...}).
//		Then(acknowledged).
//		ThenState(func(t testing.TB, c domain.Complaint) { ... })
package decidertest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Spec is one given/when/then case for a decider.
type Spec[S, C any] struct {
	t       testing.TB
	decider decider.Decider[S, C]
	given   []proto.Message
}

// For starts a specification of decider d.
func For[S, C any](t testing.TB, d decider.Decider[S, C]) *Spec[S, C] {
	return &Spec[S, C]{t: t, decider: d}
}

// Given sets the events that have already happened.
func (s *Spec[S, C]) Given(events ...proto.Message) *Spec[S, C] {
	s.given = events
	return s
}

// When runs the command and returns the outcome to check.
func (s *Spec[S, C]) When(cmd C) *Outcome[S, C] {
	state := s.decider.Fold(s.given)
	events, err := s.decider.Decide(cmd, state)
	return &Outcome[S, C]{t: s.t, decider: s.decider, before: state, events: events, err: err}
}

// Outcome is what the decider decided.
type Outcome[S, C any] struct {
	t       testing.TB
	decider decider.Decider[S, C]
	before  S
	events  []proto.Message
	err     error
}

// Then checks that exactly these events were decided.
func (o *Outcome[S, C]) Then(want ...proto.Message) *Outcome[S, C] {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("expected events, got error: %v", o.err)
	}
	if len(want) == 0 && len(o.events) == 0 {
		return o
	}
	if diff := cmp.Diff(want, o.events, protocmp.Transform()); diff != "" {
		o.t.Fatalf("decided events differ (-want +got):\n%s", diff)
	}
	return o
}

// ThenNothing checks that the command changed nothing (it was already done).
func (o *Outcome[S, C]) ThenNothing() *Outcome[S, C] {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("expected no events, got error: %v", o.err)
	}
	if len(o.events) != 0 {
		o.t.Fatalf("expected no events, got %d: %v", len(o.events), o.events)
	}
	return o
}

// ThenError checks that the command was refused with target (errors.Is).
func (o *Outcome[S, C]) ThenError(target error) {
	o.t.Helper()
	if o.err == nil {
		o.t.Fatalf("expected error %v, got events %v", target, o.events)
	}
	if !errors.Is(o.err, target) {
		o.t.Fatalf("expected error %v, got %v", target, o.err)
	}
}

// ThenState checks the state after the decided events are folded into the
// state the given events built. check reports what is wrong with t.
func (o *Outcome[S, C]) ThenState(check func(t testing.TB, s S)) *Outcome[S, C] {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("expected a state, got error: %v", o.err)
	}
	check(o.t, o.State())
	return o
}

// ThenStateEquals checks the resulting state against want, compared with
// go-cmp (protobuf messages inside the state compared as messages).
func (o *Outcome[S, C]) ThenStateEquals(want S, opts ...cmp.Option) *Outcome[S, C] {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("expected a state, got error: %v", o.err)
	}
	opts = append(opts, protocmp.Transform())
	if diff := cmp.Diff(want, o.State(), opts...); diff != "" {
		o.t.Fatalf("resulting state differs (-want +got):\n%s", diff)
	}
	return o
}

// State is the state after the decided events.
func (o *Outcome[S, C]) State() S {
	s := o.before
	for _, e := range o.events {
		s = o.decider.Evolve(s, e)
	}
	return s
}

// Events returns the decided events for custom checks.
func (o *Outcome[S, C]) Events() ([]proto.Message, error) { return o.events, o.err }
