package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	wire "github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
)

// The load of the fleet tests: complaints walked from submission to
// closed through the HTTP APIs of whichever instances are alive, as a
// support tool and a customer portal would, each step tried again while
// the instance or node it reached is going away.

// walker walks complaints through a fleet.
type walker struct {
	t      *testing.T
	addr   func(path string) string
	client *http.Client
	// within bounds each step: only a test that would hang reaches it.
	within time.Duration
	seq    atomic.Int64
	mu     sync.Mutex
	walks  []*walk
}

// walk is one complaint's journey.
type walk struct {
	key          string // the submission's idempotency key
	id           string // set once acknowledged
	token        string
	submittedAt  time.Time
	acknowledged time.Time
	closedAt     time.Time // when the walker saw it closed
	err          error     // why the walk stopped short
}

func newWalker(t *testing.T, addr func(string) string) *walker {
	return &walker{t: t, addr: addr, within: 5 * time.Minute,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// send makes one request; status 0 when it did not get an answer.
func (w *walker) send(method, path string, body any, token string, headers map[string]string) (int, []byte) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+w.addr(path)+path, r)
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if token == "" {
		token = testTokens[string(roleFor(method, path))]
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil
	}
	return resp.StatusCode, data
}

// until tries step until it says done, pausing between tries; an error
// after within.
func (w *walker) until(what string, step func() bool) error {
	deadline := time.Now().Add(w.within)
	pause := 20 * time.Millisecond
	for !step() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s", what, w.within)
		}
		time.Sleep(pause)
		pause = min(2*pause, 250*time.Millisecond)
	}
	return nil
}

// get decodes GET path into out when it answers 200.
func (w *walker) get(path string, out any) bool {
	status, data := w.send(http.MethodGet, path, nil, "", nil)
	return status == http.StatusOK && json.Unmarshal(data, out) == nil
}

// retryable: the request got no answer, or one that may change by trying
// again (a server error, a view not caught up, a conflict, a rate limit).
func retryable(status int) bool {
	return status == 0 || status >= 500 || status == http.StatusNotFound || status == http.StatusConflict ||
		status == http.StatusTooManyRequests
}

// walkOne takes one complaint from submission to closed. A submission is
// acknowledged once intake answers 201 (an idempotency key makes trying it
// again safe); every later step is tried again until it is done, or seen
// done (another try of it, answered by an instance that died, had done it).
func (w *walker) walkOne() {
	n := w.seq.Add(1)
	// The walk is worked on in wk and shown to the others (figures,
	// recovery) in shared, under w.mu, once acknowledged and once ended.
	wk := walk{key: fmt.Sprintf("fleet-%d-%d", time.Now().UnixNano(), n), submittedAt: time.Now()}
	shared := &walk{}
	w.mu.Lock()
	*shared = wk
	w.walks = append(w.walks, shared)
	w.mu.Unlock()
	publish := func() {
		w.mu.Lock()
		*shared = wk
		w.mu.Unlock()
	}
	defer publish()
	body := anotherCustomersComplaint()
	body["description"] = fmt.Sprintf("No service for 3 days (walk %d)", n)
	// The submission is refused for good only by a client error; a server
	// that went away or failed is asked again with the same key.
	wk.err = w.until("submission", func() bool {
		status, data := w.send(http.MethodPost, "/v1/complaints", body, "", map[string]string{"Idempotency-Key": wk.key})
		if status == http.StatusCreated {
			var sub submitted
			if json.Unmarshal(data, &sub) == nil && sub.ID != "" {
				wk.id, wk.token, wk.acknowledged = sub.ID, sub.CustomerToken, time.Now()
				publish()
				return true
			}
		}
		return !retryable(status) && status != 0
	})
	if wk.err != nil || wk.id == "" {
		if wk.err == nil {
			wk.err = fmt.Errorf("submission refused")
		}
		return
	}
	id := wk.id
	var c wire.Case
	if wk.err = w.until("case opened", func() bool { return w.get("/v1/cases/"+id, &c) }); wk.err != nil {
		return
	}
	wk.err = w.until("resolution", func() bool {
		status, _ := w.send(http.MethodPost, "/v1/cases/"+id+"/resolution", map[string]any{
			"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange fault fixed; credit applied", "agent": "a-7",
		}, "", nil)
		if status == http.StatusOK {
			return true
		}
		return w.get("/v1/cases/"+id, &c) && c.Status == "resolved"
	})
	if wk.err != nil {
		return
	}
	var f wire.FollowUp
	if wk.err = w.until("survey sent", func() bool { return w.get("/v1/followups/"+id, &f) && f.SurveyedAt != nil }); wk.err != nil {
		return
	}
	wk.err = w.until("survey answered", func() bool {
		status, _ := w.send(http.MethodPost, "/v1/followups/"+id+"/answer", map[string]any{
			"csat": 5, "effort": 2, "resolved": true, "comment": "Thanks",
		}, wk.token, nil)
		if status == http.StatusOK {
			return true
		}
		return w.get("/v1/followups/"+id, &f) && f.Status == "closed"
	})
	if wk.err != nil {
		return
	}
	var v wire.Complaint
	wk.err = w.until("closed", func() bool { return w.get("/v1/complaints/"+id, &v) && v.Status == "closed" })
	if wk.err == nil {
		wk.closedAt = time.Now()
	}
}

