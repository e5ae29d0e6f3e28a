package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// IndexesCustomers is the durable consumer that tells intake's customer
// index of the complaints that reopen (resolution's CaseReopened), so that a
// customer's next submission about the product is a repeat contact on the
// reopened complaint. Closures need no consumer: a submission that finds a
// complaint open in the index reads whether the log holds it closed, and
// indexes the closure there and then (app.Intake.Submit, ADR 0055).
const IndexesCustomers = "intake-indexes-customers"

// CaseReopenedType is the event type the customer index follows.
var CaseReopenedType = es.TypeOf(&complaintsv1.CaseReopened{})

// IndexedCategories are the categories of the events the customer index
// follows.
var IndexedCategories = []string{"case"}

// OnCaseReopened indexes a reopen. Redelivery is harmless: the index change
// is derived from the event's id.
func OnCaseReopened(a *app.Intake) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		if m, ok := m.(*complaintsv1.CaseReopened); ok {
			return a.IndexReopen(ctx, m.ComplaintId, e.ID, m.ReopenedAt.AsTime())
		}
		return nil
	}
}
