package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

const (
	regulatory = complaintsv1.ClockKind_CLOCK_KIND_REGULATORY
	internal   = complaintsv1.ClockKind_CLOCK_KIND_INTERNAL
)

var received = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func mustPolicy(t testing.TB) domain.Policy {
	t.Helper()
	r := regime.Regimes{Version: "test+1", Default: "demo", Regimes: []regime.Regime{
		{Name: "demo", Clocks: []regime.Clock{
			{Name: "final-response", Kind: regime.Regulatory, Rule: regime.Rule{Within: time.Minute}, WarnBefore: "10s", MetBy: regime.MetByFinalResponse,
				Exceptional: &regime.Rule{Within: 3 * time.Minute}},
			{Name: "resolution", Kind: regime.Internal, Rule: regime.Rule{Within: 2 * time.Minute}, WarnBefore: "30s", MetBy: regime.MetByResolved},
			{Name: "first-human-contact", Kind: regime.Internal, Rule: regime.Rule{Within: 30 * time.Second}, WarnBefore: "5s", MetBy: regime.MetByHumanContact},
			{Name: "summary-resolution", Kind: regime.Regulatory, Rule: regime.Rule{Within: 20 * time.Second}, WarnBefore: "5s", MetBy: regime.MetByResolved, Window: true},
		}},
		{Name: "asic", Clocks: []regime.Clock{
			{Name: "acknowledgement", Kind: regime.Regulatory, Rule: regime.Rule{BusinessDays: 1}, WarnBefore: "4h", MetBy: regime.MetByAcknowledged},
		}},
	}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	cal := regime.Calendars{Default: "utc", Calendars: []regime.Calendar{{Name: "utc", TimeZone: "UTC", WorkingDays: []string{"mon", "tue", "wed", "thu", "fri"}, Hours: regime.Hours{Start: "09:00", End: "17:00"}}}}
	if err := cal.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := regime.Resolve(r, cal)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := policy.Load[notify.Templates]("", "templates")
	if err != nil {
		t.Fatal(err)
	}
	return domain.Policy{Regimes: p, Templates: &tpl.Value}
}

func started(clock string, kind complaintsv1.ClockKind, due, warn time.Duration, metBy string) *complaintsv1.ClockStarted {
	return &complaintsv1.ClockStarted{
		ComplaintId: "c1", Clock: clock, Kind: kind, Regime: "demo", StartedAt: ts(received),
		Due: ts(received.Add(due)), WarnAt: ts(received.Add(due - warn)), MetBy: metBy,
		DecidedBy: &complaintsv1.PolicyRef{Policy: "regimes", Version: "test+1", RuleId: "demo/" + clock},
		Reference: "CMP-1", Product: "broadband", CustomerId: "cust-1", Calendar: "utc",
	}
}

// theClocks are the ClockStarted events of a demo complaint received at received.
func theClocks() []proto.Message {
	final := started("final-response", regulatory, time.Minute, 10*time.Second, regime.MetByFinalResponse)
	final.HoldingResponse = true
	final.ExceptionalDue, final.ExceptionalWarnAt = ts(received.Add(3*time.Minute)), ts(received.Add(3*time.Minute-10*time.Second))
	summary := started("summary-resolution", regulatory, 20*time.Second, 5*time.Second, regime.MetByResolved)
	summary.Window = true
	return []proto.Message{
		final,
		started("resolution", internal, 2*time.Minute, 30*time.Second, regime.MetByResolved),
		started("first-human-contact", internal, 30*time.Second, 5*time.Second, regime.MetByHumanContact),
		summary,
	}
}

func receipt() domain.StartClocks {
	return domain.StartClocks{ComplaintID: "c1", Regime: "demo", Reference: "CMP-1", Product: "broadband", CustomerID: "cust-1", ReceivedAt: received}
}

func TestAReceivedComplaintStartsEveryClockOfItsRegime(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	decidertest.For(t, clocks).Given().When(receipt()).Then(theClocks()...).
		ThenState(func(t testing.TB, s domain.Clocks) {
			if s.Status != domain.Started || len(s.Clocks) != 4 || s.Clocks[0].Status != domain.Running || s.Reference != "CMP-1" {
				t.Errorf("state %+v", s)
			}
		})
	decidertest.For(t, clocks).Given(theClocks()...).When(receipt()).ThenNothing()
}

func TestAnUnknownRegimeRunsTheDefault(t *testing.T) {
	cmd := receipt()
	cmd.Regime = "mars"
	decidertest.For(t, domain.NewDecider(mustPolicy(t))).When(cmd).Then(theClocks()...)
}

func TestAnASICAcknowledgementIsDueByTheEndOfTheNextBusinessDay(t *testing.T) {
	cmd := receipt()
	cmd.Regime = "asic" // received on a Friday
	events, err := decidertest.For(t, domain.NewDecider(mustPolicy(t))).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	ack := events[0].(*complaintsv1.ClockStarted)
	if want := time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC); ack.Clock != "acknowledgement" || !ack.Due.AsTime().Equal(want) || ack.Kind != regulatory {
		t.Fatalf("clock %v, want due %v", ack, want)
	}
	decidertest.For(t, domain.NewDecider(mustPolicy(t))).Given(events...).
		When(domain.MeetClocks{By: regime.MetByAcknowledged, At: received.Add(time.Second)}).
		Then(&complaintsv1.ClockMet{ComplaintId: "c1", Clock: "acknowledgement", MetAt: ts(received.Add(time.Second)), MetBy: "acknowledged"})
}

