package app

import (
	"context"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// RootCauseReport is the Pareto of root causes at one point of the log.
type RootCauseReport struct {
	GeneratedAt time.Time
	Position    eventlog.Position
	Total       int64
	Causes      []domain.CauseShare
}

// RootCauses reports which causes produce complaints, most first.
func (a *Prevention) RootCauses(context.Context) RootCauseReport {
	r, pos := a.rootCauses.RootCauses()
	return RootCauseReport{GeneratedAt: a.now(), Position: pos, Total: r.Total, Causes: r.Pareto()}
}
