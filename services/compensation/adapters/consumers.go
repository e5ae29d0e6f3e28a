package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// DecidesRedress is the durable consumer deciding redress.
const DecidesRedress = "compensation-decides-redress"

// CaseResolvedType is the event compensation reacts to.
var CaseResolvedType = es.TypeOf(&complaintsv1.CaseResolved{})

// OnCaseResolved decides redress for every resolved case. A resolution the
// policy has no rule for comes back as a permanent refusal.
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
		return a.DecideFor(ctx, resolved, e.ID)
	}
}
