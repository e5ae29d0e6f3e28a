// Package domain holds intake's rules: how a complaint is received and
// acknowledged. It is pure: no I/O, no clocks, no randomness.
package domain

import (
	"errors"
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

// Complaint is the intake aggregate's state.
type Complaint struct {
	ID              string
	Reference       string
	CustomerID      string
	Channel         string
	Product         string
	Description     string
	DesiredOutcome  string
	Received        bool
	Acknowledged    bool
	Acknowledgement string
	RespondBy       time.Time
}

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
	Regime         Regime
}

// ErrSubmissionDiffers is returned when a complaint id (derived from an
// idempotency key) is reused for a different submission.
var ErrSubmissionDiffers = errors.New("a different complaint was already submitted with this idempotency key")

// Decider is intake's complaint decider.
var Decider = decider.Decider[Complaint, SubmitComplaint]{
	Initial: func() Complaint { return Complaint{} },
	Decide:  Decide,
	Evolve:  Evolve,
}

// Decide receives and acknowledges a new complaint. Receiving the same
// submission again changes nothing; a different one under the same id is
// refused.
func Decide(cmd SubmitComplaint, c Complaint) ([]proto.Message, error) {
	if c.Received {
		if c.CustomerID == cmd.CustomerID && c.Channel == cmd.Channel && c.Product == cmd.Product &&
			c.Description == cmd.Description && c.DesiredOutcome == cmd.DesiredOutcome {
			return nil, nil
		}
		return nil, ErrSubmissionDiffers
	}
	respondBy := cmd.Regime.RespondBy(cmd.ReceivedAt)
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
			Regime:         cmd.Regime.Name,
		},
		&complaintsv1.ComplaintAcknowledged{
			ComplaintId:    cmd.ComplaintID,
			Message:        AcknowledgementMessage(cmd.Reference, cmd.Product, respondBy),
			RespondBy:      timestamppb.New(respondBy),
			AcknowledgedAt: timestamppb.New(cmd.ReceivedAt),
		},
	}, nil
}

// AcknowledgementMessage follows the first recovery steps: thank the customer,
// say why the complaint is welcome, apologise, promise to act and when. It
// holds no personal data, since it is kept in the log in clear.
func AcknowledgementMessage(reference, product string, respondBy time.Time) string {
	return fmt.Sprintf("Thank you for telling us about the problem with your %s. "+
		"Complaints like yours show us what we must fix, so we are glad you told us. "+
		"We are sorry for the trouble this has caused you. "+
		"We have recorded your complaint under reference %s, we are looking into it now, "+
		"and we will give you our response by %s at the latest.",
		product, reference, respondBy.Format("Monday 2 January 2006"))
}

// Evolve folds one event into the complaint.
func Evolve(c Complaint, event proto.Message) Complaint {
	switch e := event.(type) {
	case *complaintsv1.ComplaintReceived:
		c.ID, c.Reference, c.CustomerID = e.ComplaintId, e.Reference, e.CustomerId
		c.Channel, c.Product, c.Description, c.DesiredOutcome = e.Channel, e.Product, e.Description, e.DesiredOutcome
		c.Received = true
	case *complaintsv1.ComplaintAcknowledged:
		c.Acknowledged = true
		c.Acknowledgement = e.Message
		c.RespondBy = e.RespondBy.AsTime()
	}
	return c
}
