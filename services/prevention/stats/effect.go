package stats

import (
	"fmt"
	"math"
)

// Verdicts of an effectiveness evaluation.
const (
	Effective    = "effective"
	NotEffective = "not-effective"
	Inconclusive = "inconclusive"
)

// EffectParams tune the effectiveness test (ADR 0033).
type EffectParams struct {
	// Alpha is the significance level of the one-sided test "the rate fell".
	Alpha float64
	// Reduction is the fall in rate the test must be able to see (0.5: the
	// rate halved) ...
	Reduction float64
	// ... with at least this power; with less, a result that is not
	// significant is inconclusive rather than "not effective".
	Power float64
}

// Method names the test and its parameters, as recorded on events.
func (p EffectParams) Method(exposure string) string {
	return fmt.Sprintf("conditional-binomial(alpha=%g,power=%g@rr=%g,exposure=%s)", p.Alpha, p.Power, 1-p.Reduction, exposure)
}

// Window is a count of the cause and the exposure it happened in (the
// complaint volume, or what the company supplies).
type Window struct {
	Count    int64
	Exposure float64
}

// Effect is the outcome of an evaluation.
type Effect struct {
	Verdict string
	// RateRatio is the rate after over the rate before; 0 when the rate
	// before is zero or an exposure is missing.
	RateRatio float64
	// PValue is the one-sided p-value of "the rate fell".
	PValue float64
	// Power is the test's chance, with these counts and exposures, to find
	// a fall of Reduction.
	Power float64
}

// Evaluate compares the cause's rate after a change with its rate before.
//
// Conditional on the total n = before + after, the count after is
// Binomial(n, pi0) with pi0 = after exposure / total exposure when the rate
// did not change. The p-value is P(X <= after count); the power is the same
// test's chance to reject when the rate fell by Reduction.
func Evaluate(before, after Window, p EffectParams) Effect {
	if before.Exposure <= 0 || after.Exposure <= 0 || before.Count <= 0 {
		return Effect{Verdict: Inconclusive, PValue: 1}
	}
	n := before.Count + after.Count
	pi0 := after.Exposure / (before.Exposure + after.Exposure)
	e := Effect{
		RateRatio: (float64(after.Count) / after.Exposure) / (float64(before.Count) / before.Exposure),
		PValue:    BinomialCDF(after.Count, n, pi0),
	}
	// The largest count after that the test calls a fall.
	critical := int64(-1)
	for k := int64(0); k <= n && BinomialCDF(k, n, pi0) < p.Alpha; k++ {
		critical = k
	}
	rr := 1 - p.Reduction
	pi1 := rr * after.Exposure / (rr*after.Exposure + before.Exposure)
	e.Power = BinomialCDF(critical, n, pi1)
	switch {
	case e.PValue < p.Alpha:
		e.Verdict = Effective
	case e.Power < p.Power:
		e.Verdict = Inconclusive
	default:
		e.Verdict = NotEffective
	}
	if math.IsInf(e.RateRatio, 0) || math.IsNaN(e.RateRatio) {
		e.RateRatio = 0
	}
	return e
}
