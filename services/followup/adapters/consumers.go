package adapters

import (
	"context"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// RequestsSurveys is the durable consumer asking for surveys.
const RequestsSurveys = "followup-requests-surveys"

// CaseResolvedType is the event follow-up reacts to.
var CaseResolvedType = es.TypeOf(&complaintsv1.CaseResolved{})

// OnCaseResolved requests the survey for every resolved case.
func OnCaseResolved(a *app.Followup) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		return a.RequestSurvey(ctx, e.Metadata.ComplaintID, e.ID)
	}
}
