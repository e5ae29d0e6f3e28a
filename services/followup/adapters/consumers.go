package adapters

import (
	"context"
	"fmt"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// RequestsSurveys is the durable consumer that starts and stops follow-up
// rounds: RedressSettled (redress-<id>) schedules the round of a
// resolution, CaseReopened (case-<id>) cancels the pending one. One consumer
// for both keeps them in log order for a complaint.
const RequestsSurveys = "followup-requests-surveys"

// Event types follow-up reacts to.
var (
	RedressSettledType = es.TypeOf(&complaintsv1.RedressSettled{})
	CaseReopenedType   = es.TypeOf(&complaintsv1.CaseReopened{})
)

// RoundsSubscription is the subscription of RequestsSurveys.
var RoundsSubscription = bus.Subscription{
	Durable:    RequestsSurveys,
	Categories: []string{"redress", "case"},
	EventTypes: []string{RedressSettledType, CaseReopenedType},
}

// OnRoundEvent schedules a round on RedressSettled and cancels the pending
// one on CaseReopened.
func OnRoundEvent(a *app.Followup) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		switch m := m.(type) {
		case *complaintsv1.RedressSettled:
			if m.ComplaintId == "" {
				m.ComplaintId = e.Metadata.ComplaintID
			}
			return a.Schedule(ctx, m, e.ID)
		case *complaintsv1.CaseReopened:
			return a.CancelRound(ctx, e.Metadata.ComplaintID, e.ID)
		}
		return fmt.Errorf("followup: unexpected event %s", e.Type)
	}
}

// OnTimer acts on a firing of a round's timer.
func OnTimer(a *app.Followup) timer.Handler {
	return func(ctx context.Context, f timer.Fired) error {
		if f.Kind != app.TimerKind || f.ComplaintID == "" {
			return nil // not a follow-up round's timer: nothing to do
		}
		return a.Fire(ctx, f)
	}
}
