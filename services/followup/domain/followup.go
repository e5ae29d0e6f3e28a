// Package domain holds follow-up's rules. Once a resolution's redress is
// settled the follow-up of that round is scheduled; when due the customer is
// asked whether it is really fixed and how the handling felt; a silent
// customer is reminded, then their complaint is closed for no response. A
// "yes" closes the complaint, a "no" ends the round (resolution reopens the
// case), a low score alerts the team lead. Pure: no I/O.
package domain

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/notify"
)

// Category is the stream category of follow-ups: "followup-<complaint id>".
const Category = "followup"

// Status is where a complaint's follow-up stands.
type Status int

const (
	// NotScheduled: no resolution has been settled yet.
	NotScheduled Status = iota
	// Scheduled: the survey of the round waits for its due time.
	Scheduled
	// AwaitingAnswer: the customer has been asked and has not answered.
	AwaitingAnswer
	// Chased: the customer has been reminded at least once.
	Chased
	// Answered: the customer said it is not resolved; the round is over and
	// the next resolution's settlement starts the next one.
	Answered
	// Cancelled: the case was reopened before the customer answered.
	Cancelled
	// Closed: the complaint is closed, confirmed by the customer or for no
	// response. Final.
	Closed
)

func (s Status) String() string {
	switch s {
	case Scheduled:
		return "scheduled"
	case AwaitingAnswer:
		return "awaiting_answer"
	case Chased:
		return "chased"
	case Answered:
		return "answered"
	case Cancelled:
		return "cancelled"
	case Closed:
		return "closed"
	default:
		return "not_scheduled"
	}
}

// Context is what follow-up knows of the complaint beyond its own events:
// gathered from ComplaintReceived and CaseResolved when a round is
// scheduled, and recorded on FollowUpScheduled.
type Context struct {
	CustomerID string
	Product    string
	Team       string
	RootCause  string
	Reference  string
}

// ContextOf is the context a settlement carries; ok is false for one
// recorded before settlements carried it (no customer).
func ContextOf(s *complaintsv1.RedressSettled) (Context, bool) {
	c := Context{CustomerID: s.GetCustomerId(), Product: s.GetProduct(), Team: s.GetTeam(), RootCause: s.GetRootCause(), Reference: s.GetReference()}
	return c, c.CustomerID != ""
}

// Answer is one survey answer.
type Answer struct {
	Round    int32
	CSAT     int32
	Effort   int32
	NPS      int32 // -1 when not given
	Resolved bool
	Reason   string
	Comment  string
	At       time.Time
}

// Followup is the follow-up aggregate's state.
type Followup struct {
	ComplaintID string
	Status      Status
	// Round is the resolution being followed up (1 for the first).
	Round   int32
	Context Context
	// SurveyDue is when the round's survey is (or was) due.
	SurveyDue time.Time
	// SurveyAt is when the round's survey was sent.
	SurveyAt    time.Time
	ChasersSent int32
	// ChaserDue and CloseDue are the round's next chaser (zero after the
	// last) and its closure for no response, once the survey is out.
	ChaserDue, CloseDue time.Time
	// Due is the one deadline the follow-up waits for: the survey while
	// scheduled, the next chaser or the closure while awaiting an answer;
	// zero otherwise. A timer firing for any other time is stale.
	Due          time.Time
	Answers      []Answer
	ClosedReason string
	ClosedAt     time.Time
}

// Pending reports the deadline the follow-up waits for, if any.
func (f Followup) Pending() (time.Time, bool) {
	switch f.Status {
	case Scheduled, AwaitingAnswer, Chased:
		return f.Due, !f.Due.IsZero()
	case NotScheduled, Answered, Cancelled, Closed:
	}
	return time.Time{}, false
}

// Command is what the follow-up aggregate accepts.
type Command interface{ isFollowupCommand() }

// Schedule starts the follow-up round of a resolution whose redress is
// settled (RedressSettled).
type Schedule struct {
	ComplaintID string
	Resolution  int32
	Context     Context
	At          time.Time
}

// Fire is a timer firing for the deadline Due.
type Fire struct {
	Due time.Time
	At  time.Time
}

// RecordAnswer records the customer's survey answer.
type RecordAnswer struct {
	CSAT   int32
	Effort int32
	// NPS is optional (nil: not answered).
	NPS      *int32
	Resolved bool
	Reason   string
	Comment  string
	At       time.Time
}

