// Package stats is the statistics of prevention, pure and without I/O: spike
// detection against a rolling baseline (a Poisson control limit over an EWMA
// of bucketed counts, ADR 0032) and the effectiveness of a preventive action
// (an exact conditional test of two Poisson rates, ADR 0033).
package stats
