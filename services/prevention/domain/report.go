// Package domain holds prevention's analysis of the whole log: which process
// causes produce complaints. Pure.
package domain

import (
	"sort"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// RootCauseCounts counts resolved complaints by root cause.
type RootCauseCounts struct {
	ByCause map[string]int64 `json:"by_cause"`
	Total   int64            `json:"total"`
}

// NewRootCauseCounts is an empty count.
func NewRootCauseCounts() *RootCauseCounts { return &RootCauseCounts{ByCause: map[string]int64{}} }

// Apply counts one event; events other than CaseResolved are ignored.
func (c *RootCauseCounts) Apply(event proto.Message) {
	if e, ok := event.(*complaintsv1.CaseResolved); ok && e.RootCause != "" {
		c.ByCause[e.RootCause]++
		c.Total++
	}
}

// CauseShare is one line of the Pareto report.
type CauseShare struct {
	RootCause  string  `json:"root_cause"`
	Complaints int64   `json:"complaints"`
	Share      float64 `json:"share"`
	// Cumulative share up to and including this cause (the Pareto curve).
	Cumulative float64 `json:"cumulative_share"`
}

// Pareto orders causes by complaints, most first (ties by code).
func (c *RootCauseCounts) Pareto() []CauseShare {
	out := make([]CauseShare, 0, len(c.ByCause))
	for cause, n := range c.ByCause {
		out = append(out, CauseShare{RootCause: cause, Complaints: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Complaints != out[j].Complaints {
			return out[i].Complaints > out[j].Complaints
		}
		return out[i].RootCause < out[j].RootCause
	})
	var cum int64
	for i := range out {
		cum += out[i].Complaints
		if c.Total > 0 {
			out[i].Share = float64(out[i].Complaints) / float64(c.Total)
			out[i].Cumulative = float64(cum) / float64(c.Total)
		}
	}
	return out
}
