// Package domain holds follow-up's rules: after resolution the customer is
// asked whether it is really fixed; a "yes" closes the complaint. Pure.
package domain

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of follow-ups: "followup-<complaint id>".
const Category = "followup"

// Status is where a complaint's follow-up stands.
type Status int

const (
	// NotRequested: no survey yet (the case is not resolved).
	NotRequested Status = iota
	// Requested: the customer has been asked and has not answered.
	Requested
	// Answered: the customer answered that it is not fixed; the complaint
	// stays open.
	Answered
	// Closed: the customer confirmed it is fixed.
	Closed
)

func (s Status) String() string {
	switch s {
	case Requested:
		return "survey_requested"
	case Answered:
		return "answered"
	case Closed:
		return "closed"
	default:
		return "not_requested"
	}
}

// Followup is the follow-up aggregate's state.
type Followup struct {
	ComplaintID string
	Status      Status
	// The answer, once given.
	CSAT     int32
	Effort   int32
	Resolved bool
	Comment  string
}

// Command is what the follow-up aggregate accepts.
type Command interface{ isFollowupCommand() }

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

func (RequestSurvey) isFollowupCommand() {}
func (RecordAnswer) isFollowupCommand()  {}

// Refusals.
var (
	ErrNoSurvey        = decider.NotFound("no survey has been requested for this complaint (yet: it is requested once the case is resolved)")
	ErrAlreadyAnswered = decider.Conflicts("the survey has already been answered differently")
	ErrCSAT            = decider.Rejects("csat", "must be from 1 to 5")
	ErrEffort          = decider.Rejects("effort", "must be from 1 to 7")
)

// ReasonCustomerAgreed is the closing reason when the customer confirms the
// complaint is resolved.
const ReasonCustomerAgreed = "customer-confirmed-resolved"

// Decider is follow-up's decider.
var Decider = decider.Decider[Followup, Command]{
	Initial: func() Followup { return Followup{} },
	Decide:  Decide,
	Evolve:  Evolve,
}

// Decide applies RequestSurvey or RecordAnswer.
func Decide(cmd Command, f Followup) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case RequestSurvey:
		return requestSurvey(cmd, f)
	case RecordAnswer:
		return recordAnswer(cmd, f)
	}
	return nil, nil // unreachable: Command is sealed
}

func requestSurvey(cmd RequestSurvey, f Followup) ([]proto.Message, error) {
	if f.Status != NotRequested {
		return nil, nil
	}
	return []proto.Message{&complaintsv1.SurveyRequested{ComplaintId: cmd.ComplaintID, RequestedAt: timestamppb.New(cmd.At)}}, nil
}

func recordAnswer(cmd RecordAnswer, f Followup) ([]proto.Message, error) {
	if cmd.CSAT < 1 || cmd.CSAT > 5 {
		return nil, ErrCSAT
	}
	if cmd.Effort < 1 || cmd.Effort > 7 {
		return nil, ErrEffort
	}
	switch f.Status {
	case NotRequested:
		return nil, ErrNoSurvey
	case Answered, Closed:
		if f.CSAT == cmd.CSAT && f.Effort == cmd.Effort && f.Resolved == cmd.Resolved {
			return nil, nil // the same answer again
		}
		return nil, ErrAlreadyAnswered
	case Requested:
	}
	events := []proto.Message{&complaintsv1.SurveyAnswered{
		ComplaintId: f.ComplaintID, Csat: cmd.CSAT, Effort: cmd.Effort, Resolved: cmd.Resolved,
		Comment: cmd.Comment, AnsweredAt: timestamppb.New(cmd.At),
	}}
	if cmd.Resolved {
		events = append(events, &complaintsv1.ComplaintClosed{ComplaintId: f.ComplaintID, Reason: ReasonCustomerAgreed, ClosedAt: timestamppb.New(cmd.At)})
	}
	return events, nil
}

// Evolve folds one event into the follow-up.
func Evolve(f Followup, event proto.Message) Followup {
	switch e := event.(type) {
	case *complaintsv1.SurveyRequested:
		f.ComplaintID, f.Status = e.ComplaintId, Requested
	case *complaintsv1.SurveyAnswered:
		f.Status, f.CSAT, f.Effort, f.Resolved, f.Comment = Answered, e.Csat, e.Effort, e.Resolved, e.Comment
	case *complaintsv1.ComplaintClosed:
		f.Status = Closed
	}
	return f
}
