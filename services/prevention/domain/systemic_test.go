package domain_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

var detection = domain.Detection{
	IssueID: domain.IssueID("billing.incorrect-charge", "", day0), RootCause: "billing.incorrect-charge",
	WindowStart: day0, WindowEnd: day0.Add(24 * time.Hour), Observed: 9, Expected: 1.2, UpperLimit: 9,
	Method: "poisson-ewma", ComplaintIDs: []string{"c-1", "c-2"}, DetectedAt: day0.Add(3 * time.Hour),
}

func TestADetectedSpikeIsOneIssueHoweverOftenItIsDelivered(t *testing.T) {
	decidertest.For(t, domain.IssueDecider).
		When(domain.DetectIssue{Detection: detection}).
		Then(detection.Event())
	decidertest.For(t, domain.IssueDecider).
		Given(detection.Event()).
		When(domain.DetectIssue{Detection: detection}).
		ThenNothing()
}

func TestAnOpenIssueIsClosedWithAReasonOnce(t *testing.T) {
	at := day0.Add(48 * time.Hour)
	closed := &complaintsv1.SystemicIssueClosed{IssueId: detection.IssueID, Reason: "tariff table fixed", ClosedBy: "process-owner:p-1", ClosedAt: timestamppb.New(at)}
	decidertest.For(t, domain.IssueDecider).
		Given(detection.Event()).
		When(domain.CloseIssue{Reason: "tariff table fixed", By: "process-owner:p-1", At: at}).
		Then(closed).
		ThenState(func(t testing.TB, s domain.Issue) {
			if s.Status != domain.IssueClosed {
				t.Fatalf("status %s", s.Status)
			}
		})
	decidertest.For(t, domain.IssueDecider).Given(detection.Event(), closed).
		When(domain.CloseIssue{Reason: "again", At: at}).ThenNothing()
	decidertest.For(t, domain.IssueDecider).Given(detection.Event()).
		When(domain.CloseIssue{At: at}).ThenError(domain.ErrReasonRequired)
	decidertest.For(t, domain.IssueDecider).
		When(domain.CloseIssue{Reason: "x", At: at}).ThenError(domain.ErrNoSuchIssue)
}

var detectionPolicy = domain.DetectionPolicy{
	Bucket: 24 * time.Hour, EWMALambda: 0.3, TailProbability: 1e-3, MinCount: 4, WarmUpBuckets: 3, Retention: 30 * 24 * time.Hour,
}

func TestTheDetectorFindsABurstPerCauseAndPerProductAndCause(t *testing.T) {
	d := domain.NewDetector()
	resolve := func(day int, hour int, id, cause, product string) []domain.Detection {
		return d.Observe(domain.Resolution{ComplaintID: id, RootCause: cause, Product: product,
			At: day0.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour)}, detectionPolicy)
	}
	// A steady trickle: one a day on broadband, one every other day on mobile.
	for day := range 10 {
		if got := resolve(day, 9, "b", "network.outage", "broadband"); len(got) != 0 {
			t.Fatalf("day %d: trickle detected: %+v", day, got)
		}
		if day%2 == 0 {
			resolve(day, 10, "m", "network.outage", "mobile")
		}
	}
	// Day 10: a burst on broadband, within hours.
	var found []domain.Detection
	burst := 0
	for burst < 20 && len(found) < 2 {
		found = append(found, resolve(10, 0, fmt.Sprintf("burst-%d", burst), "network.outage", "broadband")...)
		burst++
	}
	if len(found) != 2 {
		t.Fatalf("detections %+v, want the broadband series and then all products", found)
	}
	got, all := found[0], found[1]
	start := day0.Add(10 * 24 * time.Hour)
	if got.Product != "broadband" || got.RootCause != "network.outage" || !got.WindowStart.Equal(start) ||
		got.IssueID != domain.IssueID("network.outage", "broadband", start) || got.Observed != 7 || got.UpperLimit != 7 ||
		len(got.ComplaintIDs) != 7 || got.ComplaintIDs[0] != "burst-0" || got.Expected < 0.9 || got.Expected > 1.1 {
		t.Fatalf("broadband detection %+v, want 7 against a baseline of one a day", got)
	}
	if all.Product != "" || all.Observed != int64(burst) || float64(all.Observed) != all.UpperLimit || all.IssueID == got.IssueID {
		t.Fatalf("all-products detection %+v after %d", all, burst)
	}
	if more := resolve(10, 5, "late", "network.outage", "broadband"); len(more) != 0 {
		t.Fatalf("a bucket is flagged once: %+v", more)
	}
	c := d.CountsBetween("network.outage", "broadband", day0.Add(8*24*time.Hour), day0.Add(11*24*time.Hour), detectionPolicy.Bucket)
	if c.Cause != int64(2+burst+1) || c.Volume != c.Cause {
		t.Fatalf("counts %+v, want %d broadband outages", c, 2+burst+1)
	}
	total := d.CountsBetween("network.outage", "", day0, day0.Add(11*24*time.Hour), detectionPolicy.Bucket)
	if total.Cause != int64(10+5+burst+1) || total.Volume != total.Cause {
		t.Fatalf("counts over all products %+v", total)
	}
}

func TestTheDetectorForgetsCountsPastRetention(t *testing.T) {
	d := domain.NewDetector()
	p := detectionPolicy
	p.Retention = 5 * 24 * time.Hour
	d.Observe(domain.Resolution{ComplaintID: "old", RootCause: "delivery.late", At: day0}, p)
	d.Observe(domain.Resolution{ComplaintID: "new", RootCause: "delivery.late", At: day0.Add(20 * 24 * time.Hour)}, p)
	if c := d.CountsBetween("delivery.late", "", day0, day0.Add(30*24*time.Hour), p.Bucket); c.Cause != 1 || c.Volume != 1 {
		t.Fatalf("counts %+v, want only the recent one", c)
	}
}
