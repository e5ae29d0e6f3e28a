// Package estest specifies deciders given/when/then: given these past events,
// when this command arrives, then these events (or this error) follow. No I/O.
package estest

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/complaintflow/complaintflow/services/platform/es"
)

// Spec is one given/when/then case for a decider.
type Spec[S, C any] struct {
	t       testing.TB
	decider es.Decider[S, C]
	given   []proto.Message
}

// For starts a specification of decider d.
func For[S, C any](t testing.TB, d es.Decider[S, C]) *Spec[S, C] {
	return &Spec[S, C]{t: t, decider: d}
}

// Given sets the events that have already happened.
func (s *Spec[S, C]) Given(events ...proto.Message) *Spec[S, C] {
	s.given = events
	return s
}

// When runs the command and returns the outcome to check.
func (s *Spec[S, C]) When(cmd C) *Outcome {
	state := s.decider.Fold(s.given)
	events, err := s.decider.Decide(cmd, state)
	return &Outcome{t: s.t, events: events, err: err}
}

// Outcome is what the decider decided.
type Outcome struct {
	t      testing.TB
	events []proto.Message
	err    error
}

// Then checks that exactly these events were decided.
func (o *Outcome) Then(want ...proto.Message) {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("expected events, got error: %v", o.err)
	}
	if len(want) == 0 && len(o.events) == 0 {
		return
	}
	if diff := cmp.Diff(want, o.events, protocmp.Transform()); diff != "" {
		o.t.Fatalf("decided events differ (-want +got):\n%s", diff)
	}
}

// ThenNothing checks that the command changed nothing (it was already done).
func (o *Outcome) ThenNothing() {
	o.t.Helper()
	if o.err != nil {
		o.t.Fatalf("expected no events, got error: %v", o.err)
	}
	if len(o.events) != 0 {
		o.t.Fatalf("expected no events, got %d: %v", len(o.events), o.events)
	}
}

// ThenError checks that the command was refused with target (errors.Is).
func (o *Outcome) ThenError(target error) {
	o.t.Helper()
	if o.err == nil {
		o.t.Fatalf("expected error %v, got events %v", target, o.events)
	}
	if !errors.Is(o.err, target) {
		o.t.Fatalf("expected error %v, got %v", target, o.err)
	}
}

// Events returns the decided events for custom checks.
func (o *Outcome) Events() ([]proto.Message, error) { return o.events, o.err }
