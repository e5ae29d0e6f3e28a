package domain_test

import (
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// Monday 2026-01-05 09:00 UTC.
var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

// fold folds events, each recorded at the time it carries (or t0).
func fold(events ...proto.Message) *domain.Facts {
	f := domain.NewFacts()
	for _, e := range events {
		f.Evolve(e, t0)
	}
	return f
}

func received(id, product, channel, regime string, at time.Time) *complaintsv1.ComplaintReceived {
	return &complaintsv1.ComplaintReceived{ComplaintId: id, Product: product, Channel: channel, Regime: regime, ReceivedAt: ts(at)}
}

func resolved(id, cause, team string, outcome complaintsv1.Outcome, fcr bool, at time.Time) *complaintsv1.CaseResolved {
	return &complaintsv1.CaseResolved{ComplaintId: id, RootCause: cause, Team: team, Outcome: outcome, FirstContactResolution: fcr, ResolvedAt: ts(at)}
}

// scenario: four complaints.
//
//	a: card, web, uk-fca; billing.error; 1 repeat contact (channel switch),
//	   1 transfer; resolved upheld day 1 (FCR no); GBP 25.00 paid; CES 5;
//	   closed day 3; b comes back about it on day 5.
//	b: card, phone, uk-fca; billing.error; resolved rejected day 70 (late);
//	   1 information request; reopened once, resolved again day 70; CES 2.
//	c: loan, web, uk-fca; network.outage; resolved partly upheld day 10 with
//	   an apology only (non-monetary); FCR.
//	d: loan, web, us-cfpb; open.
func scenario() *domain.Facts {
	return fold(
		received("a", "card", "web", "uk-fca", day(0)),
		&complaintsv1.CaseAssigned{ComplaintId: "a", Team: "cards"},
		&complaintsv1.RepeatContactRecorded{ComplaintId: "a", Channel: "phone", ChannelSwitch: true, RepeatContacts: 1},
		&complaintsv1.CaseTransferred{ComplaintId: "a", FromTeam: "cards", ToTeam: "billing", Transfers: 1},
		resolved("a", "billing.error", "billing", complaintsv1.Outcome_OUTCOME_UPHELD, false, day(1)),
		&complaintsv1.RedressDecided{ComplaintId: "a", Items: []*complaintsv1.RedressItem{{AmountMinor: 2500, Currency: "GBP"}}},
		&complaintsv1.RedressIssued{ComplaintId: "a", AmountMinor: 2500, Currency: "GBP"},
		&complaintsv1.SurveyAnswered{ComplaintId: "a", Effort: 5, Csat: 3, Nps: 6, Resolved: true},
		&complaintsv1.ComplaintClosed{ComplaintId: "a", Reason: "customer-confirmed-resolved", ClosedAt: ts(day(3))},

		&complaintsv1.ComplaintReceived{ComplaintId: "b", Product: "card", Channel: "phone", Regime: "uk-fca", ReceivedAt: ts(day(5)), RecontactOf: "a"},
		&complaintsv1.CaseAssigned{ComplaintId: "b", Team: "cards"},
		&complaintsv1.InformationRequested{ComplaintId: "b", RequestId: "r1"},
		&complaintsv1.InformationProvided{ComplaintId: "b", RequestId: "r1", Channel: "phone"}, // the same channel
		resolved("b", "billing.error", "cards", complaintsv1.Outcome_OUTCOME_REJECTED, false, day(6)),
		&complaintsv1.CaseReopened{ComplaintId: "b", Reopens: 1},
		resolved("b", "billing.error", "cards", complaintsv1.Outcome_OUTCOME_REJECTED, false, day(70)),
		&complaintsv1.SurveyAnswered{ComplaintId: "b", Effort: 2, Resolved: true},

		received("c", "loan", "web", "uk-fca", day(7)), // a Monday
		&complaintsv1.CaseAssigned{ComplaintId: "c", Team: "loans"},
		resolved("c", "network.outage", "loans", complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD, true, day(10)),
		&complaintsv1.RedressDecided{ComplaintId: "c", Items: []*complaintsv1.RedressItem{{Kind: complaintsv1.RedressKind_REDRESS_KIND_APOLOGY}}},

		received("d", "loan", "web", "us-cfpb", day(8)),
		// An event the reports do not use changes nothing.
		&complaintsv1.ClockStarted{ComplaintId: "d", Clock: "final-response"},
	)
}

func TestTheRootCauseReportIsAParetoWithWhatEachCauseCosts(t *testing.T) {
	rep := scenario().RootCauseReport(domain.Filter{})
	if rep.Total != 3 || len(rep.Causes) != 2 {
		t.Fatalf("total %d, causes %+v", rep.Total, rep.Causes)
	}
	billing := domain.CauseShare{RootCause: "billing.error", Complaints: 2, Share: 2.0 / 3, Cumulative: 2.0 / 3,
		RedressPaidMinor: 2500, MeanEffort: 2.5, // a: repeat + switch + transfer = 3; b: info + reopen = 2
		CES: 3.5, CESAnswers: 2, ReopenRate: 0.5, RepeatContactRate: 0.5}
	outage := domain.CauseShare{RootCause: "network.outage", Complaints: 1, Share: 1.0 / 3, Cumulative: 1}
	if !reflect.DeepEqual(rep.Causes[0], billing) || !reflect.DeepEqual(rep.Causes[1], outage) {
		t.Fatalf("causes\n %+v\n %+v\nwant\n %+v\n %+v", rep.Causes[0], rep.Causes[1], billing, outage)
	}
	// Weeks of receipt: a and b (Saturday) in the week of Jan 5, c in the
	// week of Jan 12.
	wantWeeks := []time.Time{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)}
	if !reflect.DeepEqual(rep.Weeks, wantWeeks) {
		t.Fatalf("weeks %v, want %v", rep.Weeks, wantWeeks)
	}
	wantTrend := []domain.CauseTrend{{RootCause: "billing.error", Counts: []int64{2, 0}}, {RootCause: "network.outage", Counts: []int64{0, 1}}}
	if !reflect.DeepEqual(rep.Trend, wantTrend) {
		t.Fatalf("trend %+v, want %+v", rep.Trend, wantTrend)
	}
}

