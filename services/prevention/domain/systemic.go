package domain

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// AggregateCategory is the stream category of prevention's aggregates: systemic
// issues ("prevention-issue_<id>") and preventive actions
// ("prevention-action_<id>").
const AggregateCategory = "prevention"

// IssueStatus is where a systemic issue is.
type IssueStatus int

const (
	// IssueUnknown: nothing has been detected under this id.
	IssueUnknown IssueStatus = iota
	// IssueOpen: detected and not yet closed.
	IssueOpen
	// IssueClosed: fixed or explained.
	IssueClosed
)

func (s IssueStatus) String() string {
	switch s {
	case IssueOpen:
		return "open"
	case IssueClosed:
		return "closed"
	default:
		return "unknown"
	}
}

// Issue is a systemic issue's state.
type Issue struct {
	Status   IssueStatus
	Detected *complaintsv1.SystemicIssueDetected
	Closed   *complaintsv1.SystemicIssueClosed
}

// IssueCommand is a command to a systemic issue.
type IssueCommand interface{ isIssueCommand() }

// DetectIssue records a spike found by the detector.
type DetectIssue struct{ Detection Detection }

// CloseIssue closes an open issue: fixed, or explained.
type CloseIssue struct {
	Reason string
	By     string
	At     time.Time
}

func (DetectIssue) isIssueCommand() {}
func (CloseIssue) isIssueCommand()  {}

// Refusals of the systemic issue.
var (
	ErrNoSuchIssue    = decider.NotFound("no systemic issue has this id")
	ErrReasonRequired = decider.Rejects("reason", "say why the issue is closed: what was fixed, or what explains it")
)

// IssueDecider is the systemic issue's logic.
var IssueDecider = decider.Decider[Issue, IssueCommand]{
	Initial: func() Issue { return Issue{} },
	Decide:  decideIssue,
	Evolve:  evolveIssue,
}

func decideIssue(cmd IssueCommand, s Issue) ([]proto.Message, error) {
	switch c := cmd.(type) {
	case DetectIssue:
		if s.Status != IssueUnknown {
			return nil, nil // the same spike, delivered again
		}
		return []proto.Message{c.Detection.Event()}, nil
	case CloseIssue:
		switch s.Status {
		case IssueUnknown:
			return nil, ErrNoSuchIssue
		case IssueClosed:
			return nil, nil
		}
		if c.Reason == "" {
			return nil, ErrReasonRequired
		}
		return []proto.Message{&complaintsv1.SystemicIssueClosed{
			IssueId: s.Detected.GetIssueId(), Reason: c.Reason, ClosedBy: c.By, ClosedAt: timestamppb.New(c.At),
		}}, nil
	}
	return nil, decider.Conflicts("unknown command")
}

func evolveIssue(s Issue, e proto.Message) Issue {
	switch e := e.(type) {
	case *complaintsv1.SystemicIssueDetected:
		s.Status, s.Detected = IssueOpen, e
	case *complaintsv1.SystemicIssueClosed:
		s.Status, s.Closed = IssueClosed, e
	}
	return s
}