// CancelRound stops the round before the customer answered: the case was
// reopened.
type CancelRound struct {
	Reason string
	At     time.Time
}

func (Schedule) isFollowupCommand()     {}
func (Fire) isFollowupCommand()         {}
func (RecordAnswer) isFollowupCommand() {}
func (CancelRound) isFollowupCommand()  {}

// Refusals.
var (
	ErrNoSurvey        = decider.NotFound("no survey has been sent for this complaint yet (it is sent after the resolution's redress is settled and the follow-up delay has passed)")
	ErrAlreadyAnswered = decider.Conflicts("the survey of this round has already been answered differently")
	ErrRoundOver       = decider.Conflicts("this survey no longer applies: the case was reopened; a new survey follows its next resolution")
	ErrClosed          = decider.Conflicts("the complaint is closed")
	ErrCSAT            = decider.Rejects("csat", "must be from 1 to 5")
	ErrEffort          = decider.Rejects("effort", "must be from 1 to 7")
	ErrNPS             = decider.Rejects("nps", "must be from 0 to 10")
)

// Closing reasons.
const (
	ReasonCustomerAgreed = "customer-confirmed-resolved"
	ReasonNoResponse     = "no-response"
)

// ReasonCaseReopened is why a round is cancelled on CaseReopened.
const ReasonCaseReopened = "case-reopened"

// Rules are what the decider decides with: the follow-up policy and the
// customer message templates.
type Rules struct {
	Policy    Policy
	Templates *notify.Templates
}

// NewDecider returns follow-up's decider under rules r.
func NewDecider(r Rules) decider.Decider[Followup, Command] {
	return decider.Decider[Followup, Command]{
		Initial: func() Followup { return Followup{} },
		Decide:  r.Decide,
		Evolve:  Evolve,
	}
}

// Decide applies one command.
func (r Rules) Decide(cmd Command, f Followup) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case Schedule:
		return r.schedule(cmd, f)
	case Fire:
		return r.fire(cmd, f)
	case RecordAnswer:
		return r.recordAnswer(cmd, f)
	case CancelRound:
		return cancelRound(cmd, f)
	}
	return nil, nil // unreachable: Command is sealed
}

func (r Rules) schedule(cmd Schedule, f Followup) ([]proto.Message, error) {
	switch f.Status {
	case Closed:
		return nil, nil
	case NotScheduled:
	case Scheduled, AwaitingAnswer, Chased, Answered, Cancelled:
		if cmd.Resolution <= f.Round {
			return nil, nil // this round's settlement again, or an older one
		}
	}
	due := cmd.At.Add(r.Policy.SurveyDelay)
	scheduled := &complaintsv1.FollowUpScheduled{
		ComplaintId: cmd.ComplaintID, Resolution: cmd.Resolution,
		Due: timestamppb.New(due), ScheduledAt: timestamppb.New(cmd.At),
		CustomerId: cmd.Context.CustomerID, Product: cmd.Context.Product, Team: cmd.Context.Team,
		RootCause: cmd.Context.RootCause, Reference: cmd.Context.Reference,
		DecidedBy: &complaintsv1.PolicyRef{Policy: PolicyName, Version: r.Policy.Version, RuleId: "survey_delay"},
	}
	events := []proto.Message{scheduled}
	if due.After(cmd.At) {
		return events, nil
	}
	// No delay: the survey goes out in the same decision, not a timer later.
	survey, err := r.survey(Evolve(f, scheduled), cmd.At)
	if err != nil {
		return nil, err
	}
	return append(events, survey...), nil
}

func (r Rules) fire(cmd Fire, f Followup) ([]proto.Message, error) {
	due, ok := f.Pending()
	if !ok || !cmd.Due.Equal(due) {
		return nil, nil // stale: rescheduled, cancelled or already acted on
	}
	switch {
	case f.Status == Scheduled:
		return r.survey(f, cmd.At)
	case !f.ChaserDue.IsZero() && due.Equal(f.ChaserDue):
		return r.chaser(f, cmd.At)
	default:
		return []proto.Message{f.closed(ReasonNoResponse, cmd.At)}, nil
	}
}