func TestTheRootCauseReportFilters(t *testing.T) {
	f := scenario()
	for name, tc := range map[string]struct {
		q    domain.Filter
		want map[string]int64
	}{
		"product":             {domain.Filter{Product: "loan"}, map[string]int64{"network.outage": 1}},
		"channel":             {domain.Filter{Channel: "phone"}, map[string]int64{"billing.error": 1}},
		"team (the last one)": {domain.Filter{Team: "billing"}, map[string]int64{"billing.error": 1}},
		"period of receipt":   {domain.Filter{From: day(5), To: day(8)}, map[string]int64{"billing.error": 1, "network.outage": 1}},
		"nothing":             {domain.Filter{Product: "mortgage"}, map[string]int64{}},
	} {
		got := map[string]int64{}
		for _, c := range f.RootCauseReport(tc.q).Causes {
			got[c.RootCause] = c.Complaints
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

func TestTheEffortReportCountsWhatComplaintsCostCustomers(t *testing.T) {
	rep := scenario().EffortReport(domain.Filter{}, 7)
	want := domain.EffortFigures{
		Complaints: 4, RepeatContactRate: 0.25,
		Closed: 1, RecontactRate: 1, // a closed day 3, b came back day 5
		TransfersPerComplaint: 0.25, ChannelSwitchesPerComplaint: 0.25, InformationRequestsPerComplaint: 0.25,
		Resolved: 3, FCRRate: 1.0 / 3, ReopenRate: 0.25, MeanEffort: 5.0 / 4,
		CES: domain.CESDistribution{Answers: 2, Mean: 3.5, Counts: []int64{0, 1, 0, 0, 1, 0, 0}},
	}
	if !reflect.DeepEqual(rep.Overall, want) {
		t.Fatalf("overall\n %+v\nwant\n %+v", rep.Overall, want)
	}
	// Two days is too short for b's recontact to count.
	if r := scenario().EffortReport(domain.Filter{}, 1).Overall.RecontactRate; r != 0 {
		t.Errorf("recontact within 1 day: %v, want 0", r)
	}
	keys := func(gs []domain.EffortGroup) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Key)
		}
		return out
	}
	if got := keys(rep.ByCause); !reflect.DeepEqual(got, []string{"billing.error", "network.outage", "unknown"}) {
		t.Errorf("by cause %v", got)
	}
	if got := keys(rep.ByTeam); !reflect.DeepEqual(got, []string{"billing", "cards", "loans", "unknown"}) {
		t.Errorf("by team %v (most effort first)", got)
	}
	if got := keys(rep.ByProduct); !reflect.DeepEqual(got, []string{"card", "loan"}) {
		t.Errorf("by product %v", got)
	}
	if rep.ByProduct[0].Complaints != 2 || rep.ByProduct[0].MeanEffort != 2.5 {
		t.Errorf("card: %+v", rep.ByProduct[0])
	}
}

