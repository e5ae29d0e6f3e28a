// Package domain holds the rules of a complaint's clocks (stream
// "clock-<complaint id>"): every clock of the complaint's regime and the
// company's service levels start when the complaint is received; internal
// clocks pause while the company waits for the customer, regulatory ones
// never; each clock warns before its due time, breaches at it, or is met by
// what it waits for; when the complaint is closed, every clock still running
// or paused stops for good. Pure: no I/O, no clock (time comes in on commands).
package domain

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/regime"
)

// Category is the stream category of clocks: "clock-<complaint id>".
const Category = "clock"

// ExceptionalSuffix names the clock that starts when a clock with an
// exceptional extension breaches: "final-response-exceptional".
const ExceptionalSuffix = "-exceptional"

// Status is where one clock stands.
type Status int

const (
	// Running: counting down to its due time.
	Running Status = iota + 1
	// Paused: an internal clock while the company waits for the customer.
	Paused
	// Met: what it waits for happened (late if after a breach).
	Met
	// Breached: its due time passed first.
	Breached
	// Stopped: the complaint was closed while it ran or was paused; it
	// neither warns nor breaches afterwards.
	Stopped
)

func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Paused:
		return "paused"
	case Met:
		return "met"
	case Breached:
		return "breached"
	case Stopped:
		return "stopped"
	default:
		return "unknown"
	}
}

// Clock is one clock's state.
type Clock struct {
	Name   string
	Kind   complaintsv1.ClockKind
	MetBy  string
	Status Status
	// StartedAt, Due and WarnAt as last started or resumed.
	StartedAt, Due, WarnAt time.Time
	Warned                 bool
	// PausedAt and PausedFor (the information request) while paused.
	PausedAt  time.Time
	PausedFor string
	// Paused is the total time the clock has been paused.
	PausedTotal time.Duration
	MetAt       time.Time
	BreachedAt  time.Time
	StoppedAt   time.Time
	Late        bool
	// From ClockStarted.
	HoldingResponse   bool
	Window            bool
	Calendar          string
	ExceptionalDue    time.Time
	ExceptionalWarnAt time.Time
}

// AggregateStatus is where a complaint's clocks stand as a whole.
type AggregateStatus int

const (
	// NotStarted: no clock yet (the complaint's receipt not yet seen).
	NotStarted AggregateStatus = iota
	// Started: the regime's clocks run (some may have stopped).
	Started
	// Closed: the complaint was closed and its clocks stopped (ClockStopped);
	// no command moves them again (a late timer firing does nothing). A
	// closure that finds no clock running or paused leaves them Started:
	// none of them waits for anything.
	Closed
)

// Clocks is the clock aggregate's state: a complaint's clocks in start order.
type Clocks struct {
	Status      AggregateStatus
	ComplaintID string
	Regime      string
	Reference   string
	Product     string
	CustomerID  string
	Clocks      []Clock
}

// Clock returns the clock called name.
func (s Clocks) Clock(name string) (Clock, bool) {
	for _, c := range s.Clocks {
		if c.Name == name {
			return c, true
		}
	}
	return Clock{}, false
}

// ClockCommand is a command the clock decider accepts.
type ClockCommand interface{ isClockCommand() }

// StartClocks starts the clocks of a received complaint's regime.
type StartClocks struct {
	ComplaintID string
	// Regime is the complaint's regime; "" or one the policy lacks runs the
	// policy's default regime (ClockStarted.regime says which ran).
	Regime     string
	Reference  string
	Product    string
	CustomerID string
	ReceivedAt time.Time
	// AcknowledgedAt, when set, is when the complaint was acknowledged, known
	// with its receipt (intake acknowledges in the same append): the clocks
	// the acknowledgement meets are met in the same decision, so starting and
	// meeting them is one append, not two.
	AcknowledgedAt time.Time
}

// PauseClocks pauses the running internal clocks: the company has asked the
// customer something (an information request).
type PauseClocks struct {
	RequestID string
	At        time.Time
}

// ResumeClocks resumes the clocks paused for the request the customer has
// answered; their due times move by the time they were paused.
type ResumeClocks struct {
	RequestID string
	At        time.Time
}

// MeetClocks stops as met the clocks waiting for what happened: By is
// regime.MetByAcknowledged, MetByResolved or MetByHumanContact (a
// resolution also meets the final-response clocks).
type MeetClocks struct {
	By string
	At time.Time
}

