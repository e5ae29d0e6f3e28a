package clocks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/clocks"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/app"
)

// fakeTimers keeps the pending timers as the timer stream would: one per id.
type fakeTimers struct {
	mu      sync.Mutex
	pending map[string]timer.Timer
	fail    error
	writes  int // schedules and cancellations: each a durable write on the timer stream
}

func (f *fakeTimers) Schedule(_ context.Context, t timer.Timer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.pending[t.ID] = t
	f.writes++
	return nil
}

func (f *fakeTimers) Cancel(_ context.Context, _, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	delete(f.pending, id)
	f.writes++
	return nil
}

// fire delivers a pending timer as the timer consumer would.
func (f *fakeTimers) fire(t *testing.T, h func(context.Context, timer.Fired) (bool, error), tm timer.Timer) {
	t.Helper()
	handled, err := h(context.Background(), timer.Fired{
		Service: tm.Service, ID: tm.ID, Due: tm.Due, FireID: tm.Service + "." + tm.ID + "@" + tm.Due.Format(time.RFC3339Nano),
		Kind: tm.Kind, Command: tm.Command, ComplaintID: tm.ComplaintID, Delivery: 1,
	})
	if !handled || err != nil {
		t.Fatalf("firing %s: handled %v, %v", tm.ID, handled, err)
	}
}

type component struct {
	log    *memlog.Log
	timers *fakeTimers
	app    *app.Clocks
	url    string
	now    time.Time
}

func start(t *testing.T) *component {
	t.Helper()
	p, err := clocks.LoadPolicy("")
	if err != nil {
		t.Fatal(err)
	}
	c := &component{log: memlog.New(), timers: &fakeTimers{pending: map[string]timer.Timer{}}}
	t.Cleanup(func() { _ = c.log.Close() })
	c.app = app.New(app.Deps{Log: c.log, Policy: p, Timers: c.timers, Now: func() time.Time { return c.now }})
	mux := http.NewServeMux()
	adapters.HTTP{App: c.app}.Routes(mux)
	srv := httptest.NewServer(auth.Authenticate(auth.StaticTokens{
		"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
		"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
		"owner-token":   {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	}, mux))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// deliver hands an event to the clocks' consumer, as the bus would, with a
// stable event id so that delivering it again is a redelivery.
func (c *component) deliver(t *testing.T, category, eventID string, m proto.Message) error {
	t.Helper()
	id := m.(interface{ GetComplaintId() string }).GetComplaintId()
	d, err := es.Encode(eventID, m, eventlog.Metadata{ComplaintID: id, Service: "intake"})
	if err != nil {
		t.Fatal(err)
	}
	return adapters.OnLifecycleEvent(c.app)(context.Background(), eventlog.RecordedEvent{EventData: d, Stream: eventlog.StreamName(category, id)})
}

func (c *component) show(t *testing.T, token, id string) (int, api.Clocks) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.url+"/v1/clocks/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out api.Clocks
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, out
}

func state(c api.Clocks, name string) string {
	for _, k := range c.Clocks {
		if k.Name == name {
			return k.State
		}
	}
	return ""
}

var receivedAt = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) // a Friday

func received(id string) *complaintsv1.ComplaintReceived {
	return &complaintsv1.ComplaintReceived{ComplaintId: id, Reference: "CMP-1", CustomerId: "cust-1", Product: "broadband", Regime: "uk-fca", ReceivedAt: timestamppb.New(receivedAt)}
}

func clockIn(c api.Clocks, name string) api.Clock {
	for _, k := range c.Clocks {
		if k.Name == name {
			return k
		}
	}
	return api.Clock{}
}

// next returns the complaint's one clock timer and the clock and moment
// it is set for.
func (f *fakeTimers) next(t *testing.T, complaintID string) (tm timer.Timer, clock string, warning, ok bool) {
	t.Helper()
	id, err := app.TimerID(complaintID)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	tm, ok = f.pending[id]
	f.mu.Unlock()
	if !ok {
		return tm, "", false, false
	}
	var cmd struct {
		Clock   string `json:"clock"`
		Warning bool   `json:"warning"`
	}
	if err := json.Unmarshal(tm.Command, &cmd); err != nil {
		t.Fatal(err)
	}
	return tm, cmd.Clock, cmd.Warning, true
}

