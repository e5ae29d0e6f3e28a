package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Submission is a complaint as a customer or channel sends it.
type Submission struct {
	CustomerID, CustomerName, CustomerEmail string
	Channel, Product, Description           string
	DesiredOutcome                          string
	// IdempotencyKey makes a retried submission return the same complaint.
	IdempotencyKey string
	// Actor is who submits: the intake system calling the API.
	Actor eventlog.Actor
}

// Submitted is the answer to a submission.
type Submitted struct {
	Complaint domain.Complaint
	// Replayed is true when the submission was a retry of one already received.
	Replayed bool
	// CustomerToken lets the customer act on this complaint only; empty
	// when the application has no token issuer.
	CustomerToken string
}

// idempotencyNamespace derives complaint ids from idempotency keys.
var idempotencyNamespace = uuid.MustParse("9f1d2c3a-6b7e-4f80-a1b2-c3d4e5f60718")

// ComplaintIDFor returns the complaint id for a submission: derived from the
// customer and idempotency key when there is one, so a retry lands on the same
// complaint, otherwise new.
func ComplaintIDFor(customerID, idempotencyKey string) string {
	if idempotencyKey == "" {
		return uuid.Must(uuid.NewV7()).String()
	}
	return uuid.NewSHA1(idempotencyNamespace, []byte(customerID+"\x00"+idempotencyKey)).String()
}

// Submit receives and acknowledges a complaint.
func (a *Intake) Submit(ctx context.Context, s Submission) (Submitted, error) {
	id := ComplaintIDFor(s.CustomerID, s.IdempotencyKey)
	name, err := a.vault.Seal(ctx, s.CustomerID, s.CustomerName)
	if err != nil {
		return Submitted{}, err
	}
	email, err := a.vault.Seal(ctx, s.CustomerID, s.CustomerEmail)
	if err != nil {
		return Submitted{}, err
	}
	cmd := domain.SubmitComplaint{
		ComplaintID: id, Reference: domain.ReferenceFor(id), CustomerID: s.CustomerID,
		CustomerName: name, CustomerEmail: email, Channel: s.Channel, Product: s.Product,
		Description: s.Description, DesiredOutcome: s.DesiredOutcome, ReceivedAt: a.now(), Regime: a.regime,
	}
	res, err := a.repo.Handle(ctx, id, es.Command[domain.ComplaintCommand]{
		Body: cmd, ComplaintID: id, CausationID: id, IdempotencyKey: id, Actor: s.Actor,
	})
	if err != nil {
		return Submitted{}, err
	}
	out := Submitted{Complaint: res.State, Replayed: len(res.Events) == 0}
	if a.tokens != nil {
		if out.CustomerToken, err = a.tokens.Issue(s.CustomerID, id); err != nil {
			return Submitted{}, err
		}
	}
	return out, nil
}
