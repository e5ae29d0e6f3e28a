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

var policy = domain.Policy{
	Regimes: domain.Regimes{Version: "test+000000000000", Default: "default", Regimes: []domain.Regime{
		{Name: "default", BusinessDays: 10},
		{Name: "monthly", CalendarDays: 30},
		{Name: "demo", Within: 30 * time.Second},
	}},
	Templates: domain.Templates{Templates: map[string]domain.MessageTemplate{
		domain.AcknowledgementTemplate: {Text: "Thank you. We are sorry. Your {{.Product}} complaint is {{.Reference}}; our response by {{.RespondBy}}."},
	}},
}

var complaints = domain.NewDecider(policy)

func submit() domain.SubmitComplaint {
	return domain.SubmitComplaint{
		ComplaintID: "c1", Reference: "CMP-TEST", CustomerID: "cust-1",
		CustomerName:  &complaintsv1.SealedValue{KeyId: "cust-1", Ciphertext: []byte{1}},
		CustomerEmail: &complaintsv1.SealedValue{KeyId: "cust-1", Ciphertext: []byte{2}},
		Channel:       "web", Product: "broadband", Description: "No service for 3 days",
		DesiredOutcome: "refund", ReceivedAt: receivedAt,
	}
}

func TestSubmittedComplaintIsReceivedAndAcknowledgedWithADatedPromiseByTheDefaultRegime(t *testing.T) {
	cmd := submit()
	respondBy := time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC) // 10 business days later
	decidertest.For(t, complaints).Given().When(cmd).Then(
		&complaintsv1.ComplaintReceived{
			ComplaintId: "c1", Reference: "CMP-TEST", CustomerId: "cust-1",
			CustomerName: cmd.CustomerName, CustomerEmail: cmd.CustomerEmail,
			Channel: "web", Product: "broadband", Description: "No service for 3 days",
			DesiredOutcome: "refund", ReceivedAt: timestamppb.New(receivedAt), Regime: "default",
		},
		&complaintsv1.ComplaintAcknowledged{
			ComplaintId:    "c1",
			Message:        "Thank you. We are sorry. Your broadband complaint is CMP-TEST; our response by Friday 4 December 2026.",
			RespondBy:      timestamppb.New(respondBy),
			AcknowledgedAt: timestamppb.New(receivedAt),
			DecidedBy:      &complaintsv1.PolicyRef{Policy: "regimes", Version: "test+000000000000", RuleId: "default"},
		},
	).ThenState(func(t testing.TB, c domain.Complaint) {
		if c.Status != domain.Acknowledged || !c.RespondBy.Equal(respondBy) || c.Reference != "CMP-TEST" {
			t.Errorf("state %+v", c)
		}
	})
}

func TestARegimeInSecondsPromisesAnInstant(t *testing.T) {
	cmd := submit()
	cmd.Regime = "demo"
	out := decidertest.For(t, complaints).When(cmd)
	events, err := out.Events()
	if err != nil {
		t.Fatal(err)
	}
	ack := events[1].(*complaintsv1.ComplaintAcknowledged)
	if want := receivedAt.Add(30 * time.Second); !ack.RespondBy.AsTime().Equal(want) {
		t.Fatalf("respond by %v, want %v", ack.RespondBy.AsTime(), want)
	}
	if !strings.Contains(ack.Message, "09:30:30 UTC on Friday 20 November 2026") || ack.DecidedBy.GetRuleId() != "demo" {
		t.Fatalf("acknowledgement %v", ack)
	}
}

func TestRegimesInDaysEndAtTheEndOfTheDay(t *testing.T) {
	for _, c := range []struct {
		regime domain.Regime
		want   time.Time
	}{
		{domain.Regime{BusinessDays: 10}, time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC)},
		{domain.Regime{CalendarDays: 30}, time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC)},
		{domain.Regime{BusinessDays: 1}, time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC)}, // Friday → Monday
	} {
		if got := c.regime.RespondBy(receivedAt); !got.Equal(c.want) {
			t.Errorf("%+v: %v, want %v", c.regime, got, c.want)
		}
	}
}

