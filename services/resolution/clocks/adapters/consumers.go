// Package adapters connects the clocks to the rest of the system: the events
// that start, pause, resume, meet, restart and stop them (consumers.go), their
// timers (timers.go) and the HTTP view (http.go).
package adapters

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/app"
)

// Categories are the streams the clocks follow: the complaint, its case,
// and follow-up's (for the closure).
var Categories = []string{"complaint", "case", "followup"}

// EventTypes are the events that move the clocks.
var EventTypes = []string{
	es.TypeOf(&complaintsv1.ComplaintReceived{}),
	es.TypeOf(&complaintsv1.ComplaintAcknowledged{}),
	es.TypeOf(&complaintsv1.InformationRequested{}),
	es.TypeOf(&complaintsv1.InformationProvided{}),
	es.TypeOf(&complaintsv1.CustomerContacted{}),
	es.TypeOf(&complaintsv1.CaseResolved{}),
	es.TypeOf(&complaintsv1.CaseReopened{}),
	es.TypeOf(&complaintsv1.ComplaintClosed{}),
}

// acknowledgedWith is when complaint id was acknowledged by an event of the
// append its receipt came in (intake acknowledges as it records the
// receipt), or zero.
func acknowledgedWith(ctx context.Context, id string) time.Time {
	for _, o := range bus.AppendOf(ctx) {
		if o.Type != acknowledgedType {
			continue
		}
		var ack complaintsv1.ComplaintAcknowledged
		if err := proto.Unmarshal(o.Data, &ack); err == nil && ack.ComplaintId == id && ack.AcknowledgedAt != nil {
			return ack.AcknowledgedAt.AsTime()
		}
	}
	return time.Time{}
}

var acknowledgedType = es.TypeOf(&complaintsv1.ComplaintAcknowledged{})

// OnLifecycleEvent moves a complaint's clocks on the events of its
// complaint, case and follow-up streams; the event's id is the idempotency key, so a
// redelivered event changes nothing.
func OnLifecycleEvent(a *app.Clocks) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		switch ev := m.(type) {
		case *complaintsv1.ComplaintReceived:
			return a.Start(ctx, ev, acknowledgedWith(ctx, ev.ComplaintId), e.ID)
		case *complaintsv1.ComplaintAcknowledged:
			return a.Meet(ctx, ev.ComplaintId, app.MetByAcknowledged, ev.AcknowledgedAt.AsTime(), e.ID)
		case *complaintsv1.InformationRequested:
			return a.Pause(ctx, ev.ComplaintId, ev.RequestId, ev.RequestedAt.AsTime(), e.ID)
		case *complaintsv1.InformationProvided:
			return a.Resume(ctx, ev.ComplaintId, ev.RequestId, ev.ProvidedAt.AsTime(), e.ID)
		case *complaintsv1.CustomerContacted:
			if !ev.FirstHumanContact {
				return nil
			}
			return a.Meet(ctx, ev.ComplaintId, app.MetByHumanContact, ev.ContactedAt.AsTime(), e.ID)
		case *complaintsv1.CaseResolved:
			return a.Meet(ctx, ev.ComplaintId, app.MetByResolved, ev.ResolvedAt.AsTime(), e.ID)
		case *complaintsv1.CaseReopened:
			return a.Restart(ctx, ev.ComplaintId, ev.Reason, ev.ReopenedAt.AsTime(), e.ID)
		case *complaintsv1.ComplaintClosed:
			return a.Stop(ctx, ev.ComplaintId, ev.Reason, ev.ClosedAt.AsTime(), e.ID)
		}
		return nil // not an event this consumer subscribes to
	}
}
