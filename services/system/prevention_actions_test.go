package system_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	wire "github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/system"
)

// fastPrevention is a prevention policy on a scale of seconds: two-second
// buckets, one bucket of warm-up, a bucket open to late resolutions for one
// more, three resolutions of a cause received in a bucket (or a run of
// three) where there were none is a spike, and an action's effect is measured three
// seconds after completion (plus a second of grace).
const fastPrevention = `version: "system-test"
detection:
  bucket: 2s
  ewma_lambda: 0.5
  tail_probability: 0.001
  min_count: 3
  warm_up_buckets: 1
  retention: 1h
  horizon: 2s
evaluation:
  window: 3s
  grace: 1s
  alpha: 0.05
  reduction: 0.5
  power: 0.8
owners: [billing-process, billing]
`

func TestABurstOfOneCauseBecomesASystemicIssueAndAnActionIsEvaluatedByTimer(t *testing.T) {
	configDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(configDir, "prevention.yaml"), []byte(fastPrevention), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONFIG_DIR", configDir)
	dataDir := t.TempDir()
	writeTestTokens(t, dataDir)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-prevention-test", system.Services(intake.Config{Regime: "default", ConfigDir: configDir})...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	owner := a.as(testTokens["process-owner"])

	opened := func() string {
		var sub submitted
		a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
		a.eventually("/v1/cases/"+sub.ID, nil)
		return sub.ID
	}
	resolve := func(id, cause string) {
		a.call(http.MethodPost, "/v1/cases/"+id+"/resolution", map[string]any{
			"outcome": "upheld", "root_cause": cause, "summary": "Charge corrected", "agent": "a-7",
		}, http.StatusOK, nil)
	}

	// One resolution of another cause starts the counts; the burst is
	// received two buckets later, when the first is complete (ADR 0050).
	resolve(opened(), "delivery.late")
	time.Sleep(time.Until(time.Now().Truncate(2 * time.Second).Add(4*time.Second + 50*time.Millisecond)))
	burst := make([]string, 5)
	for i := range burst {
		burst[i] = opened()
	}
	for _, id := range burst {
		resolve(id, "billing.incorrect-charge")
	}

	var issue wire.SystemicIssue
	a.eventually("/v1/reports/root-causes", nil) // the system is up; issues come from prevention's own projection
	testkit.EventuallyNil(t, func() error {
		var issues wire.SystemicIssues
		owner.call(http.MethodGet, "/v1/systemic-issues?status=open", nil, http.StatusOK, &issues)
		for _, i := range issues.Issues {
			if i.RootCause == "billing.incorrect-charge" && i.Product == "" {
				issue = i
			}
		}
		if issue.ID == "" {
			return fmt.Errorf("no systemic issue for the burst: %+v", issues)
		}
		return nil
	})
	linked := map[string]bool{}
	for _, id := range issue.ComplaintIDs {
		linked[id] = true
	}
	if issue.Observed < 3 || len(issue.ComplaintIDs) != int(issue.Observed) || !linked[burst[0]] {
		t.Fatalf("issue %+v does not link the burst %v", issue, burst)
	}

	var action wire.PreventiveAction
	owner.call(http.MethodPost, "/v1/preventive-actions", map[string]any{
		"issue_id": issue.ID, "owner": "billing-process",
		"description": "Check tariff tables against the price list before each release", "due": time.Now().Add(time.Hour),
	}, http.StatusCreated, &action)
	owner.call(http.MethodPost, "/v1/preventive-actions/"+action.ID+"/completion", map[string]any{
		"completion": "Release checklist now compares tariffs",
	}, http.StatusOK, &action)
	if action.Status != "completed" || action.EvaluateAt == nil {
		t.Fatalf("completed action %+v", action)
	}

	testkit.EventuallyNil(t, func() error {
		owner.call(http.MethodGet, "/v1/preventive-actions/"+action.ID, nil, http.StatusOK, &action)
		if action.Effectiveness == nil {
			return fmt.Errorf("the evaluation timer did not fire: %+v", action)
		}
		return nil
	})
	e := action.Effectiveness
	if action.Status != "evaluated" || e.Verdict == "" || e.Method == "" || e.EvaluatedAt.Before(*action.EvaluateAt) {
		t.Fatalf("evaluated action %+v, effectiveness %+v", action, e)
	}
	var listed wire.PreventiveActions
	owner.call(http.MethodGet, "/v1/preventive-actions?status=evaluated", nil, http.StatusOK, &listed)
	var issueNow wire.SystemicIssue
	owner.call(http.MethodGet, "/v1/systemic-issues/"+issue.ID, nil, http.StatusOK, &issueNow)
	if len(issueNow.Actions) != 1 || issueNow.Actions[0] != action.ID {
		t.Fatalf("issue's actions %v, want %s", issueNow.Actions, action.ID)
	}
	t.Logf("issue: %d observed against %.2f expected (limit %.0f); action evaluated %s: before %d/%.0f, after %d/%.0f, p=%.3g",
		issue.Observed, issue.Expected, issue.UpperLimit, e.Verdict, e.BeforeCount, e.BeforeExposure, e.AfterCount, e.AfterExposure, e.PValue)
	_ = listed
}

// An outage storm is flagged from intake volume as it arrives, before any
// of its complaints is resolved, on a new installation with no history
// (the policy's prior stands in for it): ADR 0047, default policy.
func TestAStormOfComplaintsAboutOneProductIsFlaggedBeforeAnyIsResolved(t *testing.T) {
	dataDir := t.TempDir()
	writeTestTokens(t, dataDir)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-storm-test", system.Services(intake.Config{Regime: "default"})...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	owner := a.as(testTokens["process-owner"])

	// 45 about broadband: wherever a 5-minute bucket ends, one side holds at
	// least 23, above the policy's minimum of 20 and far above its prior of
	// 50 a day.
	storm := map[string]bool{}
	for range 45 {
		var sub submitted
		a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
		storm[sub.ID] = true
	}
	var issue wire.SystemicIssue
	testkit.EventuallyNil(t, func() error {
		var issues wire.SystemicIssues
		owner.call(http.MethodGet, "/v1/systemic-issues?status=open", nil, http.StatusOK, &issues)
		for _, i := range issues.Issues {
			if i.RootCause == "intake-volume" && i.Product == "broadband" {
				issue = i
			}
		}
		if issue.ID == "" {
			return fmt.Errorf("no systemic issue from intake volume: %+v", issues)
		}
		return nil
	})
	if issue.Observed < 20 || len(issue.ComplaintIDs) == 0 {
		t.Fatalf("issue %+v", issue)
	}
	for _, id := range issue.ComplaintIDs {
		if !storm[id] {
			t.Fatalf("issue names complaint %s, not of the storm", id)
		}
	}
	// No complaint of the storm was resolved: the issue came from the intake
	// volume alone.
	var c map[string]any
	a.call(http.MethodGet, "/v1/cases/"+issue.ComplaintIDs[0], nil, http.StatusOK, &c)
	if c["status"] == "resolved" {
		t.Fatalf("case %v", c)
	}
}
