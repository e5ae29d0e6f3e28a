package domain_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

var watchDay0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// noise draws a day of complaints about product, Poisson with mean perDay,
// arriving between 07:00 and 22:00.
func noise(r *rand.Rand, day time.Time, product string, perDay float64, channels []string) []domain.Intake {
	n, limit, p := 0, math.Exp(-perDay), r.Float64()
	for p > limit {
		n++
		p *= r.Float64()
	}
	out := make([]domain.Intake, 0, n)
	for range n {
		at := day.Add(7*time.Hour + time.Duration(r.Int64N(int64(15*time.Hour))))
		out = append(out, domain.Intake{Product: product, Channel: channels[r.IntN(len(channels))], At: at})
	}
	return sortByTime(out)
}

func sortByTime(in []domain.Intake) []domain.Intake {
	for i := 1; i < len(in); i++ {
		for j := i; j > 0 && in[j].At.Before(in[j-1].At); j-- {
			in[j], in[j-1] = in[j-1], in[j]
		}
	}
	for i := range in {
		in[i].ComplaintID = fmt.Sprintf("c-%s-%d", in[i].At.Format("20060102150405.000000000"), i)
	}
	return in
}

func observeAll(w *domain.IntakeWatch, in []domain.Intake, p domain.EarlyWarningPolicy) []domain.Detection {
	var out []domain.Detection
	for _, c := range in {
		out = append(out, w.Observe(c, p)...)
	}
	return out
}

func TestANewInstallationFlagsAStormOnItsFirstMinutes(t *testing.T) {
	w := domain.NewIntakeWatch()
	var storm []domain.Intake
	onset := watchDay0.Add(10 * time.Hour)
	for i := range 5000 {
		storm = append(storm, domain.Intake{ComplaintID: fmt.Sprintf("s%d", i), Product: "broadband", Channel: "web",
			At: onset.Add(time.Duration(i) * 90 * time.Second / 5000)})
	}
	found := observeAll(w, storm, domain.EarlyWarningPolicy{})
	if len(found) != 2 {
		t.Fatalf("%d detections, want one for broadband and one for broadband on the web: %+v", len(found), found)
	}
	for _, d := range found {
		if d.RootCause != domain.IntakeVolumeCause || d.Product != "broadband" || d.DetectedAt.Sub(onset) > time.Minute ||
			len(d.ComplaintIDs) != int(d.Observed) || d.ComplaintIDs[0] != "s0" {
			t.Errorf("detection %+v, want broadband flagged within a minute of the onset with the storm's first complaints", d)
		}
	}
	if found[0].IssueID == found[1].IssueID {
		t.Error("the product's and the channel's issues share an id")
	}
}

func TestAStormLastingAnHourIsOneIssuePerSeries(t *testing.T) {
	w := domain.NewIntakeWatch()
	onset := watchDay0.Add(10 * time.Hour)
	var storm []domain.Intake
	for i := range 3000 {
		storm = append(storm, domain.Intake{ComplaintID: fmt.Sprintf("s%d", i), Product: "broadband", Channel: "phone",
			At: onset.Add(time.Duration(i) * time.Hour / 3000)})
	}
	if found := observeAll(w, storm, domain.EarlyWarningPolicy{}); len(found) != 2 {
		t.Fatalf("%d detections over an hour's storm, want 2 (product, product and channel)", len(found))
	}
}

func TestAStormOfTwentyTimesTheUsualHourIsFlaggedAfterTheWatchLearnedItsBaseline(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	w := domain.NewIntakeWatch()
	channels := []string{"web", "phone", "email"}
	p := domain.EarlyWarningPolicy{}
	for d := range 60 {
		if found := observeAll(w, noise(r, watchDay0.AddDate(0, 0, d), "mobile", 500, channels), p); len(found) > 0 {
			t.Fatalf("day %d: noise flagged: %+v", d, found)
		}
	}
	// 20 times the usual hourly rate (500/24 an hour), within an hour.
	onset := watchDay0.AddDate(0, 0, 60).Add(14 * time.Hour)
	var storm []domain.Intake
	for i := range 20 * 500 / 24 {
		storm = append(storm, domain.Intake{Product: "mobile", Channel: channels[i%3], At: onset.Add(time.Duration(i) * time.Hour / (20 * 500 / 24))})
	}
	storm = append(storm, noise(r, watchDay0.AddDate(0, 0, 60), "mobile", 500, channels)...)
	found := observeAll(w, sortByTime(storm), p)
	if len(found) == 0 {
		t.Fatal("a storm of 20 times the usual hourly rate was not flagged")
	}
	if lag := found[0].DetectedAt.Sub(onset); lag > 15*time.Minute || lag < 0 {
		t.Errorf("flagged %s after the onset, want within 15 minutes", lag)
	}
}

func TestAYearOfNoiseRaisesNoAlarm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	w := domain.NewIntakeWatch()
	channels := []string{"web", "phone", "email", "chat"}
	p := domain.EarlyWarningPolicy{}
	var alarms []domain.Detection
	for d := range 365 {
		day := watchDay0.AddDate(0, 0, d)
		var all []domain.Intake
		for product, perDay := range map[string]float64{"broadband": 30, "billing": 45, "mobile": 25, "delivery": 20, "tv": 5, "payments": 4} {
			all = append(all, noise(r, day, product, perDay, channels)...)
		}
		alarms = append(alarms, observeAll(w, sortByTime(all), p)...)
	}
	if len(alarms) > 0 {
		t.Errorf("%d false alarms in a year of noise over 30 series, the first %+v", len(alarms), alarms[0])
	}
}

func TestThePriorStandsInForTheDaysNotYetSeen(t *testing.T) {
	p := domain.DefaultEarlyWarning
	s := &domain.VolumeSeries{}
	if got := s.Daily(p); got != p.PriorPerDay {
		t.Fatalf("a series never seen expects %v a day, want the prior %v", got, p.PriorPerDay)
	}
	s.Days, s.Sum = 7, 7*10
	if got, want := s.Daily(p), (p.PriorPerDay*7+70)/14; got != want {
		t.Errorf("halfway through the warm-up: %v a day, want %v", got, want)
	}
}

func TestAnEarlyWarningPolicyInErrorIsRefused(t *testing.T) {
	pol := domain.SystemicPolicy{
		Detection:    domain.DetectionPolicy{Bucket: 24 * time.Hour, EWMALambda: 0.1, TailProbability: 1e-6, MinCount: 5, WarmUpBuckets: 14, Retention: 8760 * time.Hour},
		Evaluation:   domain.EvaluationPolicy{Window: 2160 * time.Hour, Alpha: 0.05, Reduction: 0.5, Power: 0.8},
		Owners:       []string{"billing"},
		EarlyWarning: domain.EarlyWarningPolicy{Bucket: 7 * time.Minute},
	}
	if err := pol.Validate(); err == nil {
		t.Fatal("an early-warning bucket that does not divide a day was accepted")
	}
	pol.EarlyWarning = domain.EarlyWarningPolicy{}
	if err := pol.Validate(); err != nil {
		t.Fatalf("a policy without early_warning: %v", err)
	}
}