// Intake acknowledges in the append that records the receipt: the clocks
// start with the acknowledgement clock already met, in one decision.
func TestAComplaintAcknowledgedWithItsReceiptStartsItsClocksWithTheAcknowledgementMet(t *testing.T) {
	cmd := receipt()
	cmd.Regime = "asic"
	clocks := domain.NewDecider(mustPolicy(t))
	startedOnly, err := decidertest.For(t, clocks).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	cmd.AcknowledgedAt = received.Add(time.Second)
	met := &complaintsv1.ClockMet{ComplaintId: "c1", Clock: "acknowledgement", MetAt: ts(received.Add(time.Second)), MetBy: "acknowledged"}
	decidertest.For(t, clocks).When(cmd).Then(append(startedOnly, met)...).
		ThenState(func(t testing.TB, s domain.Clocks) {
			if k, ok := s.Clock("acknowledgement"); !ok || k.Status != domain.Met {
				t.Errorf("acknowledgement clock %+v", k)
			}
		})
	// The acknowledgement, delivered afterwards, changes nothing.
	decidertest.For(t, clocks).Given(append(startedOnly, met)...).
		When(domain.MeetClocks{By: regime.MetByAcknowledged, At: received.Add(time.Second)}).ThenNothing()
	// A regime with no acknowledgement clock starts its clocks alone.
	cmd.Regime = "demo"
	decidertest.For(t, clocks).When(cmd).Then(theClocks()...)
}

func TestAnInformationRequestPausesInternalClocksOnly(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	at := received.Add(10 * time.Second)
	decidertest.For(t, clocks).Given(theClocks()...).When(domain.PauseClocks{RequestID: "r1", At: at}).Then(
		&complaintsv1.ClockPaused{ComplaintId: "c1", Clock: "resolution", PausedAt: ts(at), Reason: "waiting for the customer's answer", RequestId: "r1"},
		&complaintsv1.ClockPaused{ComplaintId: "c1", Clock: "first-human-contact", PausedAt: ts(at), Reason: "waiting for the customer's answer", RequestId: "r1"},
	).ThenState(func(t testing.TB, s domain.Clocks) {
		for _, c := range s.Clocks {
			if want := map[string]domain.Status{"resolution": domain.Paused, "first-human-contact": domain.Paused}[c.Name]; want != 0 && c.Status != want ||
				want == 0 && c.Status != domain.Running {
				t.Errorf("%s is %v", c.Name, c.Status)
			}
		}
	})
}

