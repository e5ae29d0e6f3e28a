package domain_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// defaultDetection is prevention.yaml's detection policy.
var defaultDetection = domain.DetectionPolicy{
	Bucket: 24 * time.Hour, EWMALambda: 0.1, TailProbability: 1e-6, MinCount: 5, WarmUpBuckets: 14, Retention: 8760 * time.Hour,
}

// complaint is one complaint the way the detector sees it: opened when it
// is received, resolved some time later with a root cause.
type complaint struct {
	id       string
	cause    string
	product  string
	received time.Time
	resolved time.Time
}

// caseEvent is an opening or a resolution, in the order the log holds them.
type caseEvent struct {
	at     time.Time
	opened bool
	c      complaint
}

// timeline is the openings and resolutions of complaints in time order.
func timeline(cs []complaint) []caseEvent {
	var evs []caseEvent
	for _, c := range cs {
		evs = append(evs, caseEvent{c.received, true, c}, caseEvent{c.resolved, false, c})
	}
	slices.SortStableFunc(evs, func(a, b caseEvent) int { return a.at.Compare(b.at) })
	return evs
}

// replay feeds the openings and resolutions of complaints to d in time
// order, and returns the detections.
func replay(d *domain.Detector, p domain.DetectionPolicy, cs []complaint) []domain.Detection {
	return feed(d, p, timeline(cs))
}

func feed(d *domain.Detector, p domain.DetectionPolicy, evs []caseEvent) []domain.Detection {
	var out []domain.Detection
	for _, e := range evs {
		if e.opened {
			d.Receive(e.c.id, e.at, p)
			continue
		}
		out = append(out, d.Observe(domain.Resolution{ComplaintID: e.c.id, RootCause: e.c.cause, Product: e.c.product, At: e.at, Nth: 1}, p)...)
	}
	return out
}

// company draws complaints of one cause about one product: a Poisson
// number a day at mean perDay (times factor on the days in fault),
// received between 07:00 and 22:00, each resolved 4 to 120 hours later.
func company(r *rand.Rand, cause, product string, days int, perDay func(day int) float64) []complaint {
	var cs []complaint
	for day := range days {
		n := poissonDraw(r, perDay(day))
		for i := range n {
			at := day0.AddDate(0, 0, day).Add(7*time.Hour + time.Duration(r.Int64N(int64(15*time.Hour))))
			delay := 4*time.Hour + time.Duration(r.Int64N(int64(116*time.Hour)))
			cs = append(cs, complaint{id: fmt.Sprintf("%s-%s-%d-%d", product, cause, day, i), cause: cause, product: product, received: at, resolved: at.Add(delay)})
		}
	}
	return cs
}

func poissonDraw(r *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func onProduct(ds []domain.Detection, product string) []domain.Detection {
	return slices.DeleteFunc(slices.Clone(ds), func(d domain.Detection) bool { return d.Product != product })
}

// Given 30 days of 12 late deliveries a day, when 40 complaints received
// on day 30 are resolved over the next five days, then the detector flags
// day 30 at the resolution that brings its count to the limit, days
// before the resolutions of that day stand out on any day they are
// resolved in.
func TestAFaultOfOneDayIsFlaggedAtTheResolutionThatRevealsIt(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2026))
	cs := company(r, "delivery.late", "delivery", 40, func(int) float64 { return 12 })
	burst := day0.AddDate(0, 0, 30)
	for i := range 40 {
		at := burst.Add(7*time.Hour + time.Duration(i)*20*time.Minute)
		cs = append(cs, complaint{id: fmt.Sprintf("fault-%d", i), cause: "delivery.late", product: "delivery", received: at,
			resolved: at.Add(4*time.Hour + time.Duration(i%20)*6*time.Hour)})
	}
	found := onProduct(replay(domain.NewDetector(), defaultDetection, cs), "delivery")
	if len(found) == 0 {
		t.Fatal("the day of the fault was not flagged")
	}
	got := found[0]
	if !got.WindowStart.Equal(burst) || !got.WindowEnd.Equal(burst.AddDate(0, 0, 1)) {
		t.Fatalf("window %s..%s, want the day received %s", got.WindowStart, got.WindowEnd, burst)
	}
	if got.Observed != int64(got.UpperLimit) || got.UpperLimit > 40 || got.Expected < 10 || got.Expected > 16 {
		t.Fatalf("detection %+v: want the count at the limit, against a baseline of about 12 (raised by the noise of a weekly profile drawn from one series)", got)
	}
	// The resolution that revealed it is the one that brought day 30's
	// count of resolved complaints to the limit: the detection is made at
	// that very resolution.
	var resolved []time.Time
	for _, c := range cs {
		if !c.received.Before(burst) && c.received.Before(burst.AddDate(0, 0, 1)) {
			resolved = append(resolved, c.resolved)
		}
	}
	slices.SortFunc(resolved, time.Time.Compare)
	if revealed := resolved[int(got.UpperLimit)-1]; !got.DetectedAt.Equal(revealed) {
		t.Fatalf("detected at %s, want at the resolution that revealed it, %s", got.DetectedAt, revealed)
	}
	if len(got.ComplaintIDs) != int(got.Observed) {
		t.Fatalf("%d complaints linked, want the %d counted", len(got.ComplaintIDs), got.Observed)
	}
}

