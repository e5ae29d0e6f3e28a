package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// loadgenReport is the part of loadgen -json's report that a comparison
// reads.
type loadgenReport struct {
	Requested      int            `json:"requested"`
	Done           int            `json:"done"`
	Failed         int            `json:"failed"`
	NotStarted     int            `json:"not_started"`
	WallSeconds    float64        `json:"wall_seconds"`
	PerSecond      float64        `json:"complaints_per_second"`
	SubmitToAck    loadgenLatency `json:"submit_to_acknowledged"`
	SubmitToClosed loadgenLatency `json:"submit_to_closed"`
	Watch          string         `json:"watch"`
	Errors         []struct {
		Stage   string `json:"stage"`
		Kind    string `json:"kind"`
		Count   int    `json:"count"`
		Example string `json:"example"`
	} `json:"errors"`
}

// loadgenLatency is one latency's percentiles, in milliseconds.
type loadgenLatency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
}

func parseLoadgen(b []byte) (loadgenReport, error) {
	var r loadgenReport
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("not loadgen -json output: %w", err)
	}
	if r.Requested == 0 {
		return r, fmt.Errorf("not loadgen -json output: no complaints requested")
	}
	return r, nil
}

// measurement says why the run is not a measurement, if it is not: every
// complaint of n must have closed.
func (r loadgenReport) measurement(n int) error {
	if r.Requested == n && r.Done == n && r.Failed == 0 && r.NotStarted == 0 && r.SubmitToClosed.Count == n {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "not a measurement: loadgen closed %d of %d complaints (%d failed, %d not started)", r.Done, n, r.Failed, r.NotStarted)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "\n  %d× %s: %s (e.g. %s)", e.Count, e.Stage, e.Kind, e.Example)
	}
	return fmt.Errorf("%s", b.String())
}