func TestAnAnswerResumesThePausedClocksWithTheirDueTimesMovedByThePause(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	pausedAt, resumedAt := received.Add(10*time.Second), received.Add(25*time.Second)
	paused, _ := decidertest.For(t, clocks).Given(theClocks()...).When(domain.PauseClocks{RequestID: "r1", At: pausedAt}).Events()
	given := append(theClocks(), paused...)
	decidertest.For(t, clocks).Given(given...).When(domain.ResumeClocks{RequestID: "other", At: resumedAt}).ThenNothing()
	decidertest.For(t, clocks).Given(given...).When(domain.ResumeClocks{RequestID: "r1", At: resumedAt}).Then(
		&complaintsv1.ClockResumed{ComplaintId: "c1", Clock: "resolution", ResumedAt: ts(resumedAt),
			Due: ts(received.Add(2*time.Minute + 15*time.Second)), WarnAt: ts(received.Add(90*time.Second + 15*time.Second))},
		&complaintsv1.ClockResumed{ComplaintId: "c1", Clock: "first-human-contact", ResumedAt: ts(resumedAt),
			Due: ts(received.Add(45 * time.Second)), WarnAt: ts(received.Add(40 * time.Second))},
	).ThenState(func(t testing.TB, s domain.Clocks) {
		if c, _ := s.Clock("resolution"); c.Status != domain.Running || c.PausedTotal != 15*time.Second {
			t.Errorf("resolution %+v", c)
		}
	})
	// A timer set for the due time before the pause is stale.
	resumed, _ := decidertest.For(t, clocks).Given(given...).When(domain.ResumeClocks{RequestID: "r1", At: resumedAt}).Events()
	decidertest.For(t, clocks).Given(append(given, resumed...)...).
		When(domain.FireTimer{Clock: "resolution", Due: received.Add(2 * time.Minute), At: received.Add(2 * time.Minute)}).ThenNothing()
	// A paused clock ignores its timers.
	decidertest.For(t, clocks).Given(given...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: received.Add(30 * time.Second), At: received.Add(30 * time.Second)}).ThenNothing()
}

func TestTimersWarnThenBreachOnce(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	warnAt, due := received.Add(20*time.Second), received.Add(30*time.Second)
	warning := &complaintsv1.ClockWarning{ComplaintId: "c1", Clock: "first-human-contact", Kind: internal, Due: ts(due), WarnedAt: ts(warnAt.Add(time.Second))}
	decidertest.For(t, clocks).Given(theClocks()...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: due, Warning: true, At: warnAt.Add(time.Second)}).Then(warning)
	decidertest.For(t, clocks).Given(append(theClocks(), warning)...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: due, Warning: true, At: warnAt.Add(2 * time.Second)}).ThenNothing()
	breach := &complaintsv1.ClockBreached{ComplaintId: "c1", Clock: "first-human-contact", Kind: internal, Due: ts(due), BreachedAt: ts(due), Regime: "demo"}
	decidertest.For(t, clocks).Given(append(theClocks(), warning)...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: due, At: due}).Then(breach)
	decidertest.For(t, clocks).Given(append(theClocks(), warning, breach)...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: due, At: due.Add(time.Second)}).ThenNothing()
	// A firing for a due time the clock never had is stale.
	decidertest.For(t, clocks).Given(theClocks()...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: due.Add(time.Hour), At: due}).ThenNothing()
}