// Given a bucket open to late resolutions, when resolutions of its
// complaints come in over the following days, then each counts in it and
// it is judged again; once the horizon has passed they count for the
// evaluations only, and the bucket has entered the baseline.
func TestLateResolutionsCountInTheDayReceivedUntilTheHorizon(t *testing.T) {
	p := detectionPolicy // a baseline after 3 days, a limit of at least 4
	p.Horizon = 2 * 24 * time.Hour
	p.RunBuckets = 1
	d := domain.NewDetector()
	resolve := func(id string, received, resolved time.Duration) []domain.Detection {
		d.Receive(id, day0.Add(received), p)
		return d.Observe(domain.Resolution{ComplaintID: id, RootCause: "billing.incorrect-charge", Product: "billing", At: day0.Add(resolved), Nth: 1}, p)
	}
	const day = 24 * time.Hour
	// Days 0 to 5: one a day, resolved the same day.
	for i := range 6 {
		if got := resolve(fmt.Sprint("base-", i), time.Duration(i)*day+9*time.Hour, time.Duration(i)*day+10*time.Hour); len(got) != 0 {
			t.Fatalf("day %d: %+v", i, got)
		}
	}
	// Day 6: eight complaints received; two resolved that day, the others
	// on days 7 and 8, within the horizon.
	var found []domain.Detection
	afters := []time.Duration{2 * time.Hour, 3 * time.Hour, day, day + time.Hour, day + 2*time.Hour, 2 * day, 2*day + time.Hour, 2*day + 2*time.Hour}
	for i, after := range afters {
		d.Receive(fmt.Sprint("late-", i), day0.Add(6*day+8*time.Hour), p)
		found = append(found, d.Observe(domain.Resolution{ComplaintID: fmt.Sprint("late-", i), RootCause: "billing.incorrect-charge", Product: "billing",
			At: day0.Add(6*day + 8*time.Hour + after), Nth: 1}, p)...)
	}
	found = onProduct(found, "billing")
	if len(found) != 1 || !found[0].WindowStart.Equal(day0.Add(6*day)) || found[0].UpperLimit < 3 ||
		!found[0].DetectedAt.Equal(day0.Add(6*day+8*time.Hour+afters[int(found[0].UpperLimit)-1])) {
		t.Fatalf("detections %+v, want day 6 flagged by the resolution that brings it to the limit, a day or two later", found)
	}
	// Day 12: a resolution of a day 6 complaint, past the horizon: counted
	// for evaluations, never judged.
	d.Receive("very-late", day0.Add(6*day+9*time.Hour), p)
	if got := d.Observe(domain.Resolution{ComplaintID: "very-late", RootCause: "billing.incorrect-charge", Product: "billing", At: day0.Add(12 * day), Nth: 1}, p); len(got) != 0 {
		t.Fatalf("a resolution past the horizon judged: %+v", got)
	}
	if c := d.CountsBetween("billing.incorrect-charge", "billing", day0.Add(6*day), day0.Add(7*day), p.Bucket); c.Cause != 9 {
		t.Fatalf("day 6 counts %+v, want its nine complaints", c)
	}
	// A case resolved again after a reopen is not counted twice.
	d.Observe(domain.Resolution{ComplaintID: "late-0", RootCause: "billing.incorrect-charge", Product: "billing", At: day0.Add(12 * day), Nth: 2}, p)
	if c := d.CountsBetween("billing.incorrect-charge", "", day0, day0.Add(13*day), p.Bucket); c.Cause != 15 {
		t.Fatalf("counts %+v, want 15 complaints", c)
	}
}

// Given a fault of three times the base rate for three days on a rare
// cause, where no single day reaches the limit, then the run of the three
// days does.
func TestAFaultOfAFewDaysIsFlaggedOverTheRunWhenNoDayShowsAlone(t *testing.T) {
	cs := company(rand.New(rand.NewPCG(11, 2026)), "product.defect", "mobile", 60, func(day int) float64 {
		if day >= 40 && day < 43 {
			return 12
		}
		return 4
	})
	found := onProduct(replay(domain.NewDetector(), defaultDetection, cs), "mobile")
	if len(found) == 0 {
		t.Fatal("the fault was not flagged")
	}
	got := found[0]
	if got.WindowStart.Before(day0.AddDate(0, 0, 38)) || got.WindowEnd.After(day0.AddDate(0, 0, 45)) {
		t.Fatalf("flagged %s..%s, want the run of the fault, days 40 to 42", got.WindowStart, got.WindowEnd)
	}
	t.Logf("flagged %s..%s observed %d limit %.0f expected %.1f, at day %.1f", got.WindowStart.Format(time.DateOnly), got.WindowEnd.Format(time.DateOnly),
		got.Observed, got.UpperLimit, got.Expected, got.DetectedAt.Sub(day0).Hours()/24)
}

