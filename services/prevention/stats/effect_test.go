package stats_test

import (
	"math"
	"testing"

	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

var effectDefaults = stats.EffectParams{Alpha: 0.05, Reduction: 0.5, Power: 0.8}

func TestEffectivenessVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after stats.Window
		want          string
	}{
		{"the rate fell by two thirds on steady volume", stats.Window{Count: 60, Exposure: 1000}, stats.Window{Count: 20, Exposure: 1000}, stats.Effective},
		{"the count fell only because volume fell", stats.Window{Count: 60, Exposure: 1000}, stats.Window{Count: 30, Exposure: 500}, stats.NotEffective},
		{"the rate rose", stats.Window{Count: 40, Exposure: 1000}, stats.Window{Count: 55, Exposure: 1000}, stats.NotEffective},
		{"the rate stayed where it was", stats.Window{Count: 50, Exposure: 1000}, stats.Window{Count: 48, Exposure: 1000}, stats.NotEffective},
		{"too few before to tell", stats.Window{Count: 3, Exposure: 1000}, stats.Window{Count: 1, Exposure: 1000}, stats.Inconclusive},
		{"a fall too small to be significant with little data", stats.Window{Count: 8, Exposure: 100}, stats.Window{Count: 5, Exposure: 100}, stats.Inconclusive},
		{"nothing happened before", stats.Window{Count: 0, Exposure: 1000}, stats.Window{Count: 0, Exposure: 1000}, stats.Inconclusive},
		{"no exposure after", stats.Window{Count: 10, Exposure: 1000}, stats.Window{Count: 0, Exposure: 0}, stats.Inconclusive},
		{"the cause disappeared", stats.Window{Count: 12, Exposure: 300}, stats.Window{Count: 0, Exposure: 300}, stats.Effective},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := stats.Evaluate(tc.before, tc.after, effectDefaults)
			if e.Verdict != tc.want {
				t.Fatalf("verdict %q (p=%.4g, power=%.3g, rr=%.3g), want %q", e.Verdict, e.PValue, e.Power, e.RateRatio, tc.want)
			}
			if math.IsNaN(e.PValue) || e.PValue < 0 || e.PValue > 1 || math.IsInf(e.RateRatio, 0) {
				t.Fatalf("p-value %g, rate ratio %g", e.PValue, e.RateRatio)
			}
		})
	}
}

func TestTheConditionalTestMatchesItsDefinition(t *testing.T) {
	// 60 before, 20 after on equal exposure: under no change the count after
	// is Binomial(80, 1/2), and P(X <= 20) = 4.2903e-6.
	e := stats.Evaluate(stats.Window{Count: 60, Exposure: 1}, stats.Window{Count: 20, Exposure: 1}, effectDefaults)
	if math.Abs(e.PValue-4.2903e-6)/4.2903e-6 > 1e-4 || math.Abs(e.RateRatio-1.0/3) > 1e-12 {
		t.Fatalf("p %g, rate ratio %g", e.PValue, e.RateRatio)
	}
	if e.Power < 0.9 {
		t.Fatalf("power %g to see a halving with 80 complaints, want over 0.9", e.Power)
	}
}

func TestBinomialCDF(t *testing.T) {
	for _, tc := range []struct {
		k, n int64
		pi   float64
		want float64
	}{
		{0, 10, 0.5, 1.0 / 1024},
		{5, 10, 0.5, 638.0 / 1024},
		{10, 10, 0.3, 1},
		{-1, 10, 0.3, 0},
		{2, 4, 0.25, 1 - 4*0.25*0.25*0.25*0.75 - 0.25*0.25*0.25*0.25},
	} {
		if got := stats.BinomialCDF(tc.k, tc.n, tc.pi); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("BinomialCDF(%d, %d, %g) = %g, want %g", tc.k, tc.n, tc.pi, got, tc.want)
		}
	}
}

func TestPoissonTail(t *testing.T) {
	for _, tc := range []struct {
		x    int64
		mean float64
		want float64
	}{
		{0, 3, 1},
		{1, 3, 1 - math.Exp(-3)},
		{3, 0, 0},
		{2, 1, 1 - 2*math.Exp(-1)},
	} {
		if got := stats.PoissonTail(tc.x, tc.mean); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("PoissonTail(%d, %g) = %g, want %g", tc.x, tc.mean, got, tc.want)
		}
	}
}
