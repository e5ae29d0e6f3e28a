// Package app holds intake's use cases: submit a complaint, show its current
// view and its timeline across every service.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/pii"
)

// ServiceName is how intake signs its events.
const ServiceName = "intake"

// Intake is the intake application.
type Intake struct {
	log    eventlog.Log
	vault  *pii.Vault
	repo   *es.Repository[domain.Complaint, domain.SubmitComplaint]
	regime domain.Regime
	now    func() time.Time
}

// New builds the intake application.
func New(log eventlog.Log, vault *pii.Vault, regime domain.Regime, metadata func(context.Context, *eventlog.Metadata)) *Intake {
	return &Intake{
		log: log, vault: vault, regime: regime, now: func() time.Time { return time.Now().UTC() },
		repo: &es.Repository[domain.Complaint, domain.SubmitComplaint]{
			Log: log, Category: domain.Category, Service: ServiceName, Decider: domain.Decider, Metadata: metadata,
		},
	}
}

// Submission is a complaint as a customer or channel sends it.
type Submission struct {
	CustomerID, CustomerName, CustomerEmail string
	Channel, Product, Description           string
	DesiredOutcome                          string
	// IdempotencyKey makes a retried submission return the same complaint.
	IdempotencyKey string
}

// Submitted is the answer to a submission.
type Submitted struct {
	Complaint domain.Complaint
	// Replayed is true when the submission was a retry of one already received.
	Replayed bool
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
	res, err := a.repo.Handle(ctx, id, es.Command[domain.SubmitComplaint]{
		Body: cmd, ComplaintID: id, CausationID: id, IdempotencyKey: id,
	})
	if err != nil {
		return Submitted{}, err
	}
	return Submitted{Complaint: res.State, Replayed: len(res.Events) == 0}, nil
}

// Step is one event of a complaint's timeline.
type Step struct {
	Event   eventlog.RecordedEvent
	Message proto.Message
}

// ErrComplaintNotFound is returned for an unknown complaint.
var ErrComplaintNotFound = errors.New("complaint not found")

// Timeline returns every step of a complaint in log order.
func (a *Intake) Timeline(ctx context.Context, complaintID string) ([]Step, error) {
	if !eventlog.ValidID(complaintID) {
		return nil, ErrComplaintNotFound
	}
	events, err := a.log.ReadTimeline(ctx, complaintID)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, ErrComplaintNotFound
	}
	steps := make([]Step, 0, len(events))
	for _, e := range events {
		m, err := es.Decode(e)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Event: e, Message: m})
	}
	return steps, nil
}

// View returns the complaint's current view, folded from its timeline.
func (a *Intake) View(ctx context.Context, complaintID string) (domain.View, error) {
	steps, err := a.Timeline(ctx, complaintID)
	if err != nil {
		return domain.View{}, err
	}
	var v domain.View
	for _, s := range steps {
		v = domain.ApplyToView(v, s.Message)
	}
	if !v.Found() {
		return v, ErrComplaintNotFound
	}
	return v, nil
}

// OpenPersonalData opens a sealed value; an erased customer reads as
// "[erased]".
func (a *Intake) OpenPersonalData(ctx context.Context, v domain.View) (name, email string, err error) {
	if name, err = a.vault.Open(ctx, v.CustomerName); errors.Is(err, pii.ErrForgotten) {
		return "[erased]", "[erased]", nil
	} else if err != nil {
		return "", "", err
	}
	if email, err = a.vault.Open(ctx, v.CustomerEmail); errors.Is(err, pii.ErrForgotten) {
		return "[erased]", "[erased]", nil
	}
	return name, email, err
}
