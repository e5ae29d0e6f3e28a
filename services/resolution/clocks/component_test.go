package clocks_test

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
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
}

func (f *fakeTimers) Schedule(_ context.Context, t timer.Timer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.pending[t.ID] = t
	return nil
}

func (f *fakeTimers) Cancel(_ context.Context, _, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	delete(f.pending, id)
	return nil
}

func (f *fakeTimers) get(t *testing.T, complaintID, clock string, warning bool) (timer.Timer, bool) {
	t.Helper()
	id, err := app.TimerID(complaintID, clock, warning)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tm, ok := f.pending[id]
	return tm, ok
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

func TestClocksRunOnTimersAndShowTheirStates(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	c.now = receivedAt
	if err := c.deliver(t, "complaint", "e1", received(id)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"summary-resolution", "final-response", "first-response", "first-human-contact", "resolution"} {
		due, ok := c.timers.get(t, id, name, false)
		warn, wok := c.timers.get(t, id, name, true)
		if !ok || !wok || due.Kind != app.KindDue || warn.Kind != app.KindWarning || !warn.Due.Before(due.Due) {
			t.Fatalf("%s: timers %+v %+v", name, due, warn)
		}
	}
	final, _ := c.timers.get(t, id, "final-response", false)
	if want := time.Date(2027, 1, 15, 23, 59, 59, 0, time.UTC); !final.Due.Equal(want) {
		t.Fatalf("final response due %v, want %v", final.Due, want)
	}

	// The acknowledgement meets first-response: its timers are cancelled.
	if err := c.deliver(t, "complaint", "e2", &complaintsv1.ComplaintAcknowledged{ComplaintId: id, AcknowledgedAt: timestamppb.New(receivedAt)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.timers.get(t, id, "first-response", false); ok {
		t.Fatal("a met clock's timer is still pending")
	}

	// The summary-resolution window closes: a breach marked as a window.
	h := adapters.OnTimer(c.app)
	summary, _ := c.timers.get(t, id, "summary-resolution", false)
	c.now = summary.Due
	c.timers.fire(t, h, summary)
	c.timers.fire(t, h, summary) // redelivered: nothing more
	status, view := c.show(t, "agent-token", id)
	if status != http.StatusOK || view.Regime != "uk-fca" || state(view, "summary-resolution") != "breached" || state(view, "final-response") != "running" ||
		state(view, "first-response") != "met" || len(view.Clocks) != 5 {
		t.Fatalf("clocks %d %+v", status, view)
	}
	breaches := 0
	for _, e := range view.History {
		if e.Event == "ClockBreached" {
			breaches++
		}
	}
	if breaches != 1 {
		t.Fatalf("%d breaches: %+v", breaches, view.History)
	}

	// An information request pauses the internal clocks and cancels their
	// timers; the answer resumes them with the due time moved.
	c.now = receivedAt.Add(time.Hour)
	if err := c.deliver(t, "case", "e3", &complaintsv1.InformationRequested{ComplaintId: id, RequestId: "r1", RequestedAt: timestamppb.New(c.now)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.timers.get(t, id, "resolution", false); ok {
		t.Fatal("a paused clock's timer is still pending")
	}
	before, _ := c.timers.get(t, id, "final-response", false)
	if !before.Due.Equal(final.Due) {
		t.Fatal("the regulatory clock moved")
	}
	if err := c.deliver(t, "case", "e4", &complaintsv1.InformationProvided{ComplaintId: id, RequestId: "r1", ProvidedAt: timestamppb.New(c.now.Add(2 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	resumed, ok := c.timers.get(t, id, "resolution", false)
	if want := time.Date(2026, 11, 27, 23, 59, 59, 0, time.UTC).Add(2 * time.Hour); !ok || !resumed.Due.Equal(want) {
		t.Fatalf("resolution due %v after the pause, want %v", resumed.Due, want)
	}

	// A firing for the due time before the pause is stale.
	stale := resumed
	stale.Due = time.Date(2026, 11, 27, 23, 59, 59, 0, time.UTC)
	stale.Command, _ = json.Marshal(map[string]any{"clock": "resolution", "due": stale.Due})
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
	if _, ok := c.timers.get(t, id, "final-response", false); !ok {
		t.Fatal("the redelivery did not set the timers")
	}
	if _, view := c.show(t, "agent-token", id); len(view.Clocks) != 5 || len(view.History) != 5 {
		t.Fatalf("the redelivery started the clocks again: %+v", view)
	}
}
