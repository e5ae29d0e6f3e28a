// Package domain holds intake's rules: how a complaint is received and
// acknowledged. It is pure: no I/O, no clocks, no randomness.
package domain

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// Category is the stream category of complaints: "complaint-<id>".
const Category = "complaint"

// Channels through which complaints arrive.
var Channels = []string{"web", "email", "phone", "chat", "letter", "social", "api"}

// ValidChannel reports whether c is a known channel.
func ValidChannel(c string) bool {
	for _, k := range Channels {
		if k == c {
			return true
		}
	}
	return false
}

// ComplaintStatus is where a complaint stands in intake.
type ComplaintStatus int

const (
	// NotReceived: no complaint under this id yet.
	NotReceived ComplaintStatus = iota
	// Received: recorded, not yet acknowledged.
	Received
	// Acknowledged: the customer has been thanked and given a due date.
	Acknowledged
)

func (s ComplaintStatus) String() string {
	switch s {
	case Received:
		return "received"
	case Acknowledged:
		return "acknowledged"
	default:
		return "not received"
	}
}

// Complaint is the intake aggregate's state.
type Complaint struct {
	Status          ComplaintStatus
	ID              string
	Reference       string
	CustomerID      string
	Channel         string
	Product         string
	Description     string
	DesiredOutcome  string
	Acknowledgement string
	RespondBy       time.Time
}

// ComplaintCommand is a command intake's complaint decider accepts.
type ComplaintCommand interface{ isComplaintCommand() }

// SubmitComplaint records a complaint from a customer. Personal data arrives
// already sealed with the customer's key.
type SubmitComplaint struct {
	ComplaintID    string
	Reference      string
	CustomerID     string
	CustomerName   *complaintsv1.SealedValue
	CustomerEmail  *complaintsv1.SealedValue
	Channel        string
	Product        string
	Description    string
	DesiredOutcome string
	ReceivedAt     time.Time
	// Regime names the clocks that apply; "" for the policy's default.
	Regime string
}

func (SubmitComplaint) isComplaintCommand() {}

// Refusals.
var (
	// ErrSubmissionDiffers: a complaint id (derived from an idempotency key)
	// reused for a different submission.
	ErrSubmissionDiffers = &decider.Refusal{Kind: decider.Conflict, Field: "Idempotency-Key",
		Reason: "a different complaint was already submitted with this idempotency key"}
	// ErrUnknownRegime: the regime named is not in the regimes policy.
	ErrUnknownRegime = decider.Rejects("regime", "is not a regime of the regimes policy")
)

// Policy is the data intake decides with.
type Policy struct {
	Regimes   Regimes
	Templates Templates
}

// CheckRegime says whether the policy knows regime ("" for its default).
func (p Policy) CheckRegime(regime string) error {
	if _, ok := p.Regimes.Named(regime); !ok {
		return fmt.Errorf("regime %q is not in regimes.yaml (known: %v)", regime, p.Regimes.Names())
	}
	return nil
}

// NewDecider is intake's complaint decider under policy p.
func NewDecider(p Policy) decider.Decider[Complaint, ComplaintCommand] {
	return decider.Decider[Complaint, ComplaintCommand]{
		Initial: func() Complaint { return Complaint{} },
		Decide:  func(cmd ComplaintCommand, c Complaint) ([]proto.Message, error) { return Decide(p, cmd, c) },
		Evolve:  Evolve,
	}
}

// Decide receives and acknowledges a new complaint. Receiving the same
// submission again changes nothing; a different one under the same id is
// refused.
func Decide(p Policy, cmd ComplaintCommand, c Complaint) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case SubmitComplaint:
		return submit(p, cmd, c)
	default:
		return nil, fmt.Errorf("intake: unknown command %T", cmd)
	}
}

func submit(p Policy, cmd SubmitComplaint, c Complaint) ([]proto.Message, error) {
	switch c.Status {
	case Received, Acknowledged:
		if c.CustomerID == cmd.CustomerID && c.Channel == cmd.Channel && c.Product == cmd.Product &&
			c.Description == cmd.Description && c.DesiredOutcome == cmd.DesiredOutcome {
			return nil, nil
		}
		return nil, ErrSubmissionDiffers
	case NotReceived:
	}
	regime, ok := p.Regimes.Named(cmd.Regime)
	if !ok {
		return nil, decider.Refusef(ErrUnknownRegime, "%q", cmd.Regime)
	}
	respondBy := regime.RespondBy(cmd.ReceivedAt)
	message, err := render(p.Templates.Templates[AcknowledgementTemplate], AcknowledgementFields{
		Reference: cmd.Reference, Product: cmd.Product, RespondBy: regime.promise(respondBy),
	})
	if err != nil {
		return nil, fmt.Errorf("intake: acknowledgement template: %w", err)
	}
	return []proto.Message{
		&complaintsv1.ComplaintReceived{
			ComplaintId:    cmd.ComplaintID,
			Reference:      cmd.Reference,
			CustomerId:     cmd.CustomerID,
			CustomerName:   cmd.CustomerName,
			CustomerEmail:  cmd.CustomerEmail,
			Channel:        cmd.Channel,
			Product:        cmd.Product,
			Description:    cmd.Description,
			DesiredOutcome: cmd.DesiredOutcome,
			ReceivedAt:     timestamppb.New(cmd.ReceivedAt),
			Regime:         regime.Name,
		},
		&complaintsv1.ComplaintAcknowledged{
			ComplaintId:    cmd.ComplaintID,
			Message:        message,
			RespondBy:      timestamppb.New(respondBy),
			AcknowledgedAt: timestamppb.New(cmd.ReceivedAt),
			DecidedBy:      &complaintsv1.PolicyRef{Policy: "regimes", Version: p.Regimes.Version, RuleId: regime.Name},
		},
	}, nil
}

// Evolve folds one event into the complaint.
func Evolve(c Complaint, event proto.Message) Complaint {
	switch e := event.(type) {
	case *complaintsv1.ComplaintReceived:
		c.ID, c.Reference, c.CustomerID = e.ComplaintId, e.Reference, e.CustomerId
		c.Channel, c.Product, c.Description, c.DesiredOutcome = e.Channel, e.Product, e.Description, e.DesiredOutcome
		c.Status = Received
	case *complaintsv1.ComplaintAcknowledged:
		c.Status = Acknowledged
		c.Acknowledgement = e.Message
		c.RespondBy = e.RespondBy.AsTime()
	}
	return c
}
