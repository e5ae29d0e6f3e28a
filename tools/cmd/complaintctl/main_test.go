package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
	"github.com/complaintflow/complaintflow/tools/internal/systemtest"
)

// ctl runs complaintctl with args and returns its exit status and output.
func ctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustCtl runs complaintctl expecting success.
func mustCtl(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := ctl(t, args...)
	if code != 0 {
		t.Fatalf("complaintctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestWalkDrivesOneComplaintToClosed(t *testing.T) {
	url := systemtest.Start(t)

	out := mustCtl(t, "-url", url, "-timeout", "60s", "walk")
	for _, step := range []string{"submitted", "case", "assigned", "resolved", "redress", "survey", "answered", "closed"} {
		wantLines(t, out, " "+step+" ")
	}
	wantLines(t, out, "team network-support", "upheld, root cause network.outage", "account_credit, 25.00 GBP (",
		"CSAT 5/5, effort 2/7, resolved yes")

	var res walkResult
	if err := json.Unmarshal([]byte(mustCtl(t, "-url", url, "walk", "-json", "-product", "billing", "-team", "customer-care",
		"-outcome", "partly_upheld", "-root-cause", "billing.incorrect-charge", "-customer-id", "c-9")), &res); err != nil {
		t.Fatal(err)
	}
	if res.ComplaintID == "" || len(res.Steps) != 8 || res.Complaint.Status != client.StatusClosed ||
		res.Complaint.Case == nil || res.Complaint.Case.Team != "customer-care" || res.Complaint.Customer.ID != "c-9" {
		t.Fatalf("walk -json: %+v", res)
	}
	id := res.ComplaintID

	out = mustCtl(t, "-url", url, "show", id)
	wantLines(t, out, id, "closed", "Ann Lee <ann@example.com>", "partly_upheld", "billing.incorrect-charge", "goodwill_gesture, 10.00 GBP (issued)", "CSAT 5/5, effort 2/7, resolved yes")

	out = mustCtl(t, "-url", url, "timeline", id)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The happy path's steps, a transfer, and the steps around them
	// (triage, clocks, notifications, issuance, scheduling).
	for _, step := range []string{"ComplaintReceived", "CaseTransferred", "CaseResolved", "RedressIssued", "RedressSettled", "SurveyAnswered", "ComplaintClosed"} {
		if !strings.Contains(out, " "+step+" ") {
			t.Fatalf("timeline lacks %s:\n%s", step, out)
		}
	}
	// The closure is the last step of the complaint's process; only the
	// stopping of clocks still running may follow it.
	end := len(lines) - 1
	for end > 0 && strings.Contains(lines[end], " ClockStopped ") {
		end--
	}
	first, last := strings.Fields(lines[0]), strings.Fields(lines[end])
	if len(first) != 4 || first[1] != "intake" || first[2] != "ComplaintReceived" || first[3] != "system:dev-intake-system" ||
		last[1] != "followup" || last[2] != "ComplaintClosed" || !strings.HasPrefix(last[3], "customer:") {
		t.Fatalf("timeline lines want time, service, type, actor (the intake system submits; the customer closes):\n%s", out)
	}
	if _, err := time.Parse(timeLayout, first[0]); err != nil {
		t.Fatalf("timeline time %q: %v", first[0], err)
	}

	wantLines(t, mustCtl(t, "-url", url, "case", id), "resolved", "customer-care (transfers: 1)", "billing.incorrect-charge")
	wantLines(t, mustCtl(t, "-url", url, "redress", id), "issued", "goodwill_gesture", "10.00 GBP", "partly-upheld-goodwill")
	wantLines(t, mustCtl(t, "-url", url, "followup", id), "closed", "5/5", "2/7")

	var report client.RootCauseReport
	if _, err := client.WaitFor(testContext(t), client.Backoff{}, func(ctx context.Context) (client.RootCauseReport, error) {
		err := json.Unmarshal([]byte(mustCtl(t, "-url", url, "-json", "report")), &report)
		return report, err
	}, func(r client.RootCauseReport) bool { return r.Total == 2 }); err != nil {
		t.Fatal(err)
	}
	wantLines(t, mustCtl(t, "-url", url, "report"), "2 resolved complaints", "network.outage", "billing.incorrect-charge", "50.0%", "100.0%")
	wantLines(t, mustCtl(t, "-url", url, "root-causes"), "network.outage", "delivery.late")
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCommandsWorkACaseStepByStep(t *testing.T) {
	url := systemtest.Start(t)
	t.Setenv("COMPLAINTS_URL", url) // no -url: the address comes from the environment

	var sub client.Complaint
	out := mustCtl(t, "submit", "-json", "-customer-id", "c-2", "-name", "Bo Chen", "-email", "bo@example.com",
		"-channel", "phone", "-product", "delivery", "-description", "Parcel a week late", "-idempotency-key", "ctl-1")
	if err := json.Unmarshal([]byte(out), &sub); err != nil || sub.ID == "" || sub.Status != "acknowledged" {
		t.Fatalf("submit -json: %v\n%s", err, out)
	}
	id := sub.ID
	out = mustCtl(t, "submit", "-customer-id", "c-2", "-name", "Bo Chen", "-email", "bo@example.com",
		"-channel", "phone", "-product", "delivery", "-description", "Parcel a week late", "-idempotency-key", "ctl-1")
	wantLines(t, out, id, "Replayed", sub.Acknowledgement.Message)

	c := systemtest.Client(t, url, 1)
	if _, err := client.WaitFor(testContext(t), client.Backoff{}, func(ctx context.Context) (client.Case, error) { return c.Case(ctx, id) }, nil); err != nil {
		t.Fatal(err)
	}
	wantLines(t, mustCtl(t, "case", id), "logistics (transfers: 0)", "open")
	// Flags may follow the id.
	wantLines(t, mustCtl(t, "assign", id, "-team", "customer-care", "-agent", "a-3"), "customer-care (transfers: 1)")

	code, _, errOut := ctl(t, "resolve", id, "-outcome", "maybe", "-root-cause", "bob")
	if code != 1 {
		t.Fatalf("bad resolve exit %d", code)
	}
	wantLines(t, errOut, "400", "outcome: must be one of upheld, partly_upheld, rejected", "root_cause: must be a code listed")

	wantLines(t, mustCtl(t, "resolve", "-outcome", "upheld", "-root-cause", "delivery.late", "-summary", "Courier delay", id),
		"resolved", "upheld", "delivery.late", "Courier delay")

	code, _, errOut = ctl(t, "assign", id, "-team", "billing")
	if code != 1 || !strings.Contains(errOut, "409") {
		t.Fatalf("moving a resolved case: exit %d: %s", code, errOut)
	}

	if _, err := client.WaitFor(testContext(t), client.Backoff{}, func(ctx context.Context) (client.FollowUp, error) { return c.FollowUp(ctx, id) }, client.SurveyOut); err != nil {
		t.Fatal(err)
	}
	wantLines(t, mustCtl(t, "followup", id), "awaiting_answer")

	code, _, errOut = ctl(t, "answer", id, "-csat", "4")
	if code != 1 {
		t.Fatalf("answer without effort exit %d", code)
	}
	wantLines(t, errOut, "effort: is required", "resolved: is required")
	code, _, errOut = ctl(t, "-json", "answer", id, "-csat", "9", "-effort", "2", "-resolved")
	var p client.Problem
	if code != 1 || json.Unmarshal([]byte(errOut), &p) != nil || p.Status != 400 {
		t.Fatalf("answer with csat 9: exit %d: %s", code, errOut)
	}
	if _, ok := p.Field("csat"); !ok {
		t.Fatalf("problem does not name csat: %+v", p)
	}

	wantLines(t, mustCtl(t, "answer", id, "-csat", "4", "-effort", "3", "-resolved", "-comment", "ok"), "4/5", "3/7", "yes")
	if _, err := client.WaitFor(testContext(t), client.Backoff{}, func(ctx context.Context) (client.Complaint, error) { return c.Complaint(ctx, id) },
		func(v client.Complaint) bool { return v.Status == client.StatusClosed }); err != nil {
		t.Fatal(err)
	}
	wantLines(t, mustCtl(t, "show", id), "closed", "Bo Chen <bo@example.com>", "customer-care", "delivery.late")
}

func TestAPIErrorsExitOneNamingTheField(t *testing.T) {
	url := systemtest.Start(t)
	code, out, errOut := ctl(t, "-url", url, "submit", "-customer-id", "c", "-name", "n", "-email", "nope", "-product", "p", "-description", "d", "-channel", "pigeon")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	wantLines(t, errOut, "400 The request has invalid fields", "customer.email: must be a valid e-mail address", "channel: must be one of")

	code, _, errOut = ctl(t, "-url", url, "show", "does-not-exist")
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Fatalf("unknown complaint: exit %d: %s", code, errOut)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"show"},
		{"show", "a", "b"},
		{"assign", "x", "-nope"},
		{"report", "extra"},
		{"-nope", "show", "x"},
	} {
		if code, _, _ := ctl(t, args...); code != 2 {
			t.Errorf("complaintctl %q: exit %d, want 2", args, code)
		}
	}
	if code, out, _ := ctl(t, "help"); code != 0 || !strings.Contains(out, "walk") {
		t.Errorf("help: exit %d:\n%s", code, out)
	}
}

func TestFlagsMayComeBeforeOrAfterArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-team", "t", "id"},
		{"id", "-team", "t"},
		{"-team=t", "--", "id"},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		team := fs.String("team", "", "")
		pos, err := parse(fs, args)
		if err != nil || len(pos) != 1 || pos[0] != "id" || *team != "t" {
			t.Errorf("parse %q: %q, team %q, %v", args, pos, *team, err)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pos, err := parse(fs, []string{"--", "-not-a-flag"})
	if err != nil || len(pos) != 1 || pos[0] != "-not-a-flag" {
		t.Errorf("after --: %q, %v", pos, err)
	}
}

func TestAmountsPrintInMajorUnits(t *testing.T) {
	for minor, want := range map[int64]string{2500: "25.00 GBP", 5: "0.05 GBP", -1999: "-19.99 GBP"} {
		if got := fmtAmount(minor, "GBP"); got != want {
			t.Errorf("fmtAmount(%d) = %q, want %q", minor, got, want)
		}
	}
	if got := fmtAmount(0, ""); got != "none" {
		t.Errorf("no amount: %q", got)
	}
}
