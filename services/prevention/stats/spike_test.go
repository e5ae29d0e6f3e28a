package stats_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// defaults are the parameters of the default policy (prevention.yaml).
var defaults = stats.SpikeParams{Lambda: 0.1, TailProbability: 1e-6, MinCount: 5, WarmUp: 14}

// poisson draws from Poisson(mean) (Knuth's method; fine for the small
// means of one bucket).
func poisson(r *rand.Rand, mean float64) int64 {
	l, k, p := math.Exp(-mean), int64(0), 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// run feeds a series of bucket counts to a series and returns the buckets
// flagged.
func run(counts []int64, p stats.SpikeParams) []stats.Spike {
	s := stats.NewSeries(0, p)
	var spikes []stats.Spike
	for b, c := range counts {
		s = s.Advance(int64(b), p)
		for range c {
			var spike *stats.Spike
			s, spike = s.Add(1, p)
			if spike != nil {
				spikes = append(spikes, *spike)
			}
		}
	}
	return spikes
}

func TestNoiseAtAStableRateIsNeverASpike(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 2026))
	const seriesPerRate, buckets = 200, 365
	for _, mean := range []float64{0.05, 0.5, 1, 3, 8, 20, 60} {
		var flagged int
		for range seriesPerRate {
			counts := make([]int64, buckets)
			for b := range counts {
				counts[b] = poisson(r, mean)
			}
			flagged += len(run(counts, defaults))
		}
		if flagged != 0 {
			t.Errorf("mean %g: %d of %d series-years flagged as spikes, want none", mean, flagged, seriesPerRate)
		}
	}
}

func TestABurstOverAStableRateIsASpike(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, tc := range []struct {
		name        string
		mean, burst float64
	}{
		{"a rare cause suddenly frequent", 0.3, 8},
		{"a common cause doubling and more", 10, 30},
		{"a frequent cause jumping", 40, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counts := make([]int64, 60)
			for b := range counts {
				counts[b] = poisson(r, tc.mean)
			}
			counts[50] = int64(tc.burst)
			spikes := run(counts, defaults)
			if len(spikes) != 1 || spikes[0].Bucket != 50 || spikes[0].Observed < spikes[0].Limit {
				t.Fatalf("spikes %+v, want one in bucket 50", spikes)
			}
			if math.Abs(spikes[0].Expected-tc.mean) > 3*math.Sqrt(tc.mean)+0.5 {
				t.Fatalf("baseline %g far from the true mean %g", spikes[0].Expected, tc.mean)
			}
		})
	}
}

func TestABurstDoesNotBlindTheSeriesToTheNext(t *testing.T) {
	// A storm of 570 where 6 a day is usual, then three ordinary days, then a
	// burst of 60: the storm used to enter the baseline whole, which
	// raised the limit above 70 for days and hid the second burst.
	r := rand.New(rand.NewPCG(3, 3))
	counts := make([]int64, 50)
	for b := range counts {
		counts[b] = poisson(r, 6)
	}
	counts[20], counts[24] = 570, 60
	spikes := run(counts, defaults)
	if len(spikes) != 2 || spikes[0].Bucket != 20 || spikes[1].Bucket != 24 {
		t.Fatalf("spikes %+v, want the storm in bucket 20 and the burst in bucket 24", spikes)
	}
}

func TestASpikeNeedsTheMinimumCountAndTheWarmUp(t *testing.T) {
	p := stats.SpikeParams{Lambda: 0.3, TailProbability: 1e-3, MinCount: 4, WarmUp: 3}
	for _, tc := range []struct {
		name   string
		counts []int64
		want   int
	}{
		{"three where there were none is below the minimum", []int64{0, 0, 0, 0, 3}, 0},
		{"four where there were none is a spike", []int64{0, 0, 0, 0, 4}, 1},
		{"a burst during the warm-up is not judged", []int64{0, 9, 0}, 0},
		{"a burst right after the warm-up is", []int64{0, 0, 0, 9}, 1},
		{"one bucket is flagged once however much it grows", []int64{0, 0, 0, 50}, 1},
		{"a quiet gap lowers the baseline again", []int64{6, 6, 6, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(tc.counts, p); len(got) != tc.want {
				t.Fatalf("spikes %+v, want %d", got, tc.want)
			}
		})
	}
}

func TestAdvanceOverEmptyBucketsDecaysTheBaseline(t *testing.T) {
	p := stats.SpikeParams{Lambda: 0.5, TailProbability: 1e-3, MinCount: 1, WarmUp: 1}
	s := stats.NewSeries(0, p)
	s, _ = s.Add(8, p)
	s = s.Advance(1, p) // warm-up: mean of {8}
	if s.Mean != 8 || s.Completed != 1 {
		t.Fatalf("after warm-up %+v", s)
	}
	s = s.Advance(4, p) // buckets 1, 2, 3 empty: 8 * 0.5^3
	if s.Mean != 1 || s.Completed != 4 || s.Bucket != 4 || s.Count != 0 {
		t.Fatalf("after three empty buckets %+v, want mean 1", s)
	}
	if s.Advance(2, p) != s {
		t.Fatal("an earlier bucket changed the series")
	}
}

func TestPoissonUpperLimit(t *testing.T) {
	for _, tc := range []struct {
		mean, p float64
		want    int64
	}{
		{0, 0.001, 1},
		{1, 0.001, 6},   // P(X>=6)=0.00059, P(X>=5)=0.0037
		{2, 0.01, 7},    // P(X>=7)=0.0045, P(X>=6)=0.0166
		{10, 0.001, 22}, // P(X>=22)=0.00072, P(X>=21)=0.0016
	} {
		if got := stats.PoissonUpperLimit(tc.mean, tc.p); got != tc.want {
			t.Errorf("limit(%g, %g) = %d, want %d", tc.mean, tc.p, got, tc.want)
		}
	}
}

func TestPoissonUpperLimitIsTheSmallestCountWithATailBelowP(t *testing.T) {
	for _, mean := range []float64{0.01, 0.3, 1, 2.5, 7, 19.3, 60, 250, 1500} {
		for _, p := range []float64{1e-2, 1e-4, 1e-6, 1e-9} {
			u := stats.PoissonUpperLimit(mean, p)
			if stats.PoissonTail(u, mean) > p || u > 1 && stats.PoissonTail(u-1, mean) <= p {
				t.Errorf("limit(%g, %g) = %d: tail %g there, %g one below", mean, p, u, stats.PoissonTail(u, mean), stats.PoissonTail(u-1, mean))
			}
		}
	}
}
