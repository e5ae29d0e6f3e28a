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
	"github.com/complaintflow/complaintflow/services/platform/notify"
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
	RecontactOf     string
	// LastChannel is the channel of the customer's latest contact about the
	// complaint: its submission or its latest repeat contact.
	LastChannel    string
	RepeatContacts int32
}

// ComplaintCommand is a command intake's complaint decider accepts.
type ComplaintCommand interface{ isComplaintCommand() }

// SubmitComplaint records a complaint from a customer. Personal data arrives
// already sealed with the customer's key.
type SubmitComplaint struct {
	ComplaintID   string
	Reference     string
	CustomerID    string
	CustomerName  *complaintsv1.SealedValue
	CustomerEmail *complaintsv1.SealedValue
	CustomerPhone *complaintsv1.SealedValue
	// Fingerprint is the keyed fingerprint of the normalised e-mail address
	// (or phone number), never the clear value.
	Fingerprint         string
	Channel             string
	Product             string
	Description         string
	DesiredOutcome      string
	DisputedAmountMinor int64
	Currency            string
	Vulnerable          bool
	VulnerabilityDetail *complaintsv1.SealedValue
	// RecontactOf is the customer's earlier, closed complaint about the same
	// product this one comes back about, if any (the customer index decides).
	RecontactOf string
	ReceivedAt  time.Time
	// Regime names the clocks that apply; "" for the policy's default.
	Regime string
}

func (SubmitComplaint) isComplaintCommand() {}

// RecordRepeatContact records that the customer contacted the company again
// about this open complaint.
type RecordRepeatContact struct {
	ComplaintID string
	Channel     string
	Said        string
	ContactedAt time.Time
}

func (RecordRepeatContact) isComplaintCommand() {}

// Refusals.
var (
	// ErrSubmissionDiffers: a complaint id (derived from an idempotency key)
	// reused for a different submission.
	ErrSubmissionDiffers = &decider.Refusal{Kind: decider.Conflict, Field: "Idempotency-Key",
		Reason: "a different complaint was already submitted with this idempotency key"}
	// ErrUnknownRegime: the regime named is not in the regimes policy.
	ErrUnknownRegime = decider.Rejects("regime", "is not a regime of the regimes policy")
	// ErrUnknownProduct: the product is not in the product taxonomy.
	ErrUnknownProduct = decider.Rejects("product", "is not a product of the product taxonomy (products.yaml)")
	// ErrNotReceived: a repeat contact on a complaint that was never
	// received.
	ErrNotReceived = decider.NotFound("complaint not received")
)

// NewDecider is intake's complaint decider under policy p.
func NewDecider(p Policy) decider.Decider[Complaint, ComplaintCommand] {
	return decider.Decider[Complaint, ComplaintCommand]{
		Initial: func() Complaint { return Complaint{} },
		Decide:  func(cmd ComplaintCommand, c Complaint) ([]proto.Message, error) { return Decide(p, cmd, c) },
		Evolve:  Evolve,
	}
}

// Decide receives and acknowledges a new complaint, and records repeat
// contacts on it. Receiving the same submission again changes nothing; a
// different one under the same id is refused.
func Decide(p Policy, cmd ComplaintCommand, c Complaint) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case SubmitComplaint:
		return submit(p, cmd, c)
	case RecordRepeatContact:
		return repeatContact(cmd, c)
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
	category, ok := p.Products.CategoryOf(cmd.Product)
	if !ok {
		return nil, decider.Refusef(ErrUnknownProduct, "%q", cmd.Product)
	}
	regime, ok := p.Regimes.Named(cmd.Regime)
	if !ok {
		return nil, decider.Refusef(ErrUnknownRegime, "%q", cmd.Regime)
	}
	respondBy := regime.RespondBy(cmd.ReceivedAt)
	ack, err := p.Templates.Request(notify.Message{
		ComplaintID: cmd.ComplaintID, CustomerID: cmd.CustomerID, Purpose: notify.Acknowledgement, Variant: regime.Name,
		Fields: AcknowledgementFields{Reference: cmd.Reference, Product: cmd.Product, RespondBy: regime.Promise(respondBy)},
		At:     cmd.ReceivedAt,
	})
	if err != nil {
		return nil, fmt.Errorf("intake: acknowledgement: %w", err)
	}
	return []proto.Message{
		&complaintsv1.ComplaintReceived{
			ComplaintId:         cmd.ComplaintID,
			Reference:           cmd.Reference,
			CustomerId:          cmd.CustomerID,
			CustomerName:        cmd.CustomerName,
			CustomerEmail:       cmd.CustomerEmail,
			CustomerPhone:       cmd.CustomerPhone,
			CustomerFingerprint: cmd.Fingerprint,
			Channel:             cmd.Channel,
			Product:             cmd.Product,
			ProductCategory:     category,
			Description:         cmd.Description,
			DesiredOutcome:      cmd.DesiredOutcome,
			DisputedAmountMinor: cmd.DisputedAmountMinor,
			Currency:            cmd.Currency,
			CustomerVulnerable:  cmd.Vulnerable,
			VulnerabilityDetail: cmd.VulnerabilityDetail,
			RecontactOf:         cmd.RecontactOf,
			ReceivedAt:          timestamppb.New(cmd.ReceivedAt),
			Regime:              regime.Name,
		},
		&complaintsv1.ComplaintAcknowledged{
			ComplaintId:    cmd.ComplaintID,
			Message:        ack.Text,
			RespondBy:      timestamppb.New(respondBy),
			AcknowledgedAt: timestamppb.New(cmd.ReceivedAt),
			DecidedBy:      &complaintsv1.PolicyRef{Policy: "regimes", Version: p.Regimes.Version, RuleId: regime.Name},
		},
		ack,
	}, nil
}

// repeatContact counts the contact and whether the customer had to switch
// channel to make it.
func repeatContact(cmd RecordRepeatContact, c Complaint) ([]proto.Message, error) {
	if c.Status == NotReceived {
		return nil, ErrNotReceived
	}
	return []proto.Message{&complaintsv1.RepeatContactRecorded{
		ComplaintId:    c.ID,
		Channel:        cmd.Channel,
		Said:           cmd.Said,
		ContactedAt:    timestamppb.New(cmd.ContactedAt),
		ChannelSwitch:  cmd.Channel != c.LastChannel,
		RepeatContacts: c.RepeatContacts + 1,
	}}, nil
}

// Evolve folds one event into the complaint.
func Evolve(c Complaint, event proto.Message) Complaint {
	switch e := event.(type) {
	case *complaintsv1.ComplaintReceived:
		c.ID, c.Reference, c.CustomerID = e.ComplaintId, e.Reference, e.CustomerId
		c.Channel, c.Product, c.Description, c.DesiredOutcome = e.Channel, e.Product, e.Description, e.DesiredOutcome
		c.RecontactOf, c.LastChannel = e.RecontactOf, e.Channel
		c.Status = Received
	case *complaintsv1.RepeatContactRecorded:
		c.LastChannel, c.RepeatContacts = e.Channel, e.RepeatContacts
	case *complaintsv1.ComplaintAcknowledged:
		c.Status = Acknowledged
		c.Acknowledgement = e.Message
		c.RespondBy = e.RespondBy.AsTime()
	}
	return c
}
