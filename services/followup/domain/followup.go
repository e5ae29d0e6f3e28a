// Package domain holds follow-up's rules: after resolution the customer is
// asked whether it is really fixed; a "yes" closes the complaint. Pure.
package domain

import (
	"errors"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of follow-ups: "followup-<complaint id>".
const Category = "followup"

// Followup is the follow-up aggregate's state.
type Followup struct {
	ComplaintID string
	Requested   bool
	Answered    bool
	CSAT        int32
	Effort      int32
	Resolved    bool
	Comment     string
	Closed      bool
}

// RequestSurvey asks the customer about a resolved complaint.
type RequestSurvey struct {
	ComplaintID string
	At          time.Time
}

// RecordAnswer records the customer's survey answer.
type RecordAnswer struct {
	CSAT     int32
	Effort   int32
	Resolved bool
	Comment  string
	At       time.Time
}

// FieldError is an answer value out of range; Field names it as the API does.
type FieldError struct {
	Field  string
	Detail string
}

func (e *FieldError) Error() string { return e.Field + " " + e.Detail }

// Errors a command can be refused with.
var (
	ErrNoSurvey        = errors.New("no survey has been requested for this complaint")
	ErrAlreadyAnswered = errors.New("the survey has already been answered differently")
)

// ReasonCustomerAgreed is the closing reason when the customer confirms the
// complaint is resolved.
const ReasonCustomerAgreed = "customer-confirmed-resolved"

// Decider is follow-up's decider.
var Decider = decider.Decider[Followup, any]{
	Initial: func() Followup { return Followup{} },
	Decide:  Decide,
	Evolve:  Evolve,
}

// Decide applies RequestSurvey or RecordAnswer.
func Decide(cmd any, f Followup) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case RequestSurvey:
		if f.Requested {
			return nil, nil
		}
		return []proto.Message{&complaintsv1.SurveyRequested{ComplaintId: cmd.ComplaintID, RequestedAt: timestamppb.New(cmd.At)}}, nil
	case RecordAnswer:
		if cmd.CSAT < 1 || cmd.CSAT > 5 {
			return nil, &FieldError{Field: "csat", Detail: "must be from 1 to 5"}
		}
		if cmd.Effort < 1 || cmd.Effort > 7 {
			return nil, &FieldError{Field: "effort", Detail: "must be from 1 to 7"}
		}
		switch {
		case !f.Requested:
			return nil, ErrNoSurvey
		case f.Answered && f.CSAT == cmd.CSAT && f.Effort == cmd.Effort && f.Resolved == cmd.Resolved:
			return nil, nil
		case f.Answered:
			return nil, ErrAlreadyAnswered
		}
		events := []proto.Message{&complaintsv1.SurveyAnswered{
			ComplaintId: f.ComplaintID, Csat: cmd.CSAT, Effort: cmd.Effort, Resolved: cmd.Resolved,
			Comment: cmd.Comment, AnsweredAt: timestamppb.New(cmd.At),
		}}
		if cmd.Resolved {
			events = append(events, &complaintsv1.ComplaintClosed{ComplaintId: f.ComplaintID, Reason: ReasonCustomerAgreed, ClosedAt: timestamppb.New(cmd.At)})
		}
		return events, nil
	default:
		return nil, errors.New("followup: unknown command")
	}
}

// Evolve folds one event into the follow-up.
func Evolve(f Followup, event proto.Message) Followup {
	switch e := event.(type) {
	case *complaintsv1.SurveyRequested:
		f.ComplaintID, f.Requested = e.ComplaintId, true
	case *complaintsv1.SurveyAnswered:
		f.Answered, f.CSAT, f.Effort, f.Resolved, f.Comment = true, e.Csat, e.Effort, e.Resolved, e.Comment
	case *complaintsv1.ComplaintClosed:
		f.Closed = true
	}
	return f
}