func TestARegulatoryFinalResponseBreachSendsTheHoldingResponseAndStartsTheExceptionalClock(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	due := received.Add(time.Minute)
	events, err := decidertest.For(t, clocks).Given(theClocks()...).When(domain.FireTimer{Clock: "final-response", Due: due, At: due}).Events()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("events %v", events)
	}
	if b := events[0].(*complaintsv1.ClockBreached); b.Clock != "final-response" || b.Kind != regulatory || b.Window {
		t.Errorf("breach %v", b)
	}
	if x := events[1].(*complaintsv1.ClockStarted); x.Clock != "final-response-exceptional" || !x.Due.AsTime().Equal(received.Add(3*time.Minute)) ||
		!x.StartedAt.AsTime().Equal(received) || x.HoldingResponse || x.MetBy != regime.MetByFinalResponse {
		t.Errorf("exceptional clock %v", x)
	}
	n := events[2].(*complaintsv1.NotificationRequested)
	if n.Purpose != notify.HoldingResponse || n.CustomerId != "cust-1" || n.NotificationId != "c1:holding-response:final-response" || n.Text == "" {
		t.Errorf("notification %v", n)
	}
	// The resolution afterwards meets the late clock and the exceptional one in time.
	resolvedAt := due.Add(time.Minute)
	decidertest.For(t, clocks).Given(append(theClocks(), events...)...).When(domain.MeetClocks{By: regime.MetByResolved, At: resolvedAt}).Then(
		&complaintsv1.ClockMet{ComplaintId: "c1", Clock: "final-response", MetAt: ts(resolvedAt), Late: true, MetBy: "resolved"},
		&complaintsv1.ClockMet{ComplaintId: "c1", Clock: "resolution", MetAt: ts(resolvedAt), MetBy: "resolved"},
		&complaintsv1.ClockMet{ComplaintId: "c1", Clock: "final-response-exceptional", MetAt: ts(resolvedAt), MetBy: "resolved"},
	)
}

func TestASummaryResolutionWindowClosesWithoutHoldingResponseAndIsNotMetLate(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	due := received.Add(20 * time.Second)
	breach := &complaintsv1.ClockBreached{ComplaintId: "c1", Clock: "summary-resolution", Kind: regulatory, Due: ts(due), BreachedAt: ts(due), Regime: "demo", Window: true}
	decidertest.For(t, clocks).Given(theClocks()...).When(domain.FireTimer{Clock: "summary-resolution", Due: due, At: due}).Then(breach)
	at := due.Add(time.Second)
	decidertest.For(t, clocks).Given(append(theClocks(), breach)...).When(domain.MeetClocks{By: regime.MetByResolved, At: at}).Then(
		&complaintsv1.ClockMet{ComplaintId: "c1", Clock: "final-response", MetAt: ts(at), MetBy: "resolved"},
		&complaintsv1.ClockMet{ComplaintId: "c1", Clock: "resolution", MetAt: ts(at), MetBy: "resolved"},
	)
}

func TestMetClocksIgnoreTheirTimersAndAreMetOnce(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	at := received.Add(5 * time.Second)
	met := &complaintsv1.ClockMet{ComplaintId: "c1", Clock: "first-human-contact", MetAt: ts(at), MetBy: "human-contact"}
	decidertest.For(t, clocks).Given(theClocks()...).When(domain.MeetClocks{By: regime.MetByHumanContact, At: at}).Then(met)
	given := append(theClocks(), met)
	decidertest.For(t, clocks).Given(given...).When(domain.MeetClocks{By: regime.MetByHumanContact, At: at.Add(time.Second)}).ThenNothing()
	decidertest.For(t, clocks).Given(given...).
		When(domain.FireTimer{Clock: "first-human-contact", Due: received.Add(30 * time.Second), At: received.Add(30 * time.Second)}).ThenNothing()
}

func TestAReopenRestartsTheInternalResolutionClockOnly(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	resolvedAt, reopenedAt := received.Add(10*time.Second), received.Add(5*time.Minute)
	met, _ := decidertest.For(t, clocks).Given(theClocks()...).When(domain.MeetClocks{By: regime.MetByResolved, At: resolvedAt}).Events()
	given := append(theClocks(), met...)
	restarted := started("resolution", internal, 2*time.Minute, 30*time.Second, regime.MetByResolved)
	restarted.StartedAt, restarted.Due, restarted.WarnAt = ts(reopenedAt), ts(reopenedAt.Add(2*time.Minute)), ts(reopenedAt.Add(90*time.Second))
	decidertest.For(t, clocks).Given(given...).When(domain.RestartClocks{Reason: "not fixed", At: reopenedAt}).Then(restarted).
		ThenState(func(t testing.TB, s domain.Clocks) {
			if c, _ := s.Clock("resolution"); c.Status != domain.Running {
				t.Errorf("resolution %+v", c)
			}
			if c, _ := s.Clock("final-response"); c.Status != domain.Met {
				t.Errorf("final response %+v", c)
			}
		})
}

