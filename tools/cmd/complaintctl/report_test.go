package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/tools/client"
	"github.com/complaintflow/complaintflow/tools/internal/systemtest"
)

func TestReportsAndProjectionsPrintReadableTables(t *testing.T) {
	url := systemtest.Start(t)
	mustCtl(t, "-url", url, "-timeout", "60s", "walk")
	testkit.EventuallyNil(t, func() error {
		if out := mustCtl(t, "-url", url, "report", "effort"); !strings.Contains(out, "Customer effort of 1 complaints") || !strings.Contains(out, "2.00 (1)") {
			return fmt.Errorf("the effort report never showed the walked complaint:\n%s", out)
		}
		return nil
	})
	wantLines(t, mustCtl(t, "-url", url, "report", "root-causes", "-from", "2020-01-01"), "1 resolved complaints", "from ", "network.outage", "100.0%", "per week")
	wantLines(t, mustCtl(t, "-url", url, "report", "effort", "-recontact-days", "14"), "RECONTACT 14d", "cause: network.outage", "team: network-support", "CES distribution")
	wantLines(t, mustCtl(t, "-url", url, "report", "regulatory", "-regime", "default"), "Complaints return, default", "<=3 BUS. DAYS", "broadband", "Closed with monetary relief")
	wantLines(t, mustCtl(t, "-url", url, "report", "regulatory", "-csv", "cfpb"), "Company response to consumer", "Closed with monetary relief,Yes")
	wantLines(t, mustCtl(t, "-url", url, "report", "root-causes", "-as-of", "2020-01-01"), "0 resolved complaints", "as of 2020-01-01")

	wantLines(t, mustCtl(t, "-url", url, "projections", "list"), "prevention-facts", "never")
	code, out, errOut := ctl(t, "-url", url, "projections", "rebuild", "prevention-facts")
	if code != 0 || !strings.Contains(out, "prevention-facts rebuilt") || !strings.Contains(errOut, "] 100.0%") || !strings.Contains(errOut, "events/s") {
		t.Fatalf("rebuild: exit %d\n%s\n%s", code, out, errOut)
	}
	wantLines(t, mustCtl(t, "-url", url, "projections", "status", "prevention-facts"), "events/s")

	for _, args := range [][]string{{"report", "nope"}, {"report", "effort", "extra"}, {"projections"}, {"projections", "rebuild"}, {"report", "-from", "yesterday"}} {
		if code, _, _ := ctl(t, append([]string{"-url", url}, args...)...); code != 2 {
			t.Errorf("complaintctl %q: exit %d, want 2", args, code)
		}
	}
}

func TestActionsPrintTheirMeasuredEffect(t *testing.T) {
	var b bytes.Buffer
	due := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	printActions(&b, []client.PreventiveAction{
		{ID: "pa-1", RootCause: "network.outage", Product: "broadband", Owner: "network operations", Description: "Second uplink", Due: due, Status: "evaluated",
			Effectiveness: &client.Effectiveness{Verdict: "effective", BeforeCount: 40, BeforeExposure: 400, AfterCount: 10, AfterExposure: 420, RateRatio: 0.24, PValue: 0.0001}},
		{ID: "pa-2", RootCause: "billing.error", Owner: "billing process", Description: "Fix rounding", Due: due, Status: "open"},
	})
	wantLines(t, b.String(), "ACTION", "pa-1", "broadband / network.outage", "network operations", "2026-03-01", "effective", "40/400", "10/420", "0.24", "pa-2", "Second uplink")
}
