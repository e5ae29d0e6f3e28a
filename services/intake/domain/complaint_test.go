package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/regime"
)

var receivedAt = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) // a Friday

var policy = domain.Policy{
	Regimes: regime.Regimes{Version: "test+000000000000", Default: "default", Regimes: []regime.Regime{
		{Name: "default", BusinessDays: 10},
		{Name: "monthly", CalendarDays: 30},
		{Name: "demo", Within: 30 * time.Second},
	}},
	Templates: notify.Templates{Version: "t+000000000000", Templates: map[string]notify.Template{
		notify.Acknowledgement: {Subject: "We have {{.Reference}}", Channel: "email",
			Text: "Thank you. We are sorry. Your {{.Product}} complaint is {{.Reference}}; our response by {{.RespondBy}}."},
	}},
	Products: domain.Products{Categories: []domain.ProductCategory{{Code: "connectivity", Products: []string{"broadband", "tv"}}}},
	Contacts: domain.Contacts{RecontactWindow: 30 * 24 * time.Hour},
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
			ProductCategory: "connectivity",
		},
		&complaintsv1.ComplaintAcknowledged{
			ComplaintId:    "c1",
			Message:        "Thank you. We are sorry. Your broadband complaint is CMP-TEST; our response by Friday 4 December 2026.",
			RespondBy:      timestamppb.New(respondBy),
			AcknowledgedAt: timestamppb.New(receivedAt),
			DecidedBy:      &complaintsv1.PolicyRef{Policy: "regimes", Version: "test+000000000000", RuleId: "default"},
		},
		&complaintsv1.NotificationRequested{
			NotificationId: "c1:acknowledgement", ComplaintId: "c1", CustomerId: "cust-1", Purpose: "acknowledgement",
			Template: "acknowledgement", Channel: "email", Subject: "We have CMP-TEST",
			Text:        "Thank you. We are sorry. Your broadband complaint is CMP-TEST; our response by Friday 4 December 2026.",
			RequestedAt: timestamppb.New(receivedAt),
			DecidedBy:   &complaintsv1.PolicyRef{Policy: "templates", Version: "t+000000000000", RuleId: "acknowledgement"},
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
		regime regime.Regime
		want   time.Time
	}{
		{regime.Regime{BusinessDays: 10}, time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC)},
		{regime.Regime{CalendarDays: 30}, time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC)},
		{regime.Regime{BusinessDays: 1}, time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC)}, // Friday → Monday
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
	r := regime.Regimes{Default: "gone", Regimes: []regime.Regime{
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

func TestAnUnknownProductIsRefusedNamingTheField(t *testing.T) {
	cmd := submit()
	cmd.Product = "spaceship"
	decidertest.For(t, complaints).When(cmd).ThenError(domain.ErrUnknownProduct)
}

func TestOptionalFieldsAreRecorded(t *testing.T) {
	cmd := submit()
	cmd.CustomerPhone = &complaintsv1.SealedValue{KeyId: "cust-1", Ciphertext: []byte{3}}
	cmd.VulnerabilityDetail = &complaintsv1.SealedValue{KeyId: "cust-1", Ciphertext: []byte{4}}
	cmd.DisputedAmountMinor, cmd.Currency, cmd.Vulnerable, cmd.Fingerprint, cmd.RecontactOf = 4599, "GBP", true, "ab12", "c0"
	events, err := decidertest.For(t, complaints).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	r := events[0].(*complaintsv1.ComplaintReceived)
	if r.DisputedAmountMinor != 4599 || r.Currency != "GBP" || !r.CustomerVulnerable || r.CustomerFingerprint != "ab12" ||
		r.RecontactOf != "c0" || r.CustomerPhone != cmd.CustomerPhone || r.VulnerabilityDetail != cmd.VulnerabilityDetail {
		t.Fatalf("received %v", r)
	}
}

func TestARepeatContactIsCountedAndAChannelSwitchNoticed(t *testing.T) {
	events, _ := decidertest.For(t, complaints).When(submit()).Events()
	at := receivedAt.Add(time.Hour)
	first := &complaintsv1.RepeatContactRecorded{ComplaintId: "c1", Channel: "web", Said: "Still down",
		ContactedAt: timestamppb.New(at), ChannelSwitch: false, RepeatContacts: 1}
	decidertest.For(t, complaints).Given(events...).
		When(domain.RecordRepeatContact{ComplaintID: "c1", Channel: "web", Said: "Still down", ContactedAt: at}).
		Then(first)
	decidertest.For(t, complaints).Given(append(events, first)...).
		When(domain.RecordRepeatContact{ComplaintID: "c1", Channel: "phone", Said: "Calling now", ContactedAt: at}).
		Then(&complaintsv1.RepeatContactRecorded{ComplaintId: "c1", Channel: "phone", Said: "Calling now",
			ContactedAt: timestamppb.New(at), ChannelSwitch: true, RepeatContacts: 2}).
		ThenState(func(t testing.TB, c domain.Complaint) {
			if c.RepeatContacts != 2 || c.LastChannel != "phone" {
				t.Errorf("state %+v", c)
			}
		})
}

func TestARepeatContactOnAComplaintNeverReceivedIsRefused(t *testing.T) {
	decidertest.For(t, complaints).When(domain.RecordRepeatContact{ComplaintID: "c9", Channel: "web"}).ThenError(domain.ErrNotReceived)
}

func TestProductsPolicyNamesEveryFieldInError(t *testing.T) {
	p := domain.Products{Categories: []domain.ProductCategory{
		{Code: "Bad Code", Products: []string{"broadband"}},
		{Code: "x", Products: []string{"broadband", "TV"}},
		{Code: "x"},
	}}
	err := p.Validate()
	for _, want := range []string{
		`categories[0].code: "Bad Code" must be`,
		`categories[1].products[0]: "broadband" is already in category "bad code"`[:40],
		`categories[1].products[1]: "TV" must be`,
		`categories[2].code: "x" is already defined`,
		`categories[2].products: at least one product is required`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if c, ok := policy.Products.CategoryOf("tv"); !ok || c != "connectivity" {
		t.Errorf("category of tv: %q %v", c, ok)
	}
	if err := (&domain.Contacts{RecontactWindow: -time.Hour}).Validate(); err == nil || !strings.Contains(err.Error(), "recontact_window") {
		t.Errorf("contacts: %v", err)
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