// Given a year of Poisson noise at stable rates on many series, with each
// complaint resolved 4 to 120 hours after receipt, then nothing is
// flagged.
func TestAYearOfNoiseResolvedLateIsNeverASpike(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of noise over 40 series")
	}
	r := rand.New(rand.NewPCG(3, 2026))
	var cs []complaint
	for i, mean := range []float64{0.2, 1, 2, 4, 8, 12, 18, 30} {
		for j := range 5 {
			cs = append(cs, company(r, fmt.Sprintf("cause-%d", i), fmt.Sprintf("product-%d", j), 365, func(int) float64 { return mean })...)
		}
	}
	if found := replay(domain.NewDetector(), defaultDetection, cs); len(found) != 0 {
		for _, f := range found {
			t.Errorf("noise flagged: %s/%s %s..%s observed %d limit %.0f expected %.2f", f.RootCause, f.Product,
				f.WindowStart.Format(time.DateOnly), f.WindowEnd.Format(time.DateOnly), f.Observed, f.UpperLimit, f.Expected)
		}
	}
}

// Given a detector restored from its snapshot half way, then it finds what
// the detector that never stopped finds.
func TestTheDetectorResumedFromItsSnapshotFindsTheSame(t *testing.T) {
	cs := company(rand.New(rand.NewPCG(5, 2026)), "billing.incorrect-charge", "billing", 50, func(day int) float64 {
		if day >= 30 && day < 33 {
			return 30
		}
		return 10
	})
	whole := replay(domain.NewDetector(), defaultDetection, cs)
	if len(whole) == 0 {
		t.Fatal("nothing flagged")
	}
	evs := timeline(cs)
	cut := slices.IndexFunc(evs, func(e caseEvent) bool { return !e.at.Before(day0.AddDate(0, 0, 31).Add(12 * time.Hour)) })
	d := domain.NewDetector()
	got := feed(d, defaultDetection, evs[:cut])
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var resumed domain.Detector
	if err := json.Unmarshal(data, &resumed); err != nil {
		t.Fatal(err)
	}
	got = append(got, feed(&resumed, defaultDetection, evs[cut:])...)
	if len(got) != len(whole) {
		t.Fatalf("resumed found %d, whole %d", len(got), len(whole))
	}
	for i := range got {
		if got[i].IssueID != whole[i].IssueID || got[i].Observed != whole[i].Observed || !got[i].DetectedAt.Equal(whole[i].DetectedAt) {
			t.Fatalf("detection %d: resumed %+v, whole %+v", i, got[i], whole[i])
		}
	}
}

// weekly is a busy week: Monday first, quiet weekends.
var weekly = [7]float64{1.45, 1.4, 1.3, 1.25, 1.25, 0.95, 0.75}

// dayOfWeek is Monday 0 ... Sunday 6.
func dayOfWeek(day int) int { return (int(day0.AddDate(0, 0, day).Weekday()) + 6) % 7 }

// Given a week with quiet weekends, when a Sunday brings 3.5 times a
// Sunday's complaints, then that Sunday is judged against the Sundays
// (taken from the weekly profile of the whole volume), not against the
// week's mean, and is flagged; and a year of such weeks raises nothing.
func TestADayIsJudgedAgainstItsDayOfTheWeek(t *testing.T) {
	p := defaultDetection
	p.RunBuckets = 1
	r := rand.New(rand.NewPCG(17, 2026))
	sunday := 62
	for dayOfWeek(sunday) != 6 {
		sunday++
	}
	var cs []complaint
	for i := range 6 {
		cs = append(cs, company(r, "delivery.late", fmt.Sprint("product-", i), 90, func(day int) float64 {
			rate := 16 * weekly[dayOfWeek(day)]
			if i == 0 && day == sunday {
				rate *= 3.5
			}
			return rate
		})...)
	}
	found := onProduct(replay(domain.NewDetector(), p, cs), "product-0")
	if len(found) != 1 || !found[0].WindowStart.Equal(day0.AddDate(0, 0, sunday)) {
		t.Fatalf("detections %+v, want the Sunday of the fault", found)
	}
	if got := found[0]; got.Expected > 16 {
		t.Fatalf("expected %.1f on a Sunday, want about 16 x 0.75 = 12, not the week's mean of 19", got.Expected)
	}

	cs = nil
	for i, mean := range []float64{0.5, 2, 6, 16, 40} {
		for j := range 4 {
			cs = append(cs, company(r, fmt.Sprint("cause-", i), fmt.Sprint("product-", j), 365, func(day int) float64 { return mean * weekly[dayOfWeek(day)] })...)
		}
	}
	for _, f := range replay(domain.NewDetector(), defaultDetection, cs) {
		t.Errorf("a quiet week flagged: %s/%s %s..%s observed %d limit %.0f expected %.2f", f.RootCause, f.Product,
			f.WindowStart.Format(time.DateOnly), f.WindowEnd.Format(time.DateOnly), f.Observed, f.UpperLimit, f.Expected)
	}
}
