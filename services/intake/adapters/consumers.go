package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// IndexesCustomers is the durable consumer that keeps intake's customer
// index up to date with the complaints that close (follow-up) and reopen
// (resolution), so that a customer's next submission is a repeat contact
// only while their complaint is open.
const IndexesCustomers = "intake-indexes-customers"

// Event types the customer index follows.
var (
	ComplaintClosedType = es.TypeOf(&complaintsv1.ComplaintClosed{})
	CaseReopenedType    = es.TypeOf(&complaintsv1.CaseReopened{})
)

// IndexedCategories are the categories of the events the customer index
// follows.
var IndexedCategories = []string{"followup", "case"}

// OnComplaintClosedOrReopened indexes a closure or a reopen. Redelivery is
// harmless: the index change is derived from the event's id.
func OnComplaintClosedOrReopened(a *app.Intake) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		switch m := m.(type) {
		case *complaintsv1.ComplaintClosed:
			return a.IndexClosure(ctx, m.ComplaintId, e.ID, m.ClosedAt.AsTime())
		case *complaintsv1.CaseReopened:
			return a.IndexReopen(ctx, m.ComplaintId, e.ID, m.ReopenedAt.AsTime())
		}
		return nil
	}
}