// FireTimer is a clock's timer firing: its warning or its due time. Due is
// the due time the timer was set for; a firing for any other due time is
// stale and changes nothing.
type FireTimer struct {
	Clock   string
	Due     time.Time
	Warning bool
	At      time.Time
}

// StopClocks stops every clock still running or paused: the complaint was
// closed (follow-up's ComplaintClosed, whose reason Closure is).
type StopClocks struct {
	Closure string
	At      time.Time
}

// RestartClocks restarts, from At, the internal clocks that a resolution
// stopped (or that breached before it): the case was reopened. Regulatory
// clocks stay as they are: the regulator counts from the complaint's receipt.
type RestartClocks struct {
	Reason string
	At     time.Time
}

func (StartClocks) isClockCommand()   {}
func (PauseClocks) isClockCommand()   {}
func (ResumeClocks) isClockCommand()  {}
func (MeetClocks) isClockCommand()    {}
func (FireTimer) isClockCommand()     {}
func (RestartClocks) isClockCommand() {}
func (StopClocks) isClockCommand()    {}

// ErrNoRegime: the policy has neither the complaint's regime nor a default.
var ErrNoRegime = decider.Rejects("regime", "is not a regime of the regimes policy, and there is no default")

// Policy is what the clocks decide with.
type Policy struct {
	Regimes   regime.Policy
	Templates *notify.Templates
}

