package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// DecidesRedress is the durable consumer deciding redress.
const DecidesRedress = "compensation-decides-redress"

// CaseResolvedType is the event compensation reacts to.
var CaseResolvedType = es.TypeOf(&complaintsv1.CaseResolved{})

// OnCaseResolved decides redress for every resolved case, from what the
// CaseResolved carries (the amount in dispute, the customer and the
// reference among it).
func OnCaseResolved(a *app.Compensation) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		resolved, ok := m.(*complaintsv1.CaseResolved)
		if !ok {
			return nil // the subscription filters on CaseResolved
		}
		return a.DecideFor(ctx, app.Resolved{Event: resolved, EventID: e.ID, Actor: e.Metadata.Actor})
	}
}

// OnTimer hands compensation's fired timers to the application.
func OnTimer(a *app.Compensation) timer.Handler {
	return a.OnTimer
}
