package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// Event types resolution's consumers react to.
var (
	ComplaintReceivedType = es.TypeOf(&complaintsv1.ComplaintReceived{})
	SurveyAnsweredType    = es.TypeOf(&complaintsv1.SurveyAnswered{})
	ClockBreachedType     = es.TypeOf(&complaintsv1.ClockBreached{})
)

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
		return a.OpenCase(ctx, rec, e.ID)
	}
}

// OnSurveyAnswered reopens the case of a customer who answered the
// follow-up survey "not resolved".
func OnSurveyAnswered(a *app.Resolution) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		ans, ok := m.(*complaintsv1.SurveyAnswered)
		if !ok || ans.Resolved {
			return nil
		}
		return a.ReopenOnSurvey(ctx, ans.ComplaintId, int(ans.Resolution), ans.Reason, e.ID)
	}
}

// OnClockBreached escalates the case whose clock breached, unless the clock
// was a window that closed (decided by the case).
func OnClockBreached(a *app.Resolution) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		b, ok := m.(*complaintsv1.ClockBreached)
		if !ok {
			return nil
		}
		return a.EscalateOnBreach(ctx, b, e.ID)
	}
}

// OnQueueEvent folds an event into the queue projection.
func OnQueueEvent(a *app.Resolution) func(context.Context, eventlog.RecordedEvent) error {
	return a.OnQueueEvent
}