// survey asks the customer and sets the round's chasers and closure.
func (r Rules) survey(f Followup, at time.Time) ([]proto.Message, error) {
	chaserDue, closeDue := r.chaserAfter(at, 0), at.Add(r.Policy.CloseAfter)
	n, err := r.Templates.Request(notify.Message{
		ComplaintID: f.ComplaintID, CustomerID: f.Context.CustomerID, Purpose: notify.Survey,
		Step: fmt.Sprintf("round-%d", f.Round), Fields: struct{ Reference string }{f.reference()}, At: at,
	})
	if err != nil {
		return nil, err
	}
	return []proto.Message{
		&complaintsv1.SurveyRequested{
			ComplaintId: f.ComplaintID, RequestedAt: timestamppb.New(at), Resolution: f.Round,
			ChaserDue: timestampOrNil(chaserDue), CloseDue: timestamppb.New(closeDue),
		},
		n,
	}, nil
}

// chaserAfter is when the chaser after the first sent ones is due, counted
// from the survey sent at surveyAt; zero when there is none before the
// closure.
func (r Rules) chaserAfter(surveyAt time.Time, sent int32) time.Time {
	if int(sent) >= len(r.Policy.Chasers) || r.Policy.Chasers[sent] >= r.Policy.CloseAfter {
		return time.Time{}
	}
	return surveyAt.Add(r.Policy.Chasers[sent])
}

func (r Rules) chaser(f Followup, at time.Time) ([]proto.Message, error) {
	number := f.ChasersSent + 1
	n, err := r.Templates.Request(notify.Message{
		ComplaintID: f.ComplaintID, CustomerID: f.Context.CustomerID, Purpose: notify.SurveyChaser,
		Step: fmt.Sprintf("round-%d-chaser-%d", f.Round, number),
		Fields: struct {
			Reference string
			Chaser    int32
		}{f.reference(), number},
		At: at,
	})
	if err != nil {
		return nil, err
	}
	next := r.chaserAfter(f.SurveyAt, number)
	if !next.IsZero() && !next.Before(f.CloseDue) {
		next = time.Time{}
	}
	return []proto.Message{
		&complaintsv1.SurveyChaserSent{
			ComplaintId: f.ComplaintID, Chaser: number, SentAt: timestamppb.New(at), Resolution: f.Round,
			ChaserDue: timestampOrNil(next), CloseDue: timestamppb.New(f.CloseDue),
		},
		n,
	}, nil
}

func (r Rules) recordAnswer(cmd RecordAnswer, f Followup) ([]proto.Message, error) {
	if cmd.CSAT < 1 || cmd.CSAT > 5 {
		return nil, ErrCSAT
	}
	if cmd.Effort < 1 || cmd.Effort > 7 {
		return nil, ErrEffort
	}
	nps := int32(-1)
	if cmd.NPS != nil {
		if *cmd.NPS < 0 || *cmd.NPS > 10 {
			return nil, ErrNPS
		}
		nps = *cmd.NPS
	}
	answer := Answer{Round: f.Round, CSAT: cmd.CSAT, Effort: cmd.Effort, NPS: nps, Resolved: cmd.Resolved, Reason: cmd.Reason, Comment: cmd.Comment}
	switch f.Status {
	case NotScheduled, Scheduled:
		return nil, ErrNoSurvey
	case Cancelled:
		return nil, ErrRoundOver
	case Answered, Closed:
		last, ok := f.lastAnswer()
		switch {
		case ok && last.Round == f.Round && last.same(answer):
			return nil, nil // the same answer again
		case ok && last.Round == f.Round:
			return nil, ErrAlreadyAnswered
		default:
			return nil, ErrClosed
		}
	case AwaitingAnswer, Chased:
	}
	events := []proto.Message{&complaintsv1.SurveyAnswered{
		ComplaintId: f.ComplaintID, Csat: cmd.CSAT, Effort: cmd.Effort, Nps: nps, Resolved: cmd.Resolved,
		Reason: cmd.Reason, Comment: cmd.Comment, AnsweredAt: timestamppb.New(cmd.At), Resolution: f.Round,
	}}
	if low := r.Policy.LowSatisfaction.low(cmd.CSAT, cmd.Effort, nps); len(low) > 0 {
		events = append(events, &complaintsv1.LowSatisfactionAlert{
			ComplaintId: f.ComplaintID, Csat: cmd.CSAT, Effort: cmd.Effort, Nps: nps, Reasons: low,
			Team: f.Context.Team, RaisedAt: timestamppb.New(cmd.At),
		})
	}
	if cmd.Resolved {
		events = append(events, f.closed(ReasonCustomerAgreed, cmd.At))
	}
	return events, nil
}