// Follow-up closes a complaint whose first human contact never happened
// (nobody called): that clock stops, and neither its warning nor its breach
// follows; the clocks already met or breached stay as they are.
func TestAClosedComplaintsClocksStopAndNothingMovesThemAgain(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	resolvedAt, closedAt := received.Add(10*time.Second), received.Add(15*time.Second)
	met, _ := decidertest.For(t, clocks).Given(theClocks()...).When(domain.MeetClocks{By: regime.MetByResolved, At: resolvedAt}).Events()
	given := append(theClocks(), met...)
	stopped := &complaintsv1.ClockStopped{ComplaintId: "c1", Clock: "first-human-contact", StoppedAt: ts(closedAt),
		Reason: "the complaint was closed (customer-confirmed-resolved)"}
	decidertest.For(t, clocks).Given(given...).When(domain.StopClocks{Closure: "customer-confirmed-resolved", At: closedAt}).Then(stopped).
		ThenState(func(t testing.TB, s domain.Clocks) {
			if s.Status != domain.Closed {
				t.Errorf("clocks %v after the closure", s.Status)
			}
			for name, want := range map[string]domain.Status{"first-human-contact": domain.Stopped, "final-response": domain.Met,
				"resolution": domain.Met, "summary-resolution": domain.Met} {
				if c, _ := s.Clock(name); c.Status != want {
					t.Errorf("%s is %v, want %v", name, c.Status, want)
				}
			}
		})

	closed := append(given, stopped)
	due := received.Add(30 * time.Second)
	for _, cmd := range []domain.ClockCommand{
		domain.FireTimer{Clock: "first-human-contact", Due: due, Warning: true, At: due.Add(-5 * time.Second)},
		domain.FireTimer{Clock: "first-human-contact", Due: due, At: due},
		domain.FireTimer{Clock: "first-human-contact", Due: due, At: due.Add(time.Hour)},
		domain.MeetClocks{By: regime.MetByHumanContact, At: due},
		domain.RestartClocks{Reason: "not fixed", At: due},
		domain.PauseClocks{RequestID: "r1", At: due},
		domain.StopClocks{Closure: "customer-confirmed-resolved", At: due},
		receipt(),
	} {
		decidertest.For(t, clocks).Given(closed...).When(cmd).ThenNothing()
	}
}

func TestAClosureStopsPausedClocksToo(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	pausedAt, closedAt := received.Add(5*time.Second), received.Add(10*time.Minute)
	paused, _ := decidertest.For(t, clocks).Given(theClocks()...).When(domain.PauseClocks{RequestID: "r1", At: pausedAt}).Events()
	stop := func(clock string) *complaintsv1.ClockStopped {
		return &complaintsv1.ClockStopped{ComplaintId: "c1", Clock: clock, StoppedAt: ts(closedAt), Reason: "the complaint was closed (no-response)"}
	}
	given := append(theClocks(), paused...)
	decidertest.For(t, clocks).Given(given...).When(domain.StopClocks{Closure: "no-response", At: closedAt}).Then(
		stop("final-response"), stop("resolution"), stop("first-human-contact"), stop("summary-resolution"))
	decidertest.For(t, clocks).Given(append(given, stop("final-response"), stop("resolution"), stop("first-human-contact"), stop("summary-resolution"))...).
		When(domain.ResumeClocks{RequestID: "r1", At: closedAt.Add(time.Minute)}).ThenNothing()
}

