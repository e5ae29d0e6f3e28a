package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestTheCPUTimesAreCountedAfterTheCommandName(t *testing.T) {
	// A command name may hold spaces and parentheses.
	line := "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 2000 0 0 0 " +
		"150 37 5 3 20 0 12 0 123456 1234567 890 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := (cpuTimes{UTime: 150, STime: 37, CUTime: 5, CSTime: 3}); got != want {
		t.Fatalf("parseStat = %+v, want %+v", got, want)
	}
	if ms := got.Millis(); ms != 1950 {
		t.Fatalf("Millis = %v, want 1950 (195 ticks of 10 ms)", ms)
	}
	later := cpuTimes{UTime: 250, STime: 57, CUTime: 5, CSTime: 3}
	if d := later.sub(got).Millis(); d != 1200 {
		t.Fatalf("difference = %v ms, want 1200", d)
	}
	for _, bad := range []string{"", "4242 no parentheses 1 2 3", "4242 (x) S 1 2"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestTheCPUTimesOfThisProcessAreRead(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	if _, err := readCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if hwm, err := readPeakRSS(os.Getpid()); err != nil || hwm <= 0 {
		t.Fatalf("peak RSS %d, %v", hwm, err)
	}
}

func TestThePeakRSSIsVmHWMInBytes(t *testing.T) {
	status := "Name:\tcomplaints\nVmPeak:\t 2000000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n"
	got, err := parseVmHWM([]byte(status))
	if err != nil || got != 123456*1024 {
		t.Fatalf("parseVmHWM = %d, %v; want %d", got, err, 123456*1024)
	}
	if _, err := parseVmHWM([]byte("Name:\tx\n")); err == nil {
		t.Fatal("a status without VmHWM was accepted")
	}
}

// A report as loadgen -json prints it.
const loadgenJSON = `{
  "url": "http://127.0.0.1:8080",
  "requested": 4,
  "concurrency": 2,
  "watch": "events",
  "done": 4,
  "failed": 0,
  "not_started": 0,
  "wall_seconds": 2,
  "complaints_per_second": 2,
  "submit_to_acknowledged": {"count": 4, "p50_ms": 12.5, "p90_ms": 20, "p99_ms": 31.25, "max_ms": 31.25},
  "submit_to_closed": {"count": 4, "p50_ms": 400, "p90_ms": 500, "p99_ms": 650.5, "max_ms": 650.5},
  "throughput_means": "closed complaints per second of wall time",
  "submit_to_closed_note": "..."
}`

func TestTheLoadgenReportIsRead(t *testing.T) {
	r, err := parseLoadgen([]byte(loadgenJSON))
	if err != nil {
		t.Fatal(err)
	}
	if r.Done != 4 || r.PerSecond != 2 || r.Watch != "events" || r.SubmitToAck.P50 != 12.5 || r.SubmitToAck.P99 != 31.25 ||
		r.SubmitToClosed.P50 != 400 || r.SubmitToClosed.P99 != 650.5 || r.SubmitToClosed.Count != 4 {
		t.Fatalf("%+v", r)
	}
	if err := r.measurement(4); err != nil {
		t.Fatalf("a run that closed every complaint: %v", err)
	}
	if _, err := parseLoadgen([]byte("loadgen: 4 complaints against ...")); err == nil {
		t.Fatal("text output was accepted")
	}
}

func TestARunWithAFailedComplaintIsNoMeasurement(t *testing.T) {
	failed := strings.Replace(strings.Replace(loadgenJSON, `"done": 4`, `"done": 3`, 1), `"failed": 0`, `"failed": 1`, 1)
	failed = strings.Replace(failed, `"submit_to_closed_note": "..."`,
		`"submit_to_closed_note": "...", "errors": [{"stage": "wait for closed", "kind": "timed out", "count": 1, "example": "context deadline exceeded"}]`, 1)
	r, err := parseLoadgen([]byte(failed))
	if err != nil {
		t.Fatal(err)
	}
	err = r.measurement(4)
	if err == nil || !strings.Contains(err.Error(), "not a measurement") || !strings.Contains(err.Error(), "3 of 4") ||
		!strings.Contains(err.Error(), "wait for closed: timed out") {
		t.Fatalf("measurement = %v", err)
	}
	// Fewer complaints than asked for is no measurement either.
	ok, _ := parseLoadgen([]byte(loadgenJSON))
	if err := ok.measurement(5); err == nil {
		t.Fatal("4 complaints of 5 taken for a measurement")
	}
}

func TestTheMedianIsTheMiddleRun(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{7}, 7}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func run3(perSecond, cpuMs float64, complaints int, events, timers int64) runResult {
	return runResult{
		Complaints: complaints, PerSecond: perSecond, CPUMillis: cpuMs, PeakRSSBytes: 64 << 20,
		Ack: loadgenLatency{P50: 10, P99: 20}, Closed: loadgenLatency{P50: 100, P99: 300},
		Streams: map[string]int64{"COMPLAINT_EVENTS": events, "COMPLAINT_TIMERS": timers, "KV_checkpoints": 10},
	}
}

func TestTheTableGivesMediansAndTheRatio(t *testing.T) {
	c := &comparison{
		Base:   side{Name: "BASE", Rev: "d60923f", Commit: "d60923fcdbf9fdfdd4f401833a21e415671b3adb"},
		Head:   side{Name: "HEAD", Rev: "work tree", Commit: "70bf3b7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Dirty: true},
		Rounds: 3, N: 100, C: 8, Watch: "poll",
		BaseRuns: []runResult{run3(10, 5000, 100, 2000, 800), run3(12, 6000, 100, 2000, 800), run3(11, 4000, 100, 2000, 800)},
		HeadRuns: []runResult{run3(30, 2000, 100, 1500, 100), run3(33, 2500, 100, 1500, 100), run3(36, 1500, 100, 1500, 100)},
	}
	c.summarize()
	want := map[string][3]float64{ // BASE median, HEAD median, ratio
		"complaints/s":                   {11, 33, 3},
		"server CPU ms / complaint":      {50, 20, 0.4},
		"peak RSS MiB":                   {64, 64, 1},
		"submit→closed p99 ms":           {300, 300, 1},
		"durable messages / complaint":   {28.1, 16.1, 16.1 / 28.1},
		"event-log messages / complaint": {20, 15, 0.75},
	}
	seen := 0
	for _, f := range c.Figures {
		w, ok := want[f.Name]
		if !ok {
			continue
		}
		seen++
		if !near(f.Base, w[0]) || !near(f.Head, w[1]) || f.Ratio == nil || !near(*f.Ratio, w[2]) {
			t.Errorf("%s: BASE %v HEAD %v ratio %v; want %v", f.Name, f.Base, f.Head, f.Ratio, w)
		}
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d figures found: %+v", seen, len(want), c.Figures)
	}

	var out bytes.Buffer
	c.print(&out, true)
	text := out.String()
	for _, s := range []string{
		"BASE  d60923f (d60923fcdbf9)", "HEAD  work tree at 70bf3b7aaaaa with uncommitted changes",
		"3 round(s) of 100 complaints, 8 in flight, closures seen by polling the complaint view",
		"HEAD/BASE", "complaints/s", "3.00", "0.40", "event-log messages / complaint", "COMPLAINT_TIMERS", "8.00 / complaint",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("table lacks %q:\n%s", s, text)
		}
	}
}

func TestARatioOverNothingIsNotGiven(t *testing.T) {
	c := &comparison{BaseRuns: []runResult{{Complaints: 1}}, HeadRuns: []runResult{{Complaints: 1, PerSecond: 3}}}
	c.summarize()
	if f := c.Figures[0]; f.Ratio != nil {
		t.Fatalf("ratio over a BASE of 0: %v", *f.Ratio)
	}
	var out bytes.Buffer
	c.print(&out, false)
	if !strings.Contains(out.String(), "n/a") {
		t.Fatalf("no n/a:\n%s", out.String())
	}
}

func TestTheServerInheritsNoSettingThatPointsItElsewhere(t *testing.T) {
	env := []string{"PATH=/bin", "NATS_URL=nats://elsewhere:4222", "NATS_TLS_CA=/ca.pem", "HOME=/root", "COMPLAINTS_TOKEN=x", "GOWORK=/w/go.work"}
	got := withoutEnv(env, serverEnvDropped...)
	if strings.Join(got, " ") != "PATH=/bin HOME=/root GOWORK=/w/go.work" {
		t.Fatalf("%q", got)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-rounds", "0"}, {"-n", "0"}, {"-watch", "sometimes"}, {"extra"}, {"-nope"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("benchcompare %q: exit %d, want 2", args, code)
		}
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}
