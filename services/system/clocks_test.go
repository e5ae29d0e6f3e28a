package system_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	wire "github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/system"
)

// secondsRegimes is a regimes policy in seconds: an FCA-like regulatory
// final response due 5s after receipt (warning 2s before) and an internal
// resolution service level due 8s after receipt (warning 2s before).
const secondsRegimes = `version: "seconds"
default: uk-fca
slas:
  - {name: resolution, kind: internal, within: 8s, warn_before: 2s, met_by: resolved}
regimes:
  - name: uk-fca
    clocks:
      - {name: final-response, kind: regulatory, within: 5s, warn_before: 2s, met_by: final-response}
`

func secondsConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "regimes.yaml"), []byte(secondsRegimes), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startSystemWithConfig(t *testing.T, dataDir, configDir string) *host.System {
	t.Helper()
	writeTestTokens(t, dataDir)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-test", system.Services(intake.Config{ConfigDir: configDir})...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clockWatch polls a complaint's clocks and logs every change it sees, with
// the time it saw it.
type clockWatch struct {
	t    *testing.T
	a    api
	id   string
	t0   time.Time
	last string
}

func (w *clockWatch) get() (wire.Clocks, bool) {
	w.t.Helper()
	var c wire.Clocks
	status, _, body := w.a.tryDo(http.MethodGet, "/v1/clocks/"+w.id, nil)
	if status != http.StatusOK {
		return c, false
	}
	if err := json.Unmarshal(body, &c); err != nil {
		w.t.Fatalf("clocks: %v: %s", err, body)
	}
	w.log(c)
	return c, true
}

func (w *clockWatch) log(c wire.Clocks) {
	var parts []string
	for _, k := range c.Clocks {
		state := k.State
		if k.Warned && k.State == "running" {
			state += ", warned"
		}
		if k.Late {
			state += " late"
		}
		parts = append(parts, fmt.Sprintf("%s(%s) %s, due %s", k.Name, k.Kind, state, w.rel(k.Due)))
	}
	line := strings.Join(parts, "; ")
	if line != w.last {
		w.t.Logf("%s (+%5.2fs) clocks: %s", time.Now().UTC().Format("15:04:05.000"), time.Since(w.t0).Seconds(), line)
		w.last = line
	}
}

func (w *clockWatch) rel(at time.Time) string {
	return fmt.Sprintf("%s (+%.2fs)", at.UTC().Format("15:04:05.000"), at.Sub(w.t0).Seconds())
}

// until polls until ok holds.
func (w *clockWatch) until(what string, ok func(wire.Clocks) bool) wire.Clocks {
	w.t.Helper()
	var c wire.Clocks
	testkit.EventuallyNil(w.t, func() error {
		var found bool
		if c, found = w.get(); !found || !ok(c) {
			return fmt.Errorf("%s: last seen %+v", what, c)
		}
		return nil
	})
	return c
}

func clockIn(c wire.Clocks, name string) wire.Clock {
	for _, k := range c.Clocks {
		if k.Name == name {
			return k
		}
	}
	return wire.Clock{}
}

func countClockEvents(c wire.Clocks, event, clock string) int {
	n := 0
	for _, h := range c.History {
		if h.Event == event && h.Clock == clock {
			n++
		}
	}
	return n
}

// appendCaseEvent writes an event to the case stream as resolution would.
// The information request API is not part of this branch: until it is, the
// test records the request and its answer directly.
func appendCaseEvent(t *testing.T, s *host.System, id string, m proto.Message) {
	t.Helper()
	d, err := es.Encode(uuid.NewString(), m, eventlog.Metadata{ComplaintID: id, Service: "resolution", Actor: eventlog.NewActor(eventlog.ActorAgent, "a-7")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Log().Append(context.Background(), eventlog.StreamName("case", id), eventlog.Any(), d); err != nil {
		t.Fatal(err)
	}
}

// One complaint under a regime in seconds: an information request pauses
// the internal resolution clock but not the regulatory final response,
// which warns, breaches and sends the holding response; the answer resumes
// the internal clock with its due time moved by the pause; the resolution
// meets both (the regulatory one late).
func TestClocksWarnBreachPauseAndAreMetEndToEnd(t *testing.T) {
	s := startSystemWithConfig(t, t.TempDir(), secondsConfig(t))
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}

	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	w := &clockWatch{t: t, a: a, id: sub.ID, t0: time.Now()}
	started := w.until("clocks started", func(c wire.Clocks) bool { return len(c.Clocks) == 2 })
	final := clockIn(started, "final-response")
	w.t0 = final.StartedAt
	t.Logf("received %s; respond_by promised %s; final-response due %s", w.rel(final.StartedAt), w.rel(sub.Acknowledgement.RespondBy), w.rel(final.Due))
	if !final.Due.Equal(sub.Acknowledgement.RespondBy) || final.Kind != "regulatory" || started.Regime != "uk-fca" {
		t.Fatalf("the final-response clock %+v does not keep the acknowledgement's promise %v", final, sub.Acknowledgement.RespondBy)
	}
	a.eventually("/v1/cases/"+sub.ID, nil)

	requestedAt := time.Now().UTC()
	appendCaseEvent(t, s, sub.ID, &complaintsv1.InformationRequested{
		ComplaintId: sub.ID, RequestId: "r1", Question: "Which day did the service stop?", RequestedBy: "agent:a-7",
		RequestedAt: timestamppb.New(requestedAt), InformationRequests: 1,
	})
	t.Logf("information requested at %s", w.rel(requestedAt))
	w.until("internal clock paused", func(c wire.Clocks) bool {
		return clockIn(c, "resolution").State == "paused" && clockIn(c, "final-response").State == "running"
	})
	w.until("regulatory clock warned", func(c wire.Clocks) bool { return clockIn(c, "final-response").Warned })
	breached := w.until("regulatory clock breached", func(c wire.Clocks) bool {
		return clockIn(c, "final-response").State == "breached"
	})
	if clockIn(breached, "resolution").State != "paused" || countClockEvents(breached, "NotificationRequested", "holding-response") != 1 {
		t.Fatalf("after the breach: %+v", breached)
	}

	providedAt := time.Now().UTC()
	appendCaseEvent(t, s, sub.ID, &complaintsv1.InformationProvided{
		ComplaintId: sub.ID, RequestId: "r1", Answer: "Monday", Channel: "web", ProvidedAt: timestamppb.New(providedAt),
	})
	t.Logf("information provided at %s", w.rel(providedAt))
	resumed := w.until("internal clock resumed", func(c wire.Clocks) bool { return clockIn(c, "resolution").State == "running" })
	internal := clockIn(resumed, "resolution")
	if moved := internal.Due.Sub(internal.StartedAt) - 8*time.Second; moved < providedAt.Sub(requestedAt)-time.Millisecond || internal.PausedSeconds <= 0 {
		t.Fatalf("the resolution clock's due time moved by %v, paused %v", moved, providedAt.Sub(requestedAt))
	}

	a.call(http.MethodPost, "/v1/cases/"+sub.ID+"/resolution", map[string]any{
		"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange fault fixed; credit applied", "agent": "a-7",
	}, http.StatusOK, nil)
	met := w.until("clocks met", func(c wire.Clocks) bool {
		return clockIn(c, "resolution").State == "met" && clockIn(c, "final-response").State == "met"
	})
	if !clockIn(met, "final-response").Late || clockIn(met, "resolution").Late || countClockEvents(met, "ClockBreached", "final-response") != 1 {
		t.Fatalf("met: %+v", met)
	}
	for _, h := range met.History {
		due := ""
		if h.Due != nil {
			due = " due " + w.rel(*h.Due)
		}
		t.Logf("history: %-21s %-19s at %s%s", h.Event, h.Clock, w.rel(h.At), due)
	}
}

// The process is killed (SIGKILL) while a clock's timer is pending; after the
// restart the timer fires, once.
func TestAClockTimerPendingAcrossAKillFiresOnceAfterTheRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the all-in-one binary")
	}
	bin := buildAllInOne(t)
	data, config := t.TempDir(), secondsConfig(t)
	writeTestTokens(t, data)
	start := func() (*exec.Cmd, string) { return startAllInOne(t, bin, data, "CONFIG_DIR="+config, "REGIME=") }

	cmd, addr := start()
	a := api{t: t, addr: oneAddress(addr)}
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	w := &clockWatch{t: t, a: a, id: sub.ID, t0: time.Now()}
	before := w.until("clocks started", func(c wire.Clocks) bool { return len(c.Clocks) == 2 })
	w.t0 = clockIn(before, "final-response").StartedAt
	if clockIn(before, "final-response").State != "running" {
		t.Fatalf("the final-response clock is not pending before the kill: %+v", before)
	}
	time.Sleep(time.Second) // the timers are set: the clock is pending, due in about 4s
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Logf("killed at +%.2fs with the final-response timer pending (due %s)", time.Since(w.t0).Seconds(), w.rel(clockIn(before, "final-response").Due))

	_, addr = start()
	w.a = api{t: t, addr: oneAddress(addr)}
	t.Logf("restarted at +%.2fs", time.Since(w.t0).Seconds())
	w.until("breached after the restart", func(c wire.Clocks) bool {
		return clockIn(c, "final-response").State == "breached"
	})
	time.Sleep(time.Second) // a duplicate firing would have been handled by now
	after, _ := w.get()
	if n := countClockEvents(after, "ClockBreached", "final-response"); n != 1 {
		t.Fatalf("the final-response clock breached %d times: %+v", n, after.History)
	}
	if n := countClockEvents(after, "NotificationRequested", "holding-response"); n != 1 {
		t.Fatalf("%d holding responses: %+v", n, after.History)
	}
	if n := countClockEvents(after, "ClockWarning", "final-response"); n != 1 {
		t.Fatalf("%d warnings: %+v", n, after.History)
	}
	t.Logf("breached at %s, once", w.rel(*clockIn(after, "final-response").BreachedAt))
}