// load walks complaints, inFlight at a time, until stop is closed (or n
// have started, when n > 0), and returns once every walk has ended.
func (w *walker) load(inFlight, n int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, inFlight)
	for started := 0; n <= 0 || started < n; started++ {
		select {
		case <-stop:
			wg.Wait()
			return
		case slots <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			w.walkOne()
		}()
	}
	wg.Wait()
}

// figures of a run of walks.
type walkFigures struct {
	Started, Acknowledged, Closed, Stuck int
	Duration                             time.Duration // first submission to last closure seen
}

func (w *walker) figures() walkFigures {
	w.mu.Lock()
	defer w.mu.Unlock()
	var f walkFigures
	var first, last time.Time
	for _, wk := range w.walks {
		f.Started++
		if first.IsZero() || wk.submittedAt.Before(first) {
			first = wk.submittedAt
		}
		if wk.id != "" {
			f.Acknowledged++
		}
		if !wk.closedAt.IsZero() {
			f.Closed++
			if wk.closedAt.After(last) {
				last = wk.closedAt
			}
		} else if wk.id != "" {
			f.Stuck++
		}
	}
	if !last.IsZero() {
		f.Duration = last.Sub(first)
	}
	return f
}

// acknowledged are the ids of every acknowledged complaint.
func (w *walker) acknowledged() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for _, wk := range w.walks {
		if wk.id != "" {
			ids = append(ids, wk.id)
		}
	}
	return ids
}

// stuck describes the walks that did not end with their complaint closed.
func (w *walker) stuck() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, wk := range w.walks {
		if wk.id != "" && wk.closedAt.IsZero() {
			out = append(out, fmt.Sprintf("%s: %v", wk.id, wk.err))
		}
	}
	return out
}

// audit is what the log says of a set of complaints: each one's events read
// back from the stream, whatever instance recorded them.
type audit struct {
	Complaints, Closed int
	// Lost are acknowledged complaints not closed.
	Lost []string
	// Duplicated are effects recorded twice: a redress item issued twice,
	// a survey requested twice in one round, a notification sent twice for
	// one cause, a clock warned or breached twice.
	Duplicated []string
	// OrderViolations are reactions recorded before their cause.
	OrderViolations []string
	// ClocksStarted, Warnings and Breaches count what the clocks did.
	ClocksStarted, Warnings, Breaches int
	// MissedFirings are clocks still running past their due time.
	MissedFirings []string
	// awaitingConfirmation are the lost complaints whose last step is a
	// request to issue redress: the payment system's confirmation was not
	// recorded.
	awaitingConfirmation []string
}

func (a audit) problems() int {
	return len(a.Lost) + len(a.Duplicated) + len(a.OrderViolations) + len(a.MissedFirings)
}

// causeOf is, for the lifecycle's reactions, the step that must come
// first in a complaint's timeline.
var causeOf = map[string][]string{
	"ComplaintAcknowledged": {"ComplaintReceived"},
	"CaseOpened":            {"ComplaintReceived"},
	"CaseAssigned":          {"CaseOpened"},
	"CaseResolved":          {"CaseOpened"},
	"ClockStarted":          {"ComplaintReceived"},
	"ClockMet":              {"ClockStarted"},
	"ClockWarning":          {"ClockStarted"},
	"ClockBreached":         {"ClockStarted"},
	"RedressDecided":        {"CaseResolved"},
	"RedressIssued":         {"RedressDecided"},
	"SurveyRequested":       {"CaseResolved"},
	"SurveyAnswered":        {"SurveyRequested"},
	"ComplaintClosed":       {"SurveyAnswered"},
}

