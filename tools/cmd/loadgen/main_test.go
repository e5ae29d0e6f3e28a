package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
	"github.com/complaintflow/complaintflow/tools/internal/systemtest"
)

func TestLoadgenClosesEveryComplaint(t *testing.T) {
	url := systemtest.Start(t)

	var out, errOut bytes.Buffer
	if code := run([]string{"-url", url, "-n", "20", "-c", "4", "-timeout", "2m", "-progress", "0"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	text := out.String()
	for _, want := range []string{
		"complaints done    20", "complaints failed  0", "wall time", "complaints/s", "closed complaints per second of wall time",
		"p50", "p90", "p99", "max", "submit→acknowledged", "submit→closed",
		"includes the load generator's own agent and customer steps",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("report lacks %q:\n%s", want, text)
		}
	}

	out.Reset()
	if code := run([]string{"-url", url, "-n", "6", "-c", "3", "-json", "-progress", "0"}, &out, &errOut); code != 0 {
		t.Fatalf("-json exit %d: %s", code, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if rep.Done != 6 || rep.Failed != 0 || rep.SubmitToAck.Count != 6 || rep.SubmitToClosed.Count != 6 ||
		rep.SubmitToClosed.P50 <= 0 || rep.SubmitToClosed.Max < rep.SubmitToClosed.P99 || rep.SubmitToClosed.P99 < rep.SubmitToClosed.P50 ||
		rep.PerSecond <= 0 || rep.SubmitClosedNote == "" {
		t.Fatalf("json report: %+v", rep)
	}

	// Every complaint went through resolution: the report counts them all.
	c := systemtest.Client(t, url, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := client.WaitFor(ctx, client.Backoff{}, func(ctx context.Context) (client.RootCauseReport, error) { return c.RootCauseReport(ctx) },
		func(r client.RootCauseReport) bool { return r.Total == 26 }); err != nil {
		t.Fatal(err)
	}

	// -until acknowledged submits only: intake's share of the work.
	out.Reset()
	if code := run([]string{"-url", url, "-n", "5", "-c", "5", "-until", "acknowledged", "-json", "-progress", "0"}, &out, &errOut); code != 0 {
		t.Fatalf("-until acknowledged exit %d: %s", code, errOut.String())
	}
	rep = report{}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if rep.Done != 5 || rep.SubmitToAck.Count != 5 || !strings.Contains(rep.ThroughputMeans, "acknowledged submissions") {
		t.Fatalf("-until acknowledged report: %+v", rep)
	}
}

func TestLoadgenReportsFailures(t *testing.T) {
	// Nothing listens on port 1 of the loopback: every submission fails.
	var out, errOut bytes.Buffer
	code := run([]string{"-url", "127.0.0.1:1", "-n", "3", "-c", "2", "-progress", "0", "-poll-min", "1ms"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	for _, want := range []string{"complaints done    0", "complaints failed  3", "failures:", "submit:"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadgenUsage(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-c", "0"}, {"extra"}, {"-nope"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("loadgen %q: exit %d, want 2", args, code)
		}
	}
}

func TestPercentilesUseTheNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(ds)
	if p.Count != 100 || p.P50 != 50 || p.P90 != 90 || p.P99 != 99 || p.Max != 100 {
		t.Fatalf("%+v", p)
	}
	if p := percentiles([]time.Duration{7 * time.Millisecond}); p.P50 != 7 || p.P99 != 7 || p.Max != 7 {
		t.Fatalf("one sample: %+v", p)
	}
	if p := percentiles(nil); p != (Percentiles{}) {
		t.Fatalf("no samples: %+v", p)
	}
}

func TestTheSurveyIsOutUnderTheEarlierStatusNameToo(t *testing.T) {
	// Earlier versions of the API (d60923f) answered survey_requested where
	// today's answer awaiting_answer: one load generator drives both.
	for status, want := range map[string]bool{
		client.FollowUpAwaitingAnswer: true, client.FollowUpChased: true, "survey_requested": true,
		client.FollowUpScheduled: false, client.FollowUpAnswered: false, "": false,
	} {
		if got := surveyIsOut(client.FollowUp{Status: status}); got != want {
			t.Errorf("surveyIsOut(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestLoadgenLearnsClosuresFromTheEvents(t *testing.T) {
	sys := systemtest.StartWithNATS(t)

	var out, errOut bytes.Buffer
	args := []string{"-url", sys.URL, "-n", "8", "-c", "4", "-json", "-progress", "0", "-timeout", "2m",
		"-watch", "events", "-nats", sys.NATSURL, "-nats-users", filepath.Join(sys.DataDir, "nats-users")}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if rep.Watch != WatchEvents || rep.Done != 8 || rep.Failed != 0 || rep.SubmitToClosed.Count != 8 {
		t.Fatalf("json report: %+v", rep)
	}
	// Every step came from an event, none from asking a view.
	if rep.StepsByFallback != 0 {
		t.Fatalf("%d steps were learnt from a view, not from the events", rep.StepsByFallback)
	}

	// The text report says which way the steps were learnt.
	out.Reset()
	args = []string{"-url", sys.URL, "-n", "2", "-c", "2", "-progress", "0", "-timeout", "2m",
		"-watch", "events", "-nats", sys.NATSURL, "-nats-users", filepath.Join(sys.DataDir, "nats-users")}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "steps seen by      the CaseAssigned, SurveyRequested and ComplaintClosed events on NATS") {
		t.Fatalf("report does not say it watched the events:\n%s", out.String())
	}
}

func TestLoadgenWatchingEventsNeedsNATS(t *testing.T) {
	// Nothing listens on port 1 of the loopback.
	var out, errOut bytes.Buffer
	code := run([]string{"-url", "127.0.0.1:1", "-n", "1", "-progress", "0", "-watch", "events", "-nats", "nats://127.0.0.1:1"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "-watch events") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if code := run([]string{"-watch", "sometimes"}, &out, &errOut); code != 2 {
		t.Fatalf("-watch sometimes: exit %d, want 2", code)
	}
}

func TestAComplaintIsTakenFromTheCaseOrFollowUpSubject(t *testing.T) {
	for subject, want := range map[string]string{
		"complaints.events.followup.0193-abc": "0193-abc",
		"complaints.events.case.0193-abc":     "0193-abc",
		"complaints.events.redress.0193-abc":  "",
		"complaints.events.followup":          "",
		"elsewhere.followup.0193":             "",
	} {
		id, ok := complaintOfSubject(subject)
		if id != want || ok != (want != "") {
			t.Errorf("complaintOfSubject(%q) = %q, %v; want %q", subject, id, ok, want)
		}
	}
}
