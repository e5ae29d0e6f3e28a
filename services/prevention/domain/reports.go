package domain

import (
	"sort"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Filter selects the complaints of a report: received in [From, To) (zero:
// unbounded) and of a product, channel and team (empty: all).
type Filter struct {
	From, To               time.Time
	Product, Channel, Team string
}

// Keeps reports whether the filter keeps the complaint.
func (q Filter) Keeps(f *Fact) bool {
	if f.ReceivedAt.IsZero() {
		return false // a case whose complaint the log has not shown yet
	}
	return inPeriod(f.ReceivedAt, q.From, q.To) &&
		(q.Product == "" || f.Product == q.Product) &&
		(q.Channel == "" || f.Channel == q.Channel) &&
		(q.Team == "" || f.Team == q.Team)
}

func inPeriod(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
}

const (
	day  = 24 * 60 * 60
	week = 7 * day
	// firstMonday is 1970-01-05, the first Monday after the Unix epoch,
	// in seconds.
	firstMonday = 4 * day
)

// floorDiv is a / b rounded down.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekStart is the Unix second of the Monday 00:00 UTC starting t's week.
func weekStart(t time.Time) int64 {
	return floorDiv(t.Unix()-firstMonday, week)*week + firstMonday
}

// WeekOf is the Monday 00:00 UTC starting t's week.
func WeekOf(t time.Time) time.Time { return time.Unix(weekStart(t), 0).UTC() }

// MaxTrendWeeks bounds the weekly trend to its latest weeks.
const MaxTrendWeeks = 52

// RootCauseReport is the Pareto of root causes of the resolved complaints
// its Filter keeps, most frequent first, with each cause's weekly trend.
type RootCauseReport struct {
	Filter Filter
	Total  int64
	Causes []CauseShare
	// Weeks are the Mondays (UTC) of the weekly trend, oldest first.
	Weeks []time.Time
	Trend []CauseTrend
}

// CauseShare is one root cause's line of the report: its complaints, their
// share and the cumulative share down to it, and what they cost.
type CauseShare struct {
	RootCause  string
	Complaints int64
	Share      float64
	Cumulative float64
	// RedressPaidMinor is the redress paid, in minor units of whatever
	// currency.
	RedressPaidMinor int64
	// MeanEffort is the mean number of effort steps per complaint.
	MeanEffort float64
	// CES is the mean Customer Effort Score of the CESAnswers answers.
	CES               float64
	CESAnswers        int64
	ReopenRate        float64
	RepeatContactRate float64
}

// CauseTrend is one root cause's complaints per week (the report's Weeks,
// in order).
type CauseTrend struct {
	RootCause string
	Counts    []int64
}

type causeAcc struct {
	n, paid, effort, cesSum, cesN, reopened, repeated int64
	weeks                                             map[int64]int64
}

// RootCauseReport is the Pareto of root causes of the resolved complaints
// the filter keeps, with what each cause costs (redress, effort, CES,
// reopens, repeat contacts) and its weekly trend by week of receipt.
func (t *Facts) RootCauseReport(q Filter) RootCauseReport {
	acc := map[string]*causeAcc{}
	var total int64
	var first, last int64
	t.Each(func(f *Fact) {
		if f.RootCause == "" || !q.Keeps(f) {
			return
		}
		a := acc[f.RootCause]
		if a == nil {
			a = &causeAcc{weeks: map[int64]int64{}}
			acc[f.RootCause] = a
		}
		total++
		a.n++
		a.paid += f.PaidMinor
		a.effort += int64(f.Effort())
		if f.Surveyed && f.CES > 0 {
			a.cesSum += int64(f.CES)
			a.cesN++
		}
		if f.Reopens > 0 {
			a.reopened++
		}
		if f.RepeatContact > 0 {
			a.repeated++
		}
		w := weekStart(f.ReceivedAt)
		a.weeks[w]++
		if total == 1 || w < first {
			first = w
		}
		if w > last {
			last = w
		}
	})
	rep := RootCauseReport{Filter: q, Total: total, Causes: []CauseShare{}, Weeks: []time.Time{}, Trend: []CauseTrend{}}
	for cause, a := range acc {
		rep.Causes = append(rep.Causes, CauseShare{
			RootCause: cause, Complaints: a.n, RedressPaidMinor: a.paid,
			MeanEffort: ratio(a.effort, a.n), CES: ratio(a.cesSum, a.cesN), CESAnswers: a.cesN,
			ReopenRate: ratio(a.reopened, a.n), RepeatContactRate: ratio(a.repeated, a.n),
		})
	}
	sort.Slice(rep.Causes, func(i, j int) bool {
		if rep.Causes[i].Complaints != rep.Causes[j].Complaints {
			return rep.Causes[i].Complaints > rep.Causes[j].Complaints
		}
		return rep.Causes[i].RootCause < rep.Causes[j].RootCause
	})
	var cum int64
	for i := range rep.Causes {
		cum += rep.Causes[i].Complaints
		rep.Causes[i].Share = ratio(rep.Causes[i].Complaints, total)
		rep.Causes[i].Cumulative = ratio(cum, total)
	}
	if total == 0 {
		return rep
	}
	first = max(first, last-(MaxTrendWeeks-1)*week)
	for w := first; w <= last; w += week {
		rep.Weeks = append(rep.Weeks, time.Unix(w, 0).UTC())
	}
	for _, c := range rep.Causes {
		counts := make([]int64, len(rep.Weeks))
		for i := range rep.Weeks {
			counts[i] = acc[c.RootCause].weeks[first+int64(i)*week]
		}
		rep.Trend = append(rep.Trend, CauseTrend{RootCause: c.RootCause, Counts: counts})
	}
	return rep
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// EffortFigures measure what complaints cost customers (Dixon): how often
// they had to come back, be passed on, switch channel, answer questions or
// reopen, and how hard they said it was.
type EffortFigures struct {
	Complaints        int64
	RepeatContactRate float64
	// Closed complaints, and the share of them that came back as a new
	// complaint within the report's recontact days after closure.
	Closed        int64
	RecontactRate float64
	// Per complaint.
	TransfersPerComplaint           float64
	ChannelSwitchesPerComplaint     float64
	InformationRequestsPerComplaint float64
	// Resolved complaints, and the share resolved at first contact.
	Resolved   int64
	FCRRate    float64
	ReopenRate float64
	// MeanEffort is the mean number of effort steps (repeat contacts,
	// channel switches, transfers, information requests, reopens).
	MeanEffort float64
	CES        CESDistribution
}

// CESDistribution is the Customer Effort Scores answered (1 = very easy to
// 7 = very hard): Counts[i] answered i+1.
type CESDistribution struct {
	Answers int64
	Mean    float64
	Counts  []int64
}

// EffortGroup is the effort of one cause, product or team.
type EffortGroup struct {
	Key string
	EffortFigures
}

// EffortReport is the effort of the complaints its Filter keeps, overall
// and by cause, product and team (the most effort first).
type EffortReport struct {
	Filter        Filter
	RecontactDays int
	Overall       EffortFigures
	ByCause       []EffortGroup
	ByProduct     []EffortGroup
	ByTeam        []EffortGroup
}

type effortAcc struct {
	n, repeated, closed, recontacted, transfers, switches, infos, resolved, fcr, reopened, effort int64
	ces                                                                                           [7]int64
}

func (a *effortAcc) add(f *Fact, recontactWithin time.Duration) {
	a.n++
	if f.RepeatContact > 0 {
		a.repeated++
	}
	if !f.ClosedAt.IsZero() {
		a.closed++
		for _, r := range f.Recontacts {
			if !r.Before(f.ClosedAt) && r.Sub(f.ClosedAt) <= recontactWithin {
				a.recontacted++
				break
			}
		}
	}
	a.transfers += int64(f.Transfers)
	a.switches += int64(f.ChannelSwitches)
	a.infos += int64(f.InfoRequests)
	if !f.FirstResolvedAt.IsZero() {
		a.resolved++
		if f.FCR && f.Reopens == 0 {
			a.fcr++
		}
	}
	if f.Reopens > 0 {
		a.reopened++
	}
	a.effort += int64(f.Effort())
	if f.Surveyed && f.CES >= 1 && f.CES <= 7 {
		a.ces[f.CES-1]++
	}
}

func (a *effortAcc) figures() EffortFigures {
	var answers, sum int64
	counts := make([]int64, 7)
	for i, c := range a.ces {
		counts[i] = c
		answers += c
		sum += c * int64(i+1)
	}
	return EffortFigures{
		Complaints: a.n, RepeatContactRate: ratio(a.repeated, a.n),
		Closed: a.closed, RecontactRate: ratio(a.recontacted, a.closed),
		TransfersPerComplaint: ratio(a.transfers, a.n), ChannelSwitchesPerComplaint: ratio(a.switches, a.n),
		InformationRequestsPerComplaint: ratio(a.infos, a.n),
		Resolved:                        a.resolved, FCRRate: ratio(a.fcr, a.resolved), ReopenRate: ratio(a.reopened, a.n),
		MeanEffort: ratio(a.effort, a.n),
		CES:        CESDistribution{Answers: answers, Mean: ratio(sum, answers), Counts: counts},
	}
}

func groups(m map[string]*effortAcc) []EffortGroup {
	out := make([]EffortGroup, 0, len(m))
	for k, a := range m {
		out = append(out, EffortGroup{Key: k, EffortFigures: a.figures()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MeanEffort != out[j].MeanEffort {
			return out[i].MeanEffort > out[j].MeanEffort
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// EffortReport is the effort the complaints the filter keeps cost their
// customers, overall and by cause, product and team (the most effort
// first). A closed complaint counts as recontacted when a later complaint
// came back about it within recontactDays of its closure.
func (t *Facts) EffortReport(q Filter, recontactDays int) EffortReport {
	within := time.Duration(recontactDays) * 24 * time.Hour
	var all effortAcc
	by := [3]map[string]*effortAcc{{}, {}, {}}
	t.Each(func(f *Fact) {
		if !q.Keeps(f) {
			return
		}
		all.add(f, within)
		for i, k := range [3]string{f.RootCause, f.Product, f.Team} {
			if k == "" {
				k = "unknown"
			}
			a := by[i][k]
			if a == nil {
				a = &effortAcc{}
				by[i][k] = a
			}
			a.add(f, within)
		}
	})
	return EffortReport{Filter: q, RecontactDays: recontactDays, Overall: all.figures(),
		ByCause: groups(by[0]), ByProduct: groups(by[1]), ByTeam: groups(by[2])}
}

// AnsweredIn3BusinessDays says whether a closed complaint's final response
// came by the end of the third business day after its receipt, counted in
// its regime's business calendar (FCA complaints return, DISP 1.10).
type AnsweredIn3BusinessDays func(f *Fact) bool

// MondayToFriday counts business days Monday to Friday in UTC, with no
// holidays: the count when no calendar is configured.
func MondayToFriday(f *Fact) bool { return BusinessDaysAfter(f.ReceivedAt, f.ResolvedAt) <= 3 }

// BusinessDaysAfter counts the Monday-to-Friday days after from's day up to
// and including to's day (UTC). Public holidays are not taken into account.
func BusinessDaysAfter(from, to time.Time) int {
	d0, d1 := floorDiv(from.Unix(), day), floorDiv(to.Unix(), day)
	if d1 <= d0 {
		return 0
	}
	return int(businessDaysBefore(d1+1) - businessDaysBefore(d0+1))
}

// businessDaysBefore counts the Monday-to-Friday days numbered below d
// (day 0 is 1970-01-01, a Thursday), from the Monday 1969-12-29 on.
func businessDaysBefore(d int64) int64 {
	x := d + 3 // days since Monday 1969-12-29
	weeks, rest := floorDiv(x, 7), x-floorDiv(x, 7)*7
	return weeks*5 + min(rest, 5)
}

// CFPB company-response categories.
const (
	CFPBMonetary    = "Closed with monetary relief"
	CFPBNonMonetary = "Closed with non-monetary relief"
	CFPBExplanation = "Closed with explanation"
	CFPBInProgress  = "In progress"
)

// CFPBTimely is how soon a response is timely for the CFPB.
const CFPBTimely = 15 * 24 * time.Hour

// CompanyResponse is the complaint's CFPB company-response category.
func (f *Fact) CompanyResponse() string {
	switch {
	case f.Open():
		return CFPBInProgress
	case f.PaidMinor > 0 || f.DecidedMinor > 0:
		return CFPBMonetary
	case f.NonMonetary > 0 && f.Outcome != int32(complaintsv1.Outcome_OUTCOME_REJECTED):
		return CFPBNonMonetary
	default:
		return CFPBExplanation
	}
}

// Timely reports whether the final response came within the CFPB's 15 days.
func (f *Fact) Timely() bool {
	return !f.Open() && f.ResolvedAt.Sub(f.ReceivedAt) <= CFPBTimely
}

// RegulatoryFigures are the counts of a complaints return (FCA DISP 1
// Annex 1 style): complaints opened and closed in the period, how fast the
// closed ones got their final response, how many were upheld, and the
// redress paid for them (minor units per currency).
type RegulatoryFigures struct {
	Opened                    int64
	Closed                    int64
	ClosedWithin3BusinessDays int64
	ClosedWithin8Weeks        int64
	ClosedLater               int64
	Upheld                    int64
	PartlyUpheld              int64
	Rejected                  int64
	UpheldShare               float64
	RedressPaidMinor          map[string]int64
}

// RegulatoryRow is one product, cause or product and cause of the return.
type RegulatoryRow struct {
	Product   string
	RootCause string
	RegulatoryFigures
}

// CFPBResponse counts the complaints of one company-response category
// (CFPB style), and how many of them were answered in time (15 days).
type CFPBResponse struct {
	CompanyResponse string
	Complaints      int64
	Timely          int64
}

// RegulatoryReport is the complaints return of a Regime (empty: every
// regime) for [From, To) (zero: unbounded).
type RegulatoryReport struct {
	Regime            string
	From, To          time.Time
	Total             RegulatoryFigures
	ByProduct         []RegulatoryRow
	ByCause           []RegulatoryRow
	ByProductAndCause []RegulatoryRow
	CFPB              []CFPBResponse
}

// CFPBComplaint is one line of the CFPB-style export.
type CFPBComplaint struct {
	ComplaintID     string
	Product         string
	SubmittedVia    string
	ReceivedAt      time.Time
	RespondedAt     time.Time
	CompanyResponse string
	Timely          bool
}

type regAcc struct{ f RegulatoryFigures }

func (a *regAcc) add(f *Fact, from, to time.Time, in3 AnsweredIn3BusinessDays) {
	if inPeriod(f.ReceivedAt, from, to) {
		a.f.Opened++
	}
	if f.Open() || !inPeriod(f.ResolvedAt, from, to) {
		return
	}
	a.f.Closed++
	switch {
	case in3(f):
		a.f.ClosedWithin3BusinessDays++
	case f.ResolvedAt.Sub(f.ReceivedAt) <= 8*7*24*time.Hour:
		a.f.ClosedWithin8Weeks++
	default:
		a.f.ClosedLater++
	}
	switch complaintsv1.Outcome(f.Outcome) {
	case complaintsv1.Outcome_OUTCOME_UPHELD:
		a.f.Upheld++
	case complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD:
		a.f.PartlyUpheld++
	case complaintsv1.Outcome_OUTCOME_REJECTED:
		a.f.Rejected++
	}
	if f.PaidMinor > 0 {
		cur := f.Currency
		if cur == "" {
			cur = "XXX"
		}
		a.f.RedressPaidMinor[cur] += f.PaidMinor
	}
}

func newRegAcc() *regAcc {
	return &regAcc{f: RegulatoryFigures{RedressPaidMinor: map[string]int64{}}}
}

// merge adds b's counts to a's.
func (a *regAcc) merge(b *regAcc) {
	a.f.Opened += b.f.Opened
	a.f.Closed += b.f.Closed
	a.f.ClosedWithin3BusinessDays += b.f.ClosedWithin3BusinessDays
	a.f.ClosedWithin8Weeks += b.f.ClosedWithin8Weeks
	a.f.ClosedLater += b.f.ClosedLater
	a.f.Upheld += b.f.Upheld
	a.f.PartlyUpheld += b.f.PartlyUpheld
	a.f.Rejected += b.f.Rejected
	for cur, n := range b.f.RedressPaidMinor {
		a.f.RedressPaidMinor[cur] += n
	}
}

// figures are the counts with the upheld share worked out.
func (a *regAcc) figures() RegulatoryFigures {
	f := a.f
	f.UpheldShare = ratio(f.Upheld+f.PartlyUpheld, f.Closed)
	return f
}

// RegulatoryReport is the complaints return of a regime (empty: every
// regime) for [from, to): complaints opened (received) and closed (final
// response sent) in the period, how fast the closed ones were answered
// (within 3 business days, within 8 weeks, later), upheld share and
// redress paid, in total and by product, cause and both, plus the CFPB
// company-response summary of the complaints closed in the period.
func (t *Facts) RegulatoryReport(regime string, from, to time.Time) RegulatoryReport {
	return t.RegulatoryReportIn(MondayToFriday, regime, from, to)
}

// RegulatoryReportIn is RegulatoryReport with the third business day
// counted by in3 (the regimes' calendars).
func (t *Facts) RegulatoryReportIn(in3 AnsweredIn3BusinessDays, regime string, from, to time.Time) RegulatoryReport {
	if in3 == nil {
		in3 = MondayToFriday
	}
	// One pass counts by product and cause; the totals by product, by
	// cause and overall are sums of those.
	byBoth := map[[2]string]*regAcc{}
	cfpb := map[string]*CFPBResponse{}
	t.Each(func(f *Fact) {
		if f.ReceivedAt.IsZero() || (regime != "" && f.Regime != regime) {
			return
		}
		opened := inPeriod(f.ReceivedAt, from, to)
		closed := !f.Open() && inPeriod(f.ResolvedAt, from, to)
		if !opened && !closed {
			return
		}
		k := [2]string{orUnknown(f.Product), orUnknown(f.RootCause)}
		if byBoth[k] == nil {
			byBoth[k] = newRegAcc()
		}
		byBoth[k].add(f, from, to, in3)
		if closed {
			r := f.CompanyResponse()
			if cfpb[r] == nil {
				cfpb[r] = &CFPBResponse{CompanyResponse: r}
			}
			cfpb[r].Complaints++
			if f.Timely() {
				cfpb[r].Timely++
			}
		}
	})
	total := newRegAcc()
	byProduct, byCause := map[string]*regAcc{}, map[string]*regAcc{}
	for k, a := range byBoth {
		total.merge(a)
		for _, g := range []struct {
			m   map[string]*regAcc
			key string
		}{{byProduct, k[0]}, {byCause, k[1]}} {
			if g.m[g.key] == nil {
				g.m[g.key] = newRegAcc()
			}
			g.m[g.key].merge(a)
		}
	}
	rep := RegulatoryReport{Regime: regime, From: from, To: to, Total: total.figures(), ByProduct: []RegulatoryRow{}, ByCause: []RegulatoryRow{},
		ByProductAndCause: []RegulatoryRow{}, CFPB: []CFPBResponse{}}
	for k, a := range byProduct {
		rep.ByProduct = append(rep.ByProduct, RegulatoryRow{Product: k, RegulatoryFigures: a.figures()})
	}
	for k, a := range byCause {
		rep.ByCause = append(rep.ByCause, RegulatoryRow{RootCause: k, RegulatoryFigures: a.figures()})
	}
	for k, a := range byBoth {
		rep.ByProductAndCause = append(rep.ByProductAndCause, RegulatoryRow{Product: k[0], RootCause: k[1], RegulatoryFigures: a.figures()})
	}
	for _, rows := range [][]RegulatoryRow{rep.ByProduct, rep.ByCause, rep.ByProductAndCause} {
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].Product != rows[j].Product {
				return rows[i].Product < rows[j].Product
			}
			return rows[i].RootCause < rows[j].RootCause
		})
	}
	for _, r := range []string{CFPBMonetary, CFPBNonMonetary, CFPBExplanation} {
		if c := cfpb[r]; c != nil {
			rep.CFPB = append(rep.CFPB, *c)
		}
	}
	return rep
}

// CFPBExport lists the complaints of a regime (empty: all) closed in
// [from, to), one line each, CFPB style.
func (t *Facts) CFPBExport(regime string, from, to time.Time) []CFPBComplaint {
	var out []CFPBComplaint
	t.Each(func(f *Fact) {
		if f.ReceivedAt.IsZero() || (regime != "" && f.Regime != regime) || f.Open() || !inPeriod(f.ResolvedAt, from, to) {
			return
		}
		out = append(out, CFPBComplaint{ComplaintID: f.ID, Product: f.Product, SubmittedVia: f.Channel,
			ReceivedAt: f.ReceivedAt, RespondedAt: f.ResolvedAt, CompanyResponse: f.CompanyResponse(), Timely: f.Timely()})
	})
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