// NewDecider returns the clock decider for a policy.
func NewDecider(p Policy) decider.Decider[Clocks, ClockCommand] {
	return decider.Decider[Clocks, ClockCommand]{
		Initial: func() Clocks { return Clocks{} },
		Decide:  func(cmd ClockCommand, s Clocks) ([]proto.Message, error) { return decide(p, cmd, s) },
		Evolve:  evolve,
	}
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func kindOf(k string) complaintsv1.ClockKind {
	if k == regime.Regulatory {
		return complaintsv1.ClockKind_CLOCK_KIND_REGULATORY
	}
	return complaintsv1.ClockKind_CLOCK_KIND_INTERNAL
}

func decide(p Policy, cmd ClockCommand, s Clocks) ([]proto.Message, error) {
	switch c := cmd.(type) {
	case StartClocks:
		if s.Status != NotStarted {
			return nil, nil // started once; a redelivered receipt changes nothing
		}
		return start(p, c)
	}
	switch s.Status {
	case NotStarted:
		return nil, nil // nothing runs yet: an event before the receipt's clocks
	case Closed:
		return nil, nil // the complaint is closed: its clocks stopped for good
	}
	switch c := cmd.(type) {
	case PauseClocks:
		return pause(s, c), nil
	case ResumeClocks:
		return resume(s, c), nil
	case MeetClocks:
		return meet(s, c), nil
	case FireTimer:
		return fire(p, s, c)
	case RestartClocks:
		return restart(p, s, c), nil
	case StopClocks:
		return stop(s, c), nil
	}
	return nil, fmt.Errorf("clocks: unknown command %T", cmd)
}

func start(p Policy, c StartClocks) ([]proto.Message, error) {
	g, ok := p.Regimes.Named(c.Regime)
	if !ok {
		if g, ok = p.Regimes.Named(""); !ok {
			return nil, decider.Refusef(ErrNoRegime, "%q", c.Regime)
		}
	}
	var out []proto.Message
	for _, k := range g.AllClocks() {
		out = append(out, started(p, g.Name, k, c.ComplaintID, c.Reference, c.Product, c.CustomerID, c.ReceivedAt))
	}
	if c.AcknowledgedAt.IsZero() {
		return out, nil
	}
	s := Clocks{}
	for _, e := range out {
		s = evolve(s, e)
	}
	return append(out, meet(s, MeetClocks{By: regime.MetByAcknowledged, At: c.AcknowledgedAt})...), nil
}

func started(p Policy, regimeName string, k regime.Clock, complaintID, reference, product, customerID string, from time.Time) *complaintsv1.ClockStarted {
	due := k.Due(from)
	e := &complaintsv1.ClockStarted{
		ComplaintId: complaintID, Clock: k.Name, Kind: kindOf(k.Kind), Regime: regimeName,
		StartedAt: ts(from), Due: ts(due), WarnAt: ts(k.WarnAt(from, due)), MetBy: k.MetBy,
		DecidedBy: &complaintsv1.PolicyRef{Policy: "regimes", Version: p.Regimes.Regimes.Version, RuleId: regimeName + "/" + k.Name},
		Reference: reference, Product: product, CustomerId: customerID,
		HoldingResponse: k.SendsHoldingResponse(), Window: k.Window, Calendar: k.CalendarName(),
	}
	if x := k.ExceptionalDue(from); !x.IsZero() {
		e.ExceptionalDue, e.ExceptionalWarnAt = ts(x), ts(k.WarnAt(from, x))
	}
	return e
}

func pause(s Clocks, c PauseClocks) []proto.Message {
	var out []proto.Message
	for _, k := range s.Clocks {
		if k.Kind == complaintsv1.ClockKind_CLOCK_KIND_INTERNAL && k.Status == Running {
			out = append(out, &complaintsv1.ClockPaused{
				ComplaintId: s.ComplaintID, Clock: k.Name, PausedAt: ts(c.At),
				Reason: "waiting for the customer's answer", RequestId: c.RequestID,
			})
		}
	}
	return out
}

func resume(s Clocks, c ResumeClocks) []proto.Message {
	var out []proto.Message
	for _, k := range s.Clocks {
		if k.Status != Paused || (c.RequestID != "" && k.PausedFor != "" && k.PausedFor != c.RequestID) {
			continue
		}
		paused := c.At.Sub(k.PausedAt)
		if paused < 0 {
			paused = 0
		}
		out = append(out, &complaintsv1.ClockResumed{
			ComplaintId: s.ComplaintID, Clock: k.Name, ResumedAt: ts(c.At),
			Due: ts(k.Due.Add(paused)), WarnAt: ts(k.WarnAt.Add(paused)),
		})
	}
	return out
}

// meets says whether what happened (by) is what a clock waiting for metBy
// waits for.
func meets(by, metBy string) bool {
	switch by {
	case regime.MetByResolved, regime.MetByFinalResponse:
		return metBy == regime.MetByResolved || metBy == regime.MetByFinalResponse
	default:
		return by == metBy
	}
}

func meet(s Clocks, c MeetClocks) []proto.Message {
	var out []proto.Message
	for _, k := range s.Clocks {
		if !meets(c.By, k.MetBy) {
			continue
		}
		late := c.At.After(k.Due) // due, but its timer has not fired yet
		if k.Status == Paused {
			late = k.PausedAt.After(k.Due) // its time stopped when it paused
		}
		switch {
		case (k.Status == Running || k.Status == Paused) && k.Window && late:
			// The window closed before: its own timer reports it.
		case k.Status == Running || k.Status == Paused:
			out = append(out, &complaintsv1.ClockMet{ComplaintId: s.ComplaintID, Clock: k.Name, MetAt: ts(c.At), Late: late, MetBy: c.By})
		case k.Status == Breached && !k.Window:
			out = append(out, &complaintsv1.ClockMet{ComplaintId: s.ComplaintID, Clock: k.Name, MetAt: ts(c.At), Late: true, MetBy: c.By})
		}
	}
	return out
}

func fire(p Policy, s Clocks, c FireTimer) ([]proto.Message, error) {
	k, ok := s.Clock(c.Clock)
	if !ok || k.Status != Running || !k.Due.Equal(c.Due) {
		return nil, nil // stale: met, paused, breached, restarted or moved since
	}
	if c.Warning {
		if k.Warned {
			return nil, nil
		}
		return []proto.Message{&complaintsv1.ClockWarning{
			ComplaintId: s.ComplaintID, Clock: k.Name, Kind: k.Kind, Due: ts(k.Due), WarnedAt: ts(c.At),
		}}, nil
	}
	out := []proto.Message{&complaintsv1.ClockBreached{
		ComplaintId: s.ComplaintID, Clock: k.Name, Kind: k.Kind, Due: ts(k.Due), BreachedAt: ts(c.At),
		Regime: s.Regime, Window: k.Window,
	}}
	next := k.Due
	if !k.ExceptionalDue.IsZero() {
		next = k.ExceptionalDue
		out = append(out, &complaintsv1.ClockStarted{
			ComplaintId: s.ComplaintID, Clock: k.Name + ExceptionalSuffix, Kind: k.Kind, Regime: s.Regime,
			StartedAt: ts(k.StartedAt), Due: ts(k.ExceptionalDue), WarnAt: ts(k.ExceptionalWarnAt), MetBy: k.MetBy,
			DecidedBy: &complaintsv1.PolicyRef{Policy: "regimes", Version: p.Regimes.Regimes.Version, RuleId: s.Regime + "/" + k.Name},
			Reference: s.Reference, Product: s.Product, CustomerId: s.CustomerID, Calendar: k.Calendar,
		})
	}
	if k.HoldingResponse {
		if p.Templates == nil {
			return nil, errors.New("clocks: a holding response is due but no templates are loaded")
		}
		n, err := p.Templates.Request(notify.Message{
			ComplaintID: s.ComplaintID, CustomerID: s.CustomerID, Purpose: notify.HoldingResponse, Variant: s.Regime,
			Step: k.Name, At: c.At,
			Fields: map[string]any{"Reference": s.Reference, "Product": s.Product, "Due": next.Format("Monday 2 January 2006")},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func restart(p Policy, s Clocks, c RestartClocks) []proto.Message {
	g, ok := p.Regimes.Named(s.Regime)
	if !ok {
		return nil
	}
	var out []proto.Message
	for _, k := range s.Clocks {
		if k.Kind != complaintsv1.ClockKind_CLOCK_KIND_INTERNAL || !meets(regime.MetByResolved, k.MetBy) ||
			(k.Status != Met && k.Status != Breached) {
			continue
		}
		rule, ok := g.Clock(k.Name)
		if !ok {
			continue
		}
		out = append(out, started(p, s.Regime, rule, s.ComplaintID, s.Reference, s.Product, s.CustomerID, c.At))
	}
	return out
}

// stop stops the clocks still running or paused; met and breached ones stay
// as they are.
func stop(s Clocks, c StopClocks) []proto.Message {
	reason := "the complaint was closed"
	if c.Closure != "" {
		reason += " (" + c.Closure + ")"
	}
	var out []proto.Message
	for _, k := range s.Clocks {
		if k.Status == Running || k.Status == Paused {
			out = append(out, &complaintsv1.ClockStopped{ComplaintId: s.ComplaintID, Clock: k.Name, StoppedAt: ts(c.At), Reason: reason})
		}
	}
	return out
}

func at(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// evolve folds one event into the state; it copies the clocks it changes.
func evolve(s Clocks, e proto.Message) Clocks {
	set := func(name string, f func(*Clock)) {
		cs := make([]Clock, len(s.Clocks))
		copy(cs, s.Clocks)
		for i := range cs {
			if cs[i].Name == name {
				f(&cs[i])
			}
		}
		s.Clocks = cs
	}
	switch e := e.(type) {
	case *complaintsv1.ClockStarted:
		if s.Status == NotStarted {
			s.Status, s.ComplaintID, s.Regime = Started, e.ComplaintId, e.Regime
			s.Reference, s.Product, s.CustomerID = e.Reference, e.Product, e.CustomerId
		}
		k := Clock{
			Name: e.Clock, Kind: e.Kind, MetBy: e.MetBy, Status: Running,
			StartedAt: at(e.StartedAt), Due: at(e.Due), WarnAt: at(e.WarnAt),
			HoldingResponse: e.HoldingResponse, Window: e.Window, Calendar: e.Calendar,
			ExceptionalDue: at(e.ExceptionalDue), ExceptionalWarnAt: at(e.ExceptionalWarnAt),
		}
		if _, ok := s.Clock(e.Clock); ok {
			set(e.Clock, func(c *Clock) { *c = k })
		} else {
			s.Clocks = append(append([]Clock(nil), s.Clocks...), k)
		}
	case *complaintsv1.ClockPaused:
		set(e.Clock, func(c *Clock) { c.Status, c.PausedAt, c.PausedFor = Paused, at(e.PausedAt), e.RequestId })
	case *complaintsv1.ClockResumed:
		set(e.Clock, func(c *Clock) {
			c.PausedTotal += at(e.ResumedAt).Sub(c.PausedAt)
			c.Status, c.Due, c.WarnAt, c.PausedAt, c.PausedFor = Running, at(e.Due), at(e.WarnAt), time.Time{}, ""
		})
	case *complaintsv1.ClockWarning:
		set(e.Clock, func(c *Clock) { c.Warned = true })
	case *complaintsv1.ClockBreached:
		set(e.Clock, func(c *Clock) { c.Status, c.BreachedAt = Breached, at(e.BreachedAt) })
	case *complaintsv1.ClockMet:
		set(e.Clock, func(c *Clock) { c.Status, c.MetAt, c.Late = Met, at(e.MetAt), e.Late })
	case *complaintsv1.ClockStopped:
		set(e.Clock, func(c *Clock) {
			c.Status, c.StoppedAt, c.PausedAt, c.PausedFor = Stopped, at(e.StoppedAt), time.Time{}, ""
		})
		s.Status = Closed
	}
	return s
}