func TestNothingHappensBeforeTheClocksStart(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	for _, cmd := range []domain.ClockCommand{
		domain.PauseClocks{RequestID: "r", At: received}, domain.ResumeClocks{RequestID: "r", At: received},
		domain.MeetClocks{By: regime.MetByResolved, At: received}, domain.FireTimer{Clock: "x", Due: received, At: received},
		domain.RestartClocks{At: received}, domain.StopClocks{At: received},
	} {
		decidertest.For(t, clocks).Given().When(cmd).ThenNothing()
	}
}

func TestNoRegimeAtAllIsRefused(t *testing.T) {
	p := mustPolicy(t)
	p.Regimes = regime.Policy{}
	_, err := decidertest.For(t, domain.NewDecider(p)).When(receipt()).Events()
	if !errors.Is(err, domain.ErrNoRegime) {
		t.Fatalf("error %v", err)
	}
}

func defaultPolicy(t testing.TB) domain.Policy {
	t.Helper()
	p, err := regime.Load("")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := policy.Load[notify.Templates]("", "templates")
	if err != nil {
		t.Fatal(err)
	}
	return domain.Policy{Regimes: p, Templates: &tpl.Value}
}

func TestAnFCAFinalResponseBreachAfterEightWeeksSendsTheFCAHoldingResponse(t *testing.T) {
	clocks := domain.NewDecider(defaultPolicy(t))
	cmd := receipt()
	cmd.Regime = "uk-fca"
	events, err := decidertest.For(t, clocks).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	var final *complaintsv1.ClockStarted
	for _, e := range events {
		if s := e.(*complaintsv1.ClockStarted); s.Clock == "final-response" {
			final = s
		}
	}
	due := time.Date(2027, 1, 15, 23, 59, 59, 0, time.UTC) // 8 weeks after Friday 20 November 2026
	if final == nil || !final.Due.AsTime().Equal(due) || final.Kind != regulatory || !final.HoldingResponse || final.Calendar != "england-and-wales" {
		t.Fatalf("final response clock %v", final)
	}
	out, err := decidertest.For(t, clocks).Given(events...).When(domain.FireTimer{Clock: "final-response", Due: due, At: due}).Events()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("events %v", out)
	}
	n := out[1].(*complaintsv1.NotificationRequested)
	if n.Template != "holding-response.uk-fca" || !strings.Contains(n.Text, "Financial Ombudsman Service") || !strings.Contains(n.Subject, "CMP-1") {
		t.Fatalf("holding response %v", n)
	}
}

func TestAPaymentsBreachAtFifteenBusinessDaysStartsTheThirtyFiveDayClock(t *testing.T) {
	clocks := domain.NewDecider(defaultPolicy(t))
	cmd := receipt()
	cmd.Regime, cmd.ReceivedAt = "uk-fca-payments", time.Date(2026, 12, 14, 10, 0, 0, 0, time.UTC)
	events, err := decidertest.For(t, clocks).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2027, 1, 7, 23, 59, 59, 0, time.UTC) // over the Christmas bank holidays
	out, err := decidertest.For(t, clocks).Given(events...).When(domain.FireTimer{Clock: "final-response", Due: due, At: due}).Events()
	if err != nil {
		t.Fatal(err)
	}
	x, ok := out[1].(*complaintsv1.ClockStarted)
	if want := time.Date(2027, 2, 4, 23, 59, 59, 0, time.UTC); !ok || x.Clock != "final-response-exceptional" || !x.Due.AsTime().Equal(want) {
		t.Fatalf("exceptional clock %v, want due %v", out, want)
	}
	if n, ok := out[2].(*complaintsv1.NotificationRequested); !ok || n.Purpose != notify.HoldingResponse {
		t.Fatalf("holding response %v", out)
	}
}

func TestASecondInformationRequestWhilePausedChangesNothing(t *testing.T) {
	clocks := domain.NewDecider(mustPolicy(t))
	paused, _ := decidertest.For(t, clocks).Given(theClocks()...).When(domain.PauseClocks{RequestID: "r1", At: received}).Events()
	decidertest.For(t, clocks).Given(append(theClocks(), paused...)...).When(domain.PauseClocks{RequestID: "r2", At: received.Add(time.Second)}).ThenNothing()
}