func cancelRound(cmd CancelRound, f Followup) ([]proto.Message, error) {
	switch f.Status {
	case Scheduled, AwaitingAnswer, Chased:
		return []proto.Message{&complaintsv1.FollowUpCancelled{
			ComplaintId: f.ComplaintID, Resolution: f.Round, Reason: cmd.Reason, CancelledAt: timestamppb.New(cmd.At),
		}}, nil
	case NotScheduled, Answered, Cancelled, Closed:
	}
	return nil, nil
}

func (f Followup) closed(reason string, at time.Time) *complaintsv1.ComplaintClosed {
	return &complaintsv1.ComplaintClosed{
		ComplaintId: f.ComplaintID, Reason: reason, ClosedAt: timestamppb.New(at),
		CustomerId: f.Context.CustomerID, Product: f.Context.Product, Team: f.Context.Team, RootCause: f.Context.RootCause,
	}
}

func (f Followup) reference() string {
	if f.Context.Reference != "" {
		return f.Context.Reference
	}
	return f.ComplaintID
}

func (f Followup) lastAnswer() (Answer, bool) {
	if len(f.Answers) == 0 {
		return Answer{}, false
	}
	return f.Answers[len(f.Answers)-1], true
}

func (a Answer) same(b Answer) bool {
	a.At, b.At = time.Time{}, time.Time{}
	return a == b
}

// Evolve folds one event into the follow-up.
func Evolve(f Followup, event proto.Message) Followup {
	switch e := event.(type) {
	case *complaintsv1.FollowUpScheduled:
		f = Followup{
			ComplaintID: e.ComplaintId, Status: Scheduled, Round: e.Resolution,
			Context: Context{
				CustomerID: e.CustomerId, Product: e.Product, Team: e.Team, RootCause: e.RootCause, Reference: e.Reference,
			},
			SurveyDue: e.Due.AsTime(), Due: e.Due.AsTime(), Answers: f.Answers,
		}
	case *complaintsv1.SurveyRequested:
		f.ComplaintID, f.Status, f.SurveyAt = e.ComplaintId, AwaitingAnswer, e.RequestedAt.AsTime()
		f.Round = max(f.Round, e.Resolution)
		f.ChaserDue, f.CloseDue = timeOf(e.ChaserDue), timeOf(e.CloseDue)
		f.Due = next(f.ChaserDue, f.CloseDue)
	case *complaintsv1.SurveyChaserSent:
		f.Status, f.ChasersSent = Chased, e.Chaser
		f.ChaserDue, f.CloseDue = timeOf(e.ChaserDue), timeOf(e.CloseDue)
		f.Due = next(f.ChaserDue, f.CloseDue)
	case *complaintsv1.SurveyAnswered:
		f.Status, f.Due = Answered, time.Time{}
		f.Answers = append(f.Answers, Answer{
			Round: f.Round, CSAT: e.Csat, Effort: e.Effort, NPS: npsOf(e), Resolved: e.Resolved,
			Reason: e.Reason, Comment: e.Comment, At: e.AnsweredAt.AsTime(),
		})
	case *complaintsv1.FollowUpCancelled:
		f.Status, f.Due = Cancelled, time.Time{}
	case *complaintsv1.ComplaintClosed:
		f.ComplaintID, f.Status, f.Due = e.ComplaintId, Closed, time.Time{}
		f.ClosedReason, f.ClosedAt = e.Reason, e.ClosedAt.AsTime()
	}
	return f
}

// npsOf reads the NPS of an answer; answers recorded before NPS was asked
// hold 0 and no resolution round, and count as not given.
func npsOf(e *complaintsv1.SurveyAnswered) int32 {
	if e.Resolution == 0 && e.Nps == 0 {
		return -1
	}
	return e.Nps
}

// next is the earlier of a chaser due (zero when none) and the closure.
func next(chaser, closure time.Time) time.Time {
	if !chaser.IsZero() {
		return chaser
	}
	return closure
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func timestampOrNil(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
