package companysim

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

func scenario(t *testing.T, name string) Scenario {
	t.Helper()
	s, err := Load(filepath.Join("..", "..", "deploy", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func truthOf(t *testing.T, p *Plan) Truth {
	t.Helper()
	regimes, err := regime.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return TruthOf(p, regimes, Policies{Window: 90 * 24 * time.Hour, Params: stats.EffectParams{Alpha: 0.05, Reduction: 0.5, Power: 0.8}, SurveyDelay: 48 * time.Hour})
}

func TestTheSameSeedGivesTheSameComplaintsAndTruth(t *testing.T) {
	for _, name := range []string{"three-actions.yaml", "outage-storm.yaml"} {
		s := scenario(t, name)
		a, err := Generate(s, 7)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Generate(s, 7)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("%s: two plans of seed 7 differ", name)
		}
		if ta, tb := truthOf(t, a), truthOf(t, b); !reflect.DeepEqual(ta, tb) {
			t.Fatalf("%s: two truths of seed 7 differ", name)
		}
		c, err := Generate(s, 8)
		if err != nil {
			t.Fatal(err)
		}
		if jc, _ := json.Marshal(c); string(jc) == string(ja) {
			t.Fatalf("%s: seeds 7 and 8 gave the same plan", name)
		}
	}
}

func TestEveryShippedScenarioLoads(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "deploy", "scenarios", "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestAScenarioInErrorSaysWhatIsWrong(t *testing.T) {
	_, err := Parse([]byte("name: x\nstart: 2026-01-05\ndays: 3\ncustomers: 10\nchannels: [{name: web, weight: 1}]\n" +
		"causes: [{code: a, rates: [{product: p, per_day: 1}]}]\nfaults: [{cause: b, product: p, factor: 2, start: 0, days: 1}]\n" +
		"agents: {resolve_hours: {min: 4, max: 8}, outcomes: [{name: upheld, weight: 1}]}\n"))
	if err == nil {
		t.Fatal("a fault of an unknown cause was accepted")
	}
	if _, err := Parse([]byte("name: x\nnonsense: 1\n")); err == nil {
		t.Fatal("an unknown field was accepted")
	}
}

func TestRatesFollowFaultsDriftsAndActions(t *testing.T) {
	s := Scenario{Start: "2026-01-05", Causes: []Cause{{Code: "c", Rates: []Rate{{Product: "p", PerDay: 2}}}},
		Faults:  []Fault{{Cause: "c", Product: "p", Factor: 5, Start: 10, Days: 2}},
		Drifts:  []Drift{{Cause: "c", Product: "p", Weekly: 0.02, Start: 100}},
		Actions: []Action{{Cause: "c", Completed: 50, TrueFactor: 0.5}},
	}
	for d, want := range map[int]float64{0: 2, 10: 10, 11: 10, 12: 2, 50: 1, 107: 1 * 1.02} {
		if got := s.Rate("c", "p", d); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("day %d: rate %v, want %v", d, got, want)
		}
	}
}

func TestPoissonCountsHaveTheirMean(t *testing.T) {
	r := newRNG(1)
	for _, mean := range []float64{0.3, 4, 75} {
		var sum int
		const n = 20000
		for range n {
			sum += r.poisson(mean)
		}
		if got := float64(sum) / n; got < mean*0.97-0.01 || got > mean*1.03+0.01 {
			t.Errorf("mean %v: drew %v on average", mean, got)
		}
	}
}

// A fault is revealed by the resolution that brings the count of one of its
// days (received that day, resolved with its cause) to what the true base
// rate makes a spike at the policy's tail probability; misclassified
// complaints are not its.
func TestAFaultIsRevealedByTheResolutionThatBringsItsDayToTheLimit(t *testing.T) {
	s := Scenario{Name: "reveal", Start: "2026-03-02", Days: 3,
		Causes: []Cause{{Code: "delivery.late", Rates: []Rate{{Product: "delivery", PerDay: 2}}}},
		Faults: []Fault{{Cause: "delivery.late", Product: "delivery", Factor: 10, Start: 1, Days: 1}}}
	day1 := s.StartTime().AddDate(0, 0, 1)
	p := &Plan{Scenario: s}
	for i := range 20 {
		st := Story{Product: "delivery", TrueCause: "delivery.late", RecordedCause: "delivery.late", Fault: 0, Storm: -1,
			ReceivedAt: day1.Add(8 * time.Hour), Resolve: time.Duration(i+1) * time.Hour}
		if i == 0 {
			st.RecordedCause = "delivery.damaged"
		}
		p.Complaints = append(p.Complaints, st)
	}
	f := FaultTruth{Fault: s.Faults[0], From: day1, To: day1.AddDate(0, 0, 1)}
	revealed(p, &f, Policies{TailProbability: 1e-6, MinCount: 5})
	u := stats.PoissonUpperLimit(2, 1e-6) // the day's true base rate
	// The first complaint is recorded under another cause: the u-th of
	// the fault's is resolved u+1 hours after receipt.
	if want := day1.Add(8*time.Hour + time.Duration(u+1)*time.Hour); !f.RevealedAt.Equal(want) || f.RevealedBy != u || f.RevealedDays != 1 {
		t.Fatalf("revealed at %s by %d over %d days, want %s by %d over one", f.RevealedAt, f.RevealedBy, f.RevealedDays, want, u)
	}
}
