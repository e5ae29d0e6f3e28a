package client

import "github.com/complaintflow/complaintflow/services/api"

// The wire types are written once, in services/api, and shared with the
// services' HTTP adapters; the names below keep the client's API.

// Complaint statuses as the intake API reports them.
const (
	StatusAcknowledged     = api.StatusAcknowledged
	StatusInvestigating    = api.StatusInvestigating
	StatusResolved         = api.StatusResolved
	StatusAwaitingFeedback = api.StatusAwaitingFeedback
	StatusClosed           = api.StatusClosed
)

// Outcomes a case may be resolved with.
const (
	OutcomeUpheld       = api.OutcomeUpheld
	OutcomePartlyUpheld = api.OutcomePartlyUpheld
	OutcomeRejected     = api.OutcomeRejected
)

type (
	Customer          = api.Customer
	SubmitRequest     = api.SubmitRequest
	Acknowledgement   = api.Acknowledgement
	ComplaintCase     = api.ComplaintCase
	ComplaintRedress  = api.ComplaintRedress
	ComplaintFollowUp = api.ComplaintFollowUp
	Complaint         = api.Complaint
	Step              = api.Step
	Timeline          = api.Timeline
	Case              = api.Case
	AssignRequest     = api.AssignRequest
	ResolveRequest    = api.ResolveRequest
	RootCause         = api.RootCause
	Redress           = api.Redress
	PolicyRef         = api.PolicyRef
	RedressPolicy     = api.RedressPolicy
	FollowUp          = api.FollowUp
	AnswerRequest     = api.AnswerRequest
	CauseShare        = api.CauseShare
	RootCauseReport   = api.RootCauseReport
)

// Ptr returns a pointer to v, for the optional fields of requests.
func Ptr[T any](v T) *T { return &v }
