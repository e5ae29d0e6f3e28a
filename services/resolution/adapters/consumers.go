package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// ComplaintReceivedType is the event resolution reacts to.
var ComplaintReceivedType = es.TypeOf(&complaintsv1.ComplaintReceived{})

// OnComplaintReceived opens a case for every received complaint, as
// resolution's own actor.
func OnComplaintReceived(a *app.Resolution) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		rec, ok := m.(*complaintsv1.ComplaintReceived)
		if !ok {
			return nil // not an event this consumer subscribes to
		}
		return a.OpenCase(ctx, rec.ComplaintId, rec.Product, rec.Channel, e.ID)
	}
}