// nextMoment is the earliest warning or due time of the running clocks.
func nextMoment(c api.Clocks) time.Time {
	var at time.Time
	for _, k := range c.Clocks {
		if k.State != "running" {
			continue
		}
		m := k.Due
		if !k.Warned && k.WarnAt.Before(k.Due) {
			m = k.WarnAt
		}
		if at.IsZero() || m.Before(at) {
			at = m
		}
	}
	return at
}

// Intake records a receipt and its acknowledgement in one append: the clocks
// start with the acknowledgement met in one append of their own, and set
// their timer once; the acknowledgement, handed to them next, changes
// nothing and writes nothing.
func TestAReceiptAcknowledgedInTheSameAppendStartsTheClocksInOneWrite(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.now = receivedAt
	var events []eventlog.RecordedEvent
	for i, m := range []proto.Message{received(id), &complaintsv1.ComplaintAcknowledged{ComplaintId: id, AcknowledgedAt: timestamppb.New(receivedAt)}} {
		d, err := es.Encode(fmt.Sprintf("e%d", i+1), m, eventlog.Metadata{ComplaintID: id, Service: "intake"})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, eventlog.RecordedEvent{EventData: d, Stream: eventlog.StreamName("complaint", id)})
	}
	ctx := bus.WithAppend(context.Background(), events)
	for range 2 { // the second time: a redelivery of the whole append
		for _, e := range events {
			if err := adapters.OnLifecycleEvent(c.app)(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	recorded, err := c.log.ReadStream(context.Background(), eventlog.StreamName("clock", id), eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	var met []string
	for _, e := range recorded {
		if e.Metadata.CausationID != "e1" {
			t.Fatalf("%s caused by %q: the receipt's decision should have written every clock event", e.Type, e.Metadata.CausationID)
		}
		if e.Type == es.TypeOf(&complaintsv1.ClockMet{}) {
			m, _ := es.Decode(e)
			met = append(met, m.(*complaintsv1.ClockMet).Clock)
		}
	}
	// uk-fca's clock met by the acknowledgement is the first response.
	if len(met) != 1 || met[0] != "first-response" {
		t.Fatalf("clocks met with the receipt: %v, want first-response", met)
	}
	c.timers.mu.Lock()
	defer c.timers.mu.Unlock()
	if c.timers.writes != 1 {
		t.Fatalf("%d timer writes, want 1 (the clocks' timer set once)", c.timers.writes)
	}
}

func TestClocksRunOnTimersAndShowTheirStates(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.now = receivedAt
	if err := c.deliver(t, "complaint", "e1", received(id)); err != nil {
		t.Fatal(err)
	}
	// One timer for the complaint, set to the next moment any clock waits for.
	_, view := c.show(t, "agent-token", id)
	tm, _, warning, ok := c.timers.next(t, id)
	if !ok || !warning || tm.Kind != app.KindWarning || !tm.Due.Equal(nextMoment(view)) || len(view.Clocks) != 5 {
		t.Fatalf("timer %+v (warning %v) for clocks %+v", tm, warning, view)
	}
	if want := time.Date(2027, 1, 15, 23, 59, 59, 0, time.UTC); !clockIn(view, "final-response").Due.Equal(want) {
		t.Fatalf("final response due %v, want %v", clockIn(view, "final-response").Due, want)
	}

	// The acknowledgement meets first-response: the timer moves on from it.
	if err := c.deliver(t, "complaint", "e2", &complaintsv1.ComplaintAcknowledged{ComplaintId: id, AcknowledgedAt: timestamppb.New(receivedAt)}); err != nil {
		t.Fatal(err)
	}
	if _, clock, _, ok := c.timers.next(t, id); !ok || clock == "first-response" {
		t.Fatalf("the timer still waits for a met clock: %s", clock)
	}

	// The timer fires moment after moment (each firing delivered twice: the
	// second is a redelivery and adds nothing) until the summary-resolution
	// window closes: a breach marked as a window.
	h := adapters.OnTimer(c.app)
	for i := 0; ; i++ {
		if _, view := c.show(t, "agent-token", id); state(view, "summary-resolution") == "breached" {
			break
		}
		if i > 20 {
			t.Fatal("the summary-resolution window never closed")
		}
		tm, _, _, ok := c.timers.next(t, id)
		if !ok {
			t.Fatal("no timer while clocks run")
		}
		c.now = tm.Due
		c.timers.fire(t, h, tm)
		c.timers.fire(t, h, tm)
	}
	status, view := c.show(t, "agent-token", id)
	if status != http.StatusOK || view.Regime != "uk-fca" || state(view, "summary-resolution") != "breached" || state(view, "final-response") != "running" ||
		state(view, "first-response") != "met" || len(view.Clocks) != 5 {
		t.Fatalf("clocks %d %+v", status, view)
	}
	breaches := 0
	for _, e := range view.History {
		if e.Event == "ClockBreached" && e.Clock == "summary-resolution" {
			breaches++
		}
	}
	if breaches != 1 {
		t.Fatalf("%d breaches: %+v", breaches, view.History)
	}

	// An information request pauses the internal clocks: the timer waits
	// for the regulatory clock only; the answer resumes them with the due
	// time moved.
	final := clockIn(view, "final-response").Due
	c.now = c.now.Add(time.Hour)
	requested := c.now
	if err := c.deliver(t, "case", "e3", &complaintsv1.InformationRequested{ComplaintId: id, RequestId: "r1", RequestedAt: timestamppb.New(c.now)}); err != nil {
		t.Fatal(err)
	}
	if _, clock, _, ok := c.timers.next(t, id); !ok || clock != "final-response" {
		t.Fatalf("while the internal clocks are paused the timer waits for %q", clock)
	}
	_, view = c.show(t, "agent-token", id)
	resolutionDue := clockIn(view, "resolution").Due
	if !clockIn(view, "final-response").Due.Equal(final) || state(view, "resolution") != "paused" {
		t.Fatalf("after the request: %+v", view)
	}
	if err := c.deliver(t, "case", "e4", &complaintsv1.InformationProvided{ComplaintId: id, RequestId: "r1", ProvidedAt: timestamppb.New(requested.Add(2 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	_, view = c.show(t, "agent-token", id)
	if got := clockIn(view, "resolution").Due; state(view, "resolution") != "running" || !got.Equal(resolutionDue.Add(2*time.Hour)) {
		t.Fatalf("resolution due %v after the pause, want %v", got, resolutionDue.Add(2*time.Hour))
	}
	if tm, _, _, ok := c.timers.next(t, id); !ok || !tm.Due.Equal(nextMoment(view)) {
		t.Fatalf("timer %+v after the answer, want %v", tm, nextMoment(view))
	}

	// A firing for the due time before the pause is stale.
	stale, _, _, _ := c.timers.next(t, id)
	stale.Kind = app.KindDue
	stale.Due = resolutionDue
	stale.Command, _ = json.Marshal(map[string]any{"clock": "resolution", "due": resolutionDue})
	c.timers.fire(t, h, stale)
	if _, view := c.show(t, "auditor-token", id); state(view, "resolution") != "running" {
		t.Fatalf("a stale firing changed the clock: %+v", view)
	}

	if status, _ := c.show(t, "owner-token", id); status != http.StatusForbidden {
		t.Fatalf("a process owner reads clocks: %d", status)
	}
	if status, _ := c.show(t, "agent-token", uuid.NewString()); status != http.StatusNotFound {
		t.Fatalf("no clocks: %d", status)
	}
}

// Timers lost between the append and their scheduling (a crash, the timer
// stream unreachable) are set when the event is delivered again.
func TestARedeliveredEventSetsTheTimersAFailedAttemptDidNot(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.timers.fail = errors.New("timer stream unreachable")
	if err := c.deliver(t, "complaint", "e1", received(id)); err == nil {
		t.Fatal("the failed scheduling was not reported: the event would not be redelivered")
	}
	c.timers.fail = nil
	if err := c.deliver(t, "complaint", "e1", received(id)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := c.timers.next(t, id); !ok {
		t.Fatal("the redelivery did not set the timer")
	}
	if _, view := c.show(t, "agent-token", id); len(view.Clocks) != 5 || len(view.History) != 5 {
		t.Fatalf("the redelivery started the clocks again: %+v", view)
	}
}

// subscribe feeds the clocks' consumer from the log as the bus would: the
// categories and event types it declares, nothing else.
func (c *component) subscribe(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := c.log.Subscribe(ctx, 0, eventlog.Filter{Categories: adapters.Categories, EventTypes: adapters.EventTypes}, adapters.OnLifecycleEvent(c.app))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
}

// append appends one event to category-id as service would.
func (c *component) append(t *testing.T, category, id, service string, m proto.Message) {
	t.Helper()
	e, err := es.Encode(uuid.NewString(), m, eventlog.Metadata{ComplaintID: id, CausationID: id, Service: service,
		Actor: eventlog.NewActor(eventlog.ActorSystem, service)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.log.Append(context.Background(), eventlog.StreamName(category, id), eventlog.Any(), e); err != nil {
		t.Fatal(err)
	}
}

// until polls the complaint's clocks until ok holds.
func (c *component) until(t *testing.T, id, what string, ok func(api.Clocks) bool) api.Clocks {
	t.Helper()
	var seen api.Clocks
	testkit.EventuallyNil(t, func() error {
		status, view := c.show(t, "agent-token", id)
		if seen = view; status != http.StatusOK || !ok(view) {
			return fmt.Errorf("never %s: %d %+v", what, status, view)
		}
		return nil
	})
	return seen
}

// A complaint resolved and closed without anyone calling the customer: the
// first-human-contact clock, still running, stops with the closure; its
// timer is cancelled, and the timer that fires late anyway (set before the
// closure, delivered after it) warns and breaches nothing.
func TestAClosedComplaintsClocksStopAndNoWarningOrBreachFollows(t *testing.T) {
	c := start(t)
	c.subscribe(t)
	id := uuid.NewString()
	c.now = receivedAt
	c.append(t, "complaint", id, "intake", received(id))
	c.append(t, "complaint", id, "intake", &complaintsv1.ComplaintAcknowledged{ComplaintId: id, AcknowledgedAt: timestamppb.New(receivedAt)})
	resolvedAt := receivedAt.Add(time.Hour)
	c.append(t, "case", id, "resolution", &complaintsv1.CaseResolved{ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD,
		RootCause: "network.outage", ResolvedAt: timestamppb.New(resolvedAt), Resolution: 1})
	view := c.until(t, id, "resolved", func(v api.Clocks) bool { return state(v, "resolution") == "met" })
	if state(view, "first-human-contact") != "running" {
		t.Fatalf("clocks before the closure: %+v", view)
	}
	pending, clock, _, ok := c.timers.next(t, id)
	if !ok || clock != "first-human-contact" {
		t.Fatalf("before the closure the timer waits for %q (%v)", clock, ok)
	}

	closedAt := resolvedAt.Add(time.Hour)
	c.append(t, "followup", id, "followup", &complaintsv1.ComplaintClosed{ComplaintId: id, Reason: "customer-confirmed-resolved", ClosedAt: timestamppb.New(closedAt)})
	view = c.until(t, id, "stopped by the closure", func(v api.Clocks) bool { return state(v, "first-human-contact") == "stopped" })
	for name, want := range map[string]string{"first-response": "met", "first-human-contact": "stopped", "summary-resolution": "met",
		"resolution": "met", "final-response": "met"} {
		if got := state(view, name); got != want {
			t.Errorf("%s is %s after the closure, want %s", name, got, want)
		}
	}
	if _, _, _, ok := c.timers.next(t, id); ok {
		t.Fatal("a clock timer is still pending after the closure")
	}

	// The timer set before the closure fires anyway, late, past every due
	// time the clock had: its warning, then its due time.
	firstContact := clockIn(view, "first-human-contact")
	h := adapters.OnTimer(c.app)
	c.now = firstContact.Due.Add(24 * time.Hour)
	c.timers.fire(t, h, pending)
	due := pending
	due.Kind, due.Due = app.KindDue, firstContact.Due
	due.Command, _ = json.Marshal(map[string]any{"clock": "first-human-contact", "due": firstContact.Due})
	c.timers.fire(t, h, due)

	_, view = c.show(t, "auditor-token", id)
	if state(view, "first-human-contact") != "stopped" {
		t.Fatalf("a firing after the closure moved the clock: %+v", view)
	}
	if _, _, _, ok := c.timers.next(t, id); ok {
		t.Fatal("a firing after the closure set a timer again")
	}
	recorded, err := c.log.ReadStream(context.Background(), eventlog.StreamName("clock", id), eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	stopped := 0
	for _, e := range recorded {
		switch e.Type {
		case es.TypeOf(&complaintsv1.ClockWarning{}), es.TypeOf(&complaintsv1.ClockBreached{}):
			t.Errorf("%s in the clock stream of a closed complaint", e.Type)
		case es.TypeOf(&complaintsv1.ClockStopped{}):
			stopped++
		}
	}
	if stopped != 1 {
		t.Fatalf("%d clocks stopped, want first-human-contact only", stopped)
	}
}
