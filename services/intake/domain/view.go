package domain

import (
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Complaint statuses as a customer or support agent sees them.
const (
	StatusAcknowledged     = "acknowledged"
	StatusInvestigating    = "investigating"
	StatusResolved         = "resolved"
	StatusAwaitingFeedback = "awaiting_feedback"
	StatusClosed           = "closed"
)

// View is the whole story of one complaint across every service, folded from
// its timeline. Personal data stays sealed here; the HTTP edge opens it.
type View struct {
	ID              string
	Reference       string
	Status          string
	CustomerID      string
	CustomerName    *complaintsv1.SealedValue
	CustomerEmail   *complaintsv1.SealedValue
	Channel         string
	Product         string
	Description     string
	DesiredOutcome  string
	ReceivedAt      time.Time
	Acknowledgement string
	RespondBy       time.Time

	CaseOpened bool
	Team       string
	Outcome    complaintsv1.Outcome
	RootCause  string
	Summary    string
	ResolvedAt time.Time

	RedressDecided bool
	RedressIssued  bool
	RedressKind    complaintsv1.RedressKind
	AmountMinor    int64
	Currency       string

	SurveyRequested bool
	Answered        bool
	CSAT            int32
	Effort          int32
	ResolvedByWord  bool
	AnsweredAt      time.Time

	ClosedAt time.Time
}

// Found reports whether the complaint has been received.
func (v View) Found() bool { return v.ID != "" }

// EvolveView folds one event of any service into the view.
func EvolveView(v View, event proto.Message) View {
	switch e := event.(type) {
	case *complaintsv1.ComplaintReceived:
		v.ID, v.Reference, v.CustomerID = e.ComplaintId, e.Reference, e.CustomerId
		v.CustomerName, v.CustomerEmail = e.CustomerName, e.CustomerEmail
		v.Channel, v.Product, v.Description, v.DesiredOutcome = e.Channel, e.Product, e.Description, e.DesiredOutcome
		v.ReceivedAt = e.ReceivedAt.AsTime()
		v.Status = StatusAcknowledged
	case *complaintsv1.ComplaintAcknowledged:
		v.Acknowledgement, v.RespondBy = e.Message, e.RespondBy.AsTime()
		v.Status = StatusAcknowledged
	case *complaintsv1.CaseOpened:
		v.CaseOpened = true
		v.Status = StatusInvestigating
	case *complaintsv1.CaseAssigned:
		v.Team = e.Team
	case *complaintsv1.CaseResolved:
		v.Outcome, v.RootCause, v.Summary, v.ResolvedAt = e.Outcome, e.RootCause, e.Summary, e.ResolvedAt.AsTime()
		v.Status = StatusResolved
	case *complaintsv1.RedressDecided:
		v.RedressDecided = true
		v.RedressKind, v.AmountMinor, v.Currency = e.Kind, e.AmountMinor, e.Currency
	case *complaintsv1.RedressIssued:
		v.RedressIssued = true
	case *complaintsv1.SurveyRequested:
		v.SurveyRequested = true
		v.Status = StatusAwaitingFeedback
	case *complaintsv1.SurveyAnswered:
		v.Answered = true
		v.CSAT, v.Effort, v.ResolvedByWord, v.AnsweredAt = e.Csat, e.Effort, e.Resolved, e.AnsweredAt.AsTime()
	case *complaintsv1.ComplaintClosed:
		v.ClosedAt = e.ClosedAt.AsTime()
		v.Status = StatusClosed
	}
	return v
}
