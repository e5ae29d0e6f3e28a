package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
)

var receivedAt = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) // a Friday

func submit() domain.SubmitComplaint {
	return domain.SubmitComplaint{
		ComplaintID: "c1", Reference: "CMP-TEST", CustomerID: "cust-1",
		CustomerName:  &complaintsv1.SealedValue{KeyId: "cust-1", Ciphertext: []byte{1}},
		CustomerEmail: &complaintsv1.SealedValue{KeyId: "cust-1", Ciphertext: []byte{2}},
		Channel:       "web", Product: "broadband", Description: "No service for 3 days",
		DesiredOutcome: "refund", ReceivedAt: receivedAt, Regime: domain.Regimes["default"],
	}
}

func TestSubmittedComplaintIsReceivedAndAcknowledgedWithADatedPromise(t *testing.T) {
	cmd := submit()
	respondBy := time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC) // 10 business days later
	decidertest.For(t, domain.Decider).Given().When(cmd).Then(
		&complaintsv1.ComplaintReceived{
			ComplaintId: "c1", Reference: "CMP-TEST", CustomerId: "cust-1",
			CustomerName: cmd.CustomerName, CustomerEmail: cmd.CustomerEmail,
			Channel: "web", Product: "broadband", Description: "No service for 3 days",
			DesiredOutcome: "refund", ReceivedAt: timestamppb.New(receivedAt), Regime: "default",
		},
		&complaintsv1.ComplaintAcknowledged{
			ComplaintId:    "c1",
			Message:        domain.AcknowledgementMessage("CMP-TEST", "broadband", respondBy),
			RespondBy:      timestamppb.New(respondBy),
			AcknowledgedAt: timestamppb.New(receivedAt),
		},
	)
}

func TestAcknowledgementThanksApologisesAndPromisesADate(t *testing.T) {
	msg := domain.AcknowledgementMessage("CMP-1", "broadband", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC))
	for _, want := range []string{"Thank you", "sorry", "CMP-1", "Friday 4 December 2026"} {
		if !strings.Contains(msg, want) {
			t.Errorf("acknowledgement %q lacks %q", msg, want)
		}
	}
}

func TestSameSubmissionAgainChangesNothing(t *testing.T) {
	events, _ := decidertest.For(t, domain.Decider).When(submit()).Events()
	decidertest.For(t, domain.Decider).Given(events...).When(submit()).ThenNothing()
}

func TestDifferentSubmissionUnderSameIDIsRefused(t *testing.T) {
	events, _ := decidertest.For(t, domain.Decider).When(submit()).Events()
	other := submit()
	other.Description = "Something else entirely"
	decidertest.For(t, domain.Decider).Given(events...).When(other).ThenError(domain.ErrSubmissionDiffers)
}

func TestRegimeClocks(t *testing.T) {
	cases := []struct {
		regime string
		want   time.Time
	}{
		{"default", time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC)},
		{"uk-fca", time.Date(2027, 1, 15, 23, 59, 59, 0, time.UTC)},
		{"us-cfpb", time.Date(2026, 12, 5, 23, 59, 59, 0, time.UTC)},
		{"au-asic", time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC)},
	}
	for _, c := range cases {
		r, err := domain.RegimeNamed(c.regime)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.RespondBy(receivedAt); !got.Equal(c.want) {
			t.Errorf("%s: respond by %v, want %v", c.regime, got, c.want)
		}
	}
	if _, err := domain.RegimeNamed("nowhere"); err == nil {
		t.Error("unknown regime accepted")
	}
}

func TestReferenceIsStableAndReadable(t *testing.T) {
	a, b := domain.ReferenceFor("x"), domain.ReferenceFor("x")
	if a != b || !strings.HasPrefix(a, "CMP-") || len(a) != 12 {
		t.Fatalf("reference %q / %q", a, b)
	}
	if strings.ContainsAny(a[4:], "ILOU") {
		t.Fatalf("reference %q has ambiguous letters", a)
	}
}

func TestViewFollowsTheWholeLifecycle(t *testing.T) {
	events, _ := decidertest.For(t, domain.Decider).When(submit()).Events()
	v := domain.View{}
	for _, e := range events {
		v = domain.ApplyToView(v, e)
	}
	if v.Status != domain.StatusAcknowledged || v.Reference != "CMP-TEST" {
		t.Fatalf("after intake: %+v", v)
	}
	v = domain.ApplyToView(v, &complaintsv1.CaseOpened{ComplaintId: "c1"})
	if v.Status != domain.StatusInvestigating {
		t.Fatalf("after case opened: %s", v.Status)
	}
	v = domain.ApplyToView(v, &complaintsv1.CaseResolved{ComplaintId: "c1", Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage", ResolvedAt: timestamppb.Now()})
	if v.Status != domain.StatusResolved || v.RootCause != "network.outage" {
		t.Fatalf("after resolution: %+v", v)
	}
	v = domain.ApplyToView(v, &complaintsv1.SurveyRequested{ComplaintId: "c1"})
	if v.Status != domain.StatusAwaitingFeedback {
		t.Fatalf("after survey: %s", v.Status)
	}
	v = domain.ApplyToView(v, &complaintsv1.ComplaintClosed{ComplaintId: "c1", ClosedAt: timestamppb.Now()})
	if v.Status != domain.StatusClosed {
		t.Fatalf("after close: %s", v.Status)
	}
}
