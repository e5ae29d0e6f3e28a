// Package domain holds prevention's analysis of the whole log: which process
// causes produce complaints. Pure: reports are projections, folded from
// events by Evolve and read by their own methods.
package domain

import (
	"maps"
	"sort"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// RootCauses counts resolved complaints by root cause: the data of the
// Pareto report. Its JSON form is its snapshot.
type RootCauses struct {
	ByCause map[string]int64 `json:"by_cause"`
	Total   int64            `json:"total"`
}

// NewRootCauses is the report before any event.
func NewRootCauses() RootCauses { return RootCauses{ByCause: map[string]int64{}} }

// Evolve folds one event into the report: a CaseResolved with a root cause
// counts once; every other event leaves it as it is. The returned report
// shares r's map, which Evolve updates: a fold owns its state.
func Evolve(r RootCauses, event proto.Message) RootCauses {
	e, ok := event.(*complaintsv1.CaseResolved)
	if !ok || e.RootCause == "" {
		return r
	}
	if r.ByCause == nil {
		r.ByCause = map[string]int64{}
	}
	r.ByCause[e.RootCause]++
	r.Total++
	return r
}

// Fold evolves the empty report through events.
func Fold(events ...proto.Message) RootCauses {
	r := NewRootCauses()
	for _, e := range events {
		r = Evolve(r, e)
	}
	return r
}

// Clone is a copy that later events do not change.
func (r RootCauses) Clone() RootCauses {
	return RootCauses{ByCause: maps.Clone(r.ByCause), Total: r.Total}
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
func (r RootCauses) Pareto() []CauseShare {
	out := make([]CauseShare, 0, len(r.ByCause))
	for cause, n := range r.ByCause {
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
		if r.Total > 0 {
			out[i].Share = float64(out[i].Complaints) / float64(r.Total)
			out[i].Cumulative = float64(cum) / float64(r.Total)
		}
	}
	return out
}
