package system_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	wire "github.com/complaintflow/complaintflow/services/api"
)

// deadlinePolicy is follow-up in seconds for the deadlines test: the survey
// at once, chasers after 1 and 2 seconds, closure for no response after 4.
const deadlinePolicy = `version: deadlines-test
survey_delay: 0s
chasers: [1s, 2s]
close_after: 4s
low_satisfaction:
  csat_at_most: 2
  effort_at_most: 3
  nps_at_most: 6
`

// Every deadline that falls due while the process is down is kept once it
// runs again: the process is killed (SIGKILL) with chasers, closures and
// regulatory clocks pending, stays down past all of their due times, is
// killed again soon after its first restart (while it catches up), and
// runs once more. Then every resolved complaint of a silent customer is
// closed for no response, chased twice, and every regulatory clock that
// fell due during a stop has breached exactly once, with one holding
// response. The process runs with the NATS users and permissions it has in
// production, so a timer that is already due when a service sets it after a
// restart must be one that service may fire.
func TestDeadlinesThatFallDueWhileTheProcessIsDownAreKept(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the all-in-one binary")
	}
	bin := buildAllInOne(t)
	data, config := t.TempDir(), secondsConfig(t)
	if err := os.WriteFile(filepath.Join(config, "followup.yaml"), []byte(deadlinePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	writeTestTokens(t, data)
	start := func() (*exec.Cmd, api) {
		cmd, addr := startAllInOne(t, bin, data, "CONFIG_DIR="+config, "REGIME=")
		return cmd, api{t: t, addr: oneAddress(addr)}
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	cmd, a := start()
	const each = 4
	var resolved, open []string
	for range each {
		sub := resolveComplaint(t, a)
		resolved = append(resolved, sub.ID)
	}
	for _, id := range resolved {
		a.eventually("/v1/followups/"+id, func(b map[string]any) bool { return b["status"] == "awaiting_answer" })
	}
	for range each {
		var sub submitted
		a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
		open = append(open, sub.ID)
	}
	for _, id := range open {
		w := &clockWatch{t: t, a: a, id: id, t0: time.Now()}
		c := w.until("clocks started", func(c wire.Clocks) bool {
			return clockIn(c, "final-response").State == "running"
		})
		if c := clockIn(c, "final-response"); time.Until(c.Due) < time.Second {
			t.Fatalf("the final-response clock of %s is due too soon to be pending across the kill: %+v", id, c)
		}
	}
	kill(cmd)
	down := time.Now()
	// Down past every due time: the chasers (1 s, 2 s after the survey), the
	// closures (4 s), the regulatory warnings (3 s) and breaches (5 s after
	// receipt).
	time.Sleep(6 * time.Second)
	cmd, _ = start()
	t.Logf("down %.1fs; restarted", time.Since(down).Seconds())
	time.Sleep(300 * time.Millisecond) // while it catches up
	kill(cmd)
	_, a = start()

	for _, id := range resolved {
		f := a.eventually("/v1/followups/"+id, func(b map[string]any) bool { return b["status"] == "closed" })
		if f["closed_reason"] != "no-response" || f["chasers_sent"] != 2.0 {
			t.Fatalf("the silent customer's follow-up of %s after the stops: %v", id, f)
		}
		a.eventually("/v1/complaints/"+id, func(b map[string]any) bool { return b["status"] == "closed" })
	}
	for _, id := range open {
		w := &clockWatch{t: t, a: a, id: id, t0: down}
		w.until("final-response breached after the restarts", func(c wire.Clocks) bool {
			return clockIn(c, "final-response").State == "breached" &&
				countClockEvents(c, "NotificationRequested", "holding-response") > 0
		})
	}
	// Every closure and breach has been seen; a duplicate firing would be
	// handled within a scheduler tick (250 ms) and a few handler runs.
	time.Sleep(time.Second)
	for _, id := range resolved {
		var tl timeline
		a.call(http.MethodGet, "/v1/complaints/"+id+"/timeline", nil, http.StatusOK, &tl)
		if n, c := countSteps(tl, "ComplaintClosed"), countSteps(tl, "SurveyChaserSent"); n != 1 || c != 2 {
			t.Fatalf("complaint %s: %d closures and %d chasers, want 1 and 2: %+v", id, n, c, tl.Steps)
		}
	}
	for _, id := range open {
		c, _ := (&clockWatch{t: t, a: a, id: id, t0: down}).get()
		if n := countClockEvents(c, "ClockBreached", "final-response"); n != 1 {
			t.Fatalf("complaint %s: the final-response clock breached %d times: %+v", id, n, c.History)
		}
		if n := countClockEvents(c, "NotificationRequested", "holding-response"); n != 1 {
			t.Fatalf("complaint %s: %d holding responses: %+v", id, n, c.History)
		}
	}
	t.Logf("%d silent customers closed for no response after two chasers, %d regulatory breaches, each once", len(resolved), len(open))
}

func countSteps(tl timeline, typ string) int {
	n := 0
	for _, s := range tl.Steps {
		if s.Type == typ {
			n++
		}
	}
	return n
}
