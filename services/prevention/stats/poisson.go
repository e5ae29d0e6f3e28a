package stats

import "math"

// logPoisson is log P(X = k) for X ~ Poisson(mean), mean > 0.
func logPoisson(k int64, mean float64) float64 {
	lg, _ := math.Lgamma(float64(k) + 1)
	return float64(k)*math.Log(mean) - mean - lg
}

// PoissonTail is P(X >= x) for X ~ Poisson(mean).
func PoissonTail(x int64, mean float64) float64 {
	switch {
	case x <= 0:
		return 1
	case mean <= 0:
		return 0
	}
	if float64(x) <= mean {
		// The lower part is the small one: 1 - P(X < x).
		var lower float64
		for k := int64(0); k < x; k++ {
			lower += math.Exp(logPoisson(k, mean))
		}
		return math.Max(0, 1-lower)
	}
	var sum float64
	for k := x; ; k++ {
		term := math.Exp(logPoisson(k, mean))
		sum += term
		if term <= sum*1e-17 || term == 0 {
			return math.Min(1, sum)
		}
	}
}

// PoissonUpperLimit is the smallest count u >= 1 with P(X >= u) <= p for
// X ~ Poisson(mean): a count of u or more in one bucket has probability at
// most p when the mean is right.
func PoissonUpperLimit(mean, p float64) int64 {
	if mean <= 0 {
		return 1
	}
	// Walk down from far into the upper tail (12 standard deviations, where
	// the probability is still far above the smallest float), summing the
	// tail with the recurrence P(k-1) = P(k) * k / mean; summing from the top
	// keeps small tails exact.
	top := int64(mean + 12*math.Sqrt(mean) + 25)
	pk := math.Exp(logPoisson(top, mean))
	tail, u := 0.0, top+1
	for k := top; k >= 1; k-- {
		tail += pk
		if tail > p {
			break
		}
		u = k
		pk *= float64(k) / mean
	}
	return u
}

// logBinomial is log P(X = k) for X ~ Binomial(n, pi), 0 < pi < 1.
func logBinomial(k, n int64, pi float64) float64 {
	a, _ := math.Lgamma(float64(n) + 1)
	b, _ := math.Lgamma(float64(k) + 1)
	c, _ := math.Lgamma(float64(n-k) + 1)
	return a - b - c + float64(k)*math.Log(pi) + float64(n-k)*math.Log1p(-pi)
}

// BinomialCDF is P(X <= k) for X ~ Binomial(n, pi).
func BinomialCDF(k, n int64, pi float64) float64 {
	switch {
	case k < 0:
		return 0
	case k >= n:
		return 1
	case pi <= 0:
		return 1
	case pi >= 1:
		return 0
	}
	var sum float64
	for j := int64(0); j <= k; j++ {
		sum += math.Exp(logBinomial(j, n, pi))
	}
	return math.Min(1, sum)
}