func TestTheRegulatoryReportIsTheComplaintsReturn(t *testing.T) {
	rep := scenario().RegulatoryReport("uk-fca", day(0), day(90))
	want := domain.RegulatoryFigures{Opened: 3, Closed: 3,
		ClosedWithin3BusinessDays: 2,                 // a (1 business day), c (Mon to Thu: 3)
		ClosedWithin8Weeks:        0, ClosedLater: 1, // b: 65 days
		Upheld: 1, PartlyUpheld: 1, Rejected: 1, UpheldShare: 2.0 / 3,
		RedressPaidMinor: map[string]int64{"GBP": 2500}}
	if !reflect.DeepEqual(rep.Total, want) {
		t.Fatalf("total\n %+v\nwant\n %+v", rep.Total, want)
	}
	if len(rep.ByProduct) != 2 || rep.ByProduct[0].Product != "card" || rep.ByProduct[0].Closed != 2 || rep.ByProduct[1].Product != "loan" {
		t.Errorf("by product %+v", rep.ByProduct)
	}
	if len(rep.ByProductAndCause) != 2 || rep.ByProductAndCause[1].RootCause != "network.outage" {
		t.Errorf("by product and cause %+v", rep.ByProductAndCause)
	}
	wantCFPB := []domain.CFPBResponse{
		{CompanyResponse: domain.CFPBMonetary, Complaints: 1, Timely: 1},
		{CompanyResponse: domain.CFPBNonMonetary, Complaints: 1, Timely: 1},
		{CompanyResponse: domain.CFPBExplanation, Complaints: 1, Timely: 0},
	}
	if !reflect.DeepEqual(rep.CFPB, wantCFPB) {
		t.Errorf("cfpb %+v, want %+v", rep.CFPB, wantCFPB)
	}

	// A period that holds only b's late final response: nothing opened.
	late := scenario().RegulatoryReport("uk-fca", day(60), day(90))
	if late.Total.Opened != 0 || late.Total.Closed != 1 || late.Total.ClosedLater != 1 {
		t.Errorf("days 60-90: %+v", late.Total)
	}
	// The other regime holds d alone, still open.
	us := scenario().RegulatoryReport("us-cfpb", time.Time{}, time.Time{})
	if us.Total.Opened != 1 || us.Total.Closed != 0 {
		t.Errorf("us-cfpb: %+v", us.Total)
	}
	export := scenario().CFPBExport("", day(0), day(90))
	if len(export) != 3 || export[0].ComplaintID != "a" || !export[0].Timely || export[1].CompanyResponse != domain.CFPBExplanation {
		t.Errorf("export %+v", export)
	}
}

func TestBusinessDaysCountMondayToFriday(t *testing.T) {
	fri := time.Date(2026, 1, 9, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		to   time.Time
		want int
	}{
		{fri, 0}, {fri.AddDate(0, 0, 1), 0}, {fri.AddDate(0, 0, 3), 1}, {fri.AddDate(0, 0, 5), 3}, {fri.AddDate(0, 0, 6), 4},
	} {
		if got := domain.BusinessDaysAfter(fri, tc.to); got != tc.want {
			t.Errorf("Friday to %s: %d, want %d", tc.to.Weekday(), got, tc.want)
		}
	}
}

func TestARecontactIsFoundByTheCustomerWhenIntakeDidNotLinkIt(t *testing.T) {
	f := fold(
		&complaintsv1.ComplaintReceived{ComplaintId: "x", CustomerFingerprint: "fp", ReceivedAt: ts(day(0))},
		&complaintsv1.ComplaintClosed{ComplaintId: "x", ClosedAt: ts(day(1))},
		&complaintsv1.ComplaintReceived{ComplaintId: "y", CustomerFingerprint: "fp", ReceivedAt: ts(day(2))},
	)
	if got := f.EffortReport(domain.Filter{}, 7).Overall; got.Closed != 1 || got.RecontactRate != 1 {
		t.Fatalf("%+v: want x recontacted", got)
	}
}

func TestBusinessDaysAgreeWithCountingDayByDay(t *testing.T) {
	naive := func(from, to time.Time) int {
		d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
		end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
		n := 0
		for d = d.AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				n++
			}
		}
		return n
	}
	for i := range 2000 {
		from := t0.Add(time.Duration(i*37) * time.Hour)
		to := from.Add(time.Duration(i%300) * 7 * time.Hour)
		if got, want := domain.BusinessDaysAfter(from, to), naive(from, to); got != want {
			t.Fatalf("%s to %s: %d, want %d", from, to, got, want)
		}
	}
	if w := domain.WeekOf(time.Date(2026, 1, 11, 23, 59, 0, 0, time.UTC)); !w.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the week of Sunday 2026-01-11 starts %s", w)
	}
}

func TestAnAnswerOnAnotherChannelIsAChannelSwitch(t *testing.T) {
	f := fold(
		received("x", "card", "web", "uk-fca", day(0)),
		&complaintsv1.InformationRequested{ComplaintId: "x", RequestId: "r1"},
		&complaintsv1.InformationProvided{ComplaintId: "x", RequestId: "r1", Channel: "phone"},
	)
	if got := f.EffortReport(domain.Filter{}, 7).Overall; got.ChannelSwitchesPerComplaint != 1 || got.InformationRequestsPerComplaint != 1 {
		t.Fatalf("%+v: want one channel switch and one information request", got)
	}
}
