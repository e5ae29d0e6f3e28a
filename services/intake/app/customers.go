package app

import (
	"context"
	"errors"
	"time"

	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Erased is the answer to an erasure.
type Erased struct {
	CustomerID   string
	KeyID        string
	ComplaintIDs []string
	ErasedAt     time.Time
	// Replayed: the customer's data had been erased already.
	Replayed bool
}

// Erase crypto-shreds a customer's personal data: it records
// CustomerPersonalDataErased (no personal data) on the customer's index,
// then destroys the customer's key. Every sealed value of the customer then
// reads as erased, while their complaints, counts and timelines stay. A
// retry, or an erasure of a customer already erased, changes nothing. A
// customer with no complaint is not found.
func (a *Intake) Erase(ctx context.Context, customerID, reason string, actor eventlog.Actor) (Erased, error) {
	if !eventlog.ValidID(customerID) {
		return Erased{}, domain.ErrUnknownCustomer
	}
	keyID, err := a.vault.KeyID(ctx, customerID)
	if err != nil {
		return Erased{}, err
	}
	at := a.now()
	res, err := a.customers.Handle(ctx, customerID, es.Command[domain.CustomerCommand]{
		Body:        domain.ErasePersonalData{CustomerID: customerID, KeyID: keyID, ErasedBy: string(actor), Reason: reason, At: at},
		ComplaintID: customerID, CausationID: "erase:" + customerID, IdempotencyKey: "erase:" + keyID, Actor: actor,
	})
	if err != nil {
		return Erased{}, err
	}
	// Record first, then forget: a failure in between leaves the key to
	// forget, which the retry does.
	if err := a.vault.Forget(ctx, customerID); err != nil {
		return Erased{}, err
	}
	return Erased{CustomerID: customerID, KeyID: keyID, ComplaintIDs: res.State.ComplaintIDs(), ErasedAt: at,
		Replayed: len(res.Events) == 0}, nil
}

// IndexClosure records in the customer index that a complaint closed, so
// that the submission routed again opens a new complaint (a recontact,
// within the window). Submit calls it when it finds that a complaint the
// index holds open stands closed in the log. cause is the closing event's
// id.
func (a *Intake) IndexClosure(ctx context.Context, complaintID, cause string, at time.Time) error {
	return a.index(ctx, complaintID, cause, func(id string) domain.CustomerCommand {
		return domain.RecordClosure{ComplaintID: id, At: at}
	})
}

// IndexReopen records in the customer index that a complaint is open again.
func (a *Intake) IndexReopen(ctx context.Context, complaintID, cause string, at time.Time) error {
	return a.index(ctx, complaintID, cause, func(id string) domain.CustomerCommand {
		return domain.RecordReopen{ComplaintID: id, At: at}
	})
}

func (a *Intake) index(ctx context.Context, complaintID, cause string, cmd func(string) domain.CustomerCommand) error {
	c, _, err := a.repo.Load(ctx, complaintID)
	if errors.Is(err, es.ErrNotFound) {
		return nil // not a complaint intake received: nothing to index
	}
	if err != nil {
		return err
	}
	_, err = a.customers.Handle(ctx, c.CustomerID, es.Command[domain.CustomerCommand]{
		Body: cmd(complaintID), ComplaintID: complaintID, CausationID: cause, IdempotencyKey: "index:" + cause,
		Actor: eventlog.NewActor(eventlog.ActorSystem, ServiceName),
	})
	return err
}