func TestAnUnknownRegimeIsRefused(t *testing.T) {
	cmd := submit()
	cmd.Regime = "mars"
	decidertest.For(t, complaints).When(cmd).ThenError(domain.ErrUnknownRegime)
}

func TestSameSubmissionAgainChangesNothing(t *testing.T) {
	events, _ := decidertest.For(t, complaints).When(submit()).Events()
	decidertest.For(t, complaints).Given(events...).When(submit()).ThenNothing().
		ThenState(func(t testing.TB, c domain.Complaint) {
			if c.Status != domain.Acknowledged {
				t.Errorf("status %v", c.Status)
			}
		})
}

func TestDifferentSubmissionUnderSameIDIsRefused(t *testing.T) {
	events, _ := decidertest.For(t, complaints).When(submit()).Events()
	other := submit()
	other.Description = "Something else entirely"
	decidertest.For(t, complaints).Given(events...).When(other).ThenError(domain.ErrSubmissionDiffers)
}

func TestRegimesPolicyNamesEveryFieldInError(t *testing.T) {
	r := domain.Regimes{Default: "gone", Regimes: []domain.Regime{
		{Name: "a", BusinessDays: 3, CalendarDays: 4},
		{Name: "a", Within: time.Second},
		{BusinessDays: -1},
	}}
	err := r.Validate()
	for _, want := range []string{
		"regimes[0]: exactly one of business_days, calendar_days and within is required",
		`regimes[1].name: "a" is already defined`,
		"regimes[2].name: is required",
		"regimes[2]: the response time must be positive",
		`default: "gone" is not one of the regimes`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestTemplatesPolicyNeedsAnAcknowledgementThatRenders(t *testing.T) {
	for text, want := range map[string]string{
		"":                           "",
		"Hello {{.Name}}":            "templates.acknowledgement.text",
		"Hello {{.Reference":         "templates.acknowledgement.text",
		"Your {{.Reference}} is in.": "",
	} {
		tp := domain.Templates{Templates: map[string]domain.MessageTemplate{domain.AcknowledgementTemplate: {Text: text}}}
		err := tp.Validate()
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("template %q: error %v, want %q", text, err, want)
		}
	}
	if err := (&domain.Templates{}).Validate(); err == nil || !strings.Contains(err.Error(), "templates.acknowledgement: is required") {
		t.Errorf("no templates: %v", err)
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
	events, _ := decidertest.For(t, complaints).When(submit()).Events()
	v := domain.View{}
	for _, e := range events {
		v = domain.EvolveView(v, e)
	}
	if v.Status != domain.StatusAcknowledged || v.Reference != "CMP-TEST" {
		t.Fatalf("after intake: %+v", v)
	}
	v = domain.EvolveView(v, &complaintsv1.CaseOpened{ComplaintId: "c1"})
	if v.Status != domain.StatusInvestigating {
		t.Fatalf("after case opened: %s", v.Status)
	}
	v = domain.EvolveView(v, &complaintsv1.CaseResolved{ComplaintId: "c1", Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage", ResolvedAt: timestamppb.Now()})
	if v.Status != domain.StatusResolved || v.RootCause != "network.outage" {
		t.Fatalf("after resolution: %+v", v)
	}
	v = domain.EvolveView(v, &complaintsv1.SurveyRequested{ComplaintId: "c1"})
	if v.Status != domain.StatusAwaitingFeedback {
		t.Fatalf("after survey: %s", v.Status)
	}
	v = domain.EvolveView(v, &complaintsv1.ComplaintClosed{ComplaintId: "c1", ClosedAt: timestamppb.Now()})
	if v.Status != domain.StatusClosed {
		t.Fatalf("after close: %s", v.Status)
	}
}