// auditLog reads every complaint's timeline from the log over nc and
// checks it.
func auditLog(t *testing.T, nc *nats.Conn, ids []string) audit {
	t.Helper()
	ctx := context.Background()
	l, err := jetstreamlog.New(ctx, nc, jetstreamlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := audit{Complaints: len(ids)}
	for _, id := range ids {
		events, err := l.ReadTimeline(ctx, id)
		if err != nil {
			t.Fatalf("timeline of %s: %v", id, err)
		}
		checkComplaint(t, &a, id, events)
	}
	sort.Strings(a.Duplicated)
	return a
}

func checkComplaint(t *testing.T, a *audit, id string, events []eventlog.RecordedEvent) {
	t.Helper()
	short := id[:min(8, len(id))]
	at := map[string]int{}    // event id -> index
	first := map[string]int{} // event type -> first index
	seen := map[string]int{}  // effect key -> count
	type clock struct {
		due     time.Time
		running bool
	}
	clocks := map[string]*clock{}
	closed := false
	for i, e := range events {
		typ := es.ShortType(e.Type)
		at[e.ID] = i
		if _, ok := first[typ]; !ok {
			first[typ] = i
		}
		// A reaction recorded before what caused it.
		if _, ok := at[e.Metadata.CausationID]; !ok && e.Metadata.CausationID != "" {
			for _, later := range events[i+1:] {
				if later.ID == e.Metadata.CausationID {
					a.OrderViolations = append(a.OrderViolations, fmt.Sprintf("%s: %s before its cause %s", short, typ, es.ShortType(later.Type)))
				}
			}
		}
		for _, cause := range causeOf[typ] {
			if _, ok := first[cause]; !ok {
				a.OrderViolations = append(a.OrderViolations, fmt.Sprintf("%s: %s before any %s", short, typ, cause))
			}
		}
		m, err := es.Decode(e)
		if err != nil {
			t.Fatalf("%s: event %s: %v", short, typ, err)
		}
		effect := ""
		switch ev := m.(type) {
		case *complaintsv1.RedressIssued:
			effect = "redress item " + ev.GetItemId() + " issued"
		case *complaintsv1.SurveyRequested:
			effect = fmt.Sprintf("survey of round %d requested", ev.GetResolution())
		case *complaintsv1.NotificationRequested:
			effect = "notification " + ev.GetPurpose() + " for " + e.Metadata.CausationID
		case *complaintsv1.ComplaintClosed:
			effect, closed = "closed", true
		case *complaintsv1.ClockStarted:
			clocks[ev.GetClock()] = &clock{due: ev.GetDue().AsTime(), running: true}
			a.ClocksStarted++
		case *complaintsv1.ClockWarning:
			effect = "clock " + ev.GetClock() + " warned"
			a.Warnings++
		case *complaintsv1.ClockBreached:
			effect = "clock " + ev.GetClock() + " breached"
			a.Breaches++
			if c := clocks[ev.GetClock()]; c != nil {
				c.running = false
			}
		case *complaintsv1.ClockMet:
			if c := clocks[ev.GetClock()]; c != nil {
				c.running = false
			}
		case *complaintsv1.ClockStopped:
			if c := clocks[ev.GetClock()]; c != nil {
				c.running = false
			}
		}
		if effect != "" {
			seen[effect]++
			if seen[effect] == 2 {
				a.Duplicated = append(a.Duplicated, short+": "+effect+" twice")
			}
		}
	}
	if closed {
		a.Closed++
	} else {
		a.Lost = append(a.Lost, short)
		if len(events) > 0 && es.ShortType(events[len(events)-1].Type) == "RedressIssuanceRequested" {
			a.awaitingConfirmation = append(a.awaitingConfirmation, short)
		}
	}
	for name, c := range clocks {
		if c.running && time.Now().After(c.due.Add(time.Minute)) {
			a.MissedFirings = append(a.MissedFirings, fmt.Sprintf("%s: clock %s due %s still running", short, name, c.due.Format(time.TimeOnly)))
		}
	}
}

func (a audit) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d complaints, %d closed, %d lost, %d duplicated effects, %d order violations; clocks: %d started, %d warnings, %d breaches, %d missed firings",
		a.Complaints, a.Closed, len(a.Lost), len(a.Duplicated), len(a.OrderViolations), a.ClocksStarted, a.Warnings, a.Breaches, len(a.MissedFirings))
	for _, list := range [][]string{a.Lost, a.Duplicated, a.OrderViolations, a.MissedFirings} {
		for i, s := range list {
			if i == 10 {
				fmt.Fprintf(&b, "\n  … %d more", len(list)-10)
				break
			}
			b.WriteString("\n  " + s)
		}
	}
	return b.String()
}

// logTimelines logs the steps of the complaints a walk left short, as the
// log holds them, with the service that recorded each.
func logTimelines(t *testing.T, nc *nats.Conn, w *walker) {
	t.Helper()
	l, err := jetstreamlog.New(context.Background(), nc, jetstreamlog.Options{})
	if err != nil {
		t.Log(err)
		return
	}
	defer l.Close()
	w.mu.Lock()
	var ids []string
	for _, wk := range w.walks {
		if wk.id != "" && wk.closedAt.IsZero() {
			ids = append(ids, wk.id)
		}
	}
	w.mu.Unlock()
	for _, id := range ids[:min(len(ids), 5)] {
		events, err := l.ReadTimeline(context.Background(), id)
		if err != nil {
			t.Log(err)
			continue
		}
		var steps []string
		for _, e := range events {
			steps = append(steps, fmt.Sprintf("%d %s/%s", e.Position, e.Metadata.Service, es.ShortType(e.Type)))
		}
		t.Logf("timeline of %s:\n  %s", id, strings.Join(steps, "\n  "))
	}
}
