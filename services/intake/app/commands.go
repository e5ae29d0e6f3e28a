package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Submission is a complaint as a customer or channel sends it.
type Submission struct {
	// CustomerID is the company's id of the customer; "" when the channel
	// does not know it: the customer is then known by the fingerprint of
	// their e-mail address or phone number.
	CustomerID, CustomerName, CustomerEmail, CustomerPhone string
	Channel, Product, Description                          string
	DesiredOutcome                                         string
	// DisputedAmountMinor and Currency: the amount the customer disputes,
	// in minor units of an ISO 4217 currency; 0 and "" for none.
	DisputedAmountMinor int64
	Currency            string
	// Vulnerable and VulnerabilityDetail: circumstances the customer told
	// of; the detail is sealed like the other personal data.
	Vulnerable          bool
	VulnerabilityDetail string
	// IdempotencyKey makes a retried submission return the same complaint.
	IdempotencyKey string
	// Actor is who submits: the intake system calling the API.
	Actor eventlog.Actor
}

// Submitted is the answer to a submission.
type Submitted struct {
	// Complaint is the new complaint, or, for a repeat contact, the
	// customer's open complaint it was recorded on.
	Complaint domain.Complaint
	// RepeatContact is true when the submission was recorded as a repeat
	// contact on the customer's open complaint about the same product.
	RepeatContact bool
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

// ErrNoCustomer: a submission that names no customer id, e-mail address or
// phone number cannot be matched to anyone.
var ErrNoCustomer = decider.Rejects("customer", "needs an id, an e-mail address or a phone number")

// Submit receives and acknowledges a complaint, or, when the customer has a
// complaint about the same product open, records the submission on it as a
// repeat contact. The customer index (stream customer-<customer>) decides
// which, at its exact revision: of two simultaneous submissions of one
// customer, one opens the complaint and the other becomes its repeat contact.
func (a *Intake) Submit(ctx context.Context, s Submission) (Submitted, error) {
	if _, ok := a.policy.Products.CategoryOf(s.Product); !ok {
		return Submitted{}, decider.Refusef(domain.ErrUnknownProduct, "%q", s.Product)
	}
	fp := domain.Fingerprint(a.fingerprintKey, s.CustomerEmail, s.CustomerPhone)
	customer := domain.CustomerKey(s.CustomerID, fp)
	if customer == "" {
		return Submitted{}, ErrNoCustomer
	}
	id := ComplaintIDFor(customer, s.IdempotencyKey)
	// Seal first: nothing is recorded for a submission that cannot be.
	cmd, err := a.sealed(ctx, s, customer, fp, id)
	if err != nil {
		return Submitted{}, err
	}
	for attempt := 0; ; attempt++ {
		routed, err := a.customers.Handle(ctx, customer, es.Command[domain.CustomerCommand]{
			Body:        domain.RouteSubmission{CustomerID: customer, ComplaintID: id, Product: s.Product, Channel: s.Channel, At: cmd.ReceivedAt},
			ComplaintID: id, CausationID: id, IdempotencyKey: "route:" + id, Actor: s.Actor,
		})
		if err != nil {
			return Submitted{}, err
		}
		route, ok := routed.State.Route(id, s.Product)
		if !ok || attempt > 100 {
			return Submitted{}, fmt.Errorf("intake: customer index of %s routed submission %s nowhere", customer, id)
		}
		if route.Opens {
			cmd.RecontactOf = route.RecontactOf
			return a.open(ctx, cmd, s.Actor)
		}
		open := route.RepeatOn
		// The index learns of a closure here, when a submission needs it
		// (ADR 0055): a complaint the log holds as closed takes no repeat
		// contact. Index its closure (under the closing event's id, so a
		// retry indexes it once) and route again.
		if closed, ok, err := a.closure(ctx, open.ID); err != nil {
			return Submitted{}, err
		} else if ok {
			if err := a.IndexClosure(ctx, open.ID, closed.ID, closed.At); err != nil {
				return Submitted{}, err
			}
			continue
		}
		out, err := a.repeat(ctx, open.ID, id, s)
		if !errors.Is(err, domain.ErrNotReceived) {
			return out, err
		}
		// The open complaint is not recorded (yet): its submission is in
		// flight (wait for it), or failed after indexing it (abandon it, so
		// this submission opens a complaint of its own).
		if !open.OpeningAbandoned(a.now()) {
			select {
			case <-ctx.Done():
				return Submitted{}, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if _, err := a.customers.Handle(ctx, customer, es.Command[domain.CustomerCommand]{
			Body:        domain.AbandonOpening{ComplaintID: open.ID, At: a.now()},
			ComplaintID: open.ID, CausationID: id, IdempotencyKey: "abandon:" + open.ID, Actor: s.Actor,
		}); err != nil {
			return Submitted{}, err
		}
	}
}

// sealed is the submission as a command, its personal data sealed.
func (a *Intake) sealed(ctx context.Context, s Submission, customer, fp, id string) (domain.SubmitComplaint, error) {
	var sealErr error
	seal := func(v string) *complaintsv1.SealedValue {
		if sealErr != nil || v == "" {
			return nil
		}
		var out *complaintsv1.SealedValue
		out, sealErr = a.vault.Seal(ctx, customer, v)
		return out
	}
	cmd := domain.SubmitComplaint{
		ComplaintID: id, Reference: domain.ReferenceFor(id), CustomerID: customer,
		CustomerName: seal(s.CustomerName), CustomerEmail: seal(s.CustomerEmail), CustomerPhone: seal(s.CustomerPhone),
		Fingerprint: fp, Channel: s.Channel, Product: s.Product,
		Description: s.Description, DesiredOutcome: s.DesiredOutcome,
		DisputedAmountMinor: s.DisputedAmountMinor, Currency: s.Currency,
		Vulnerable: s.Vulnerable, VulnerabilityDetail: seal(s.VulnerabilityDetail),
		ReceivedAt: a.now(), Regime: a.regime,
	}
	return cmd, sealErr
}

// open records a new complaint.
func (a *Intake) open(ctx context.Context, cmd domain.SubmitComplaint, actor eventlog.Actor) (Submitted, error) {
	id := cmd.ComplaintID
	res, err := a.repo.Handle(ctx, id, es.Command[domain.ComplaintCommand]{
		Body: cmd, ComplaintID: id, CausationID: id, IdempotencyKey: id, Actor: actor,
	})
	if err != nil {
		return Submitted{}, err
	}
	return a.answer(Submitted{Complaint: res.State, Replayed: len(res.Events) == 0})
}

// repeat records submission id as a repeat contact on the open complaint.
func (a *Intake) repeat(ctx context.Context, openID, id string, s Submission) (Submitted, error) {
	res, err := a.repo.Handle(ctx, openID, es.Command[domain.ComplaintCommand]{
		Body:        domain.RecordRepeatContact{ComplaintID: openID, Channel: s.Channel, Said: s.Description, ContactedAt: a.now()},
		ComplaintID: openID, CausationID: id, IdempotencyKey: "repeat:" + id, Actor: s.Actor,
	})
	if err != nil {
		return Submitted{}, err
	}
	return a.answer(Submitted{Complaint: res.State, RepeatContact: true, Replayed: len(res.Events) == 0})
}

func (a *Intake) answer(out Submitted) (Submitted, error) {
	if a.tokens != nil {
		var err error
		if out.CustomerToken, err = a.tokens.Issue(out.Complaint.CustomerID, out.Complaint.ID); err != nil {
			return Submitted{}, err
		}
	}
	return out, nil
}

// closure returns the event that closed the complaint, if the log holds it
// closed (domain.Closure): the complaint's timeline, read for the events
// the rule looks at.
func (a *Intake) closure(ctx context.Context, complaintID string) (domain.Closing, bool, error) {
	events, err := a.log.ReadTimeline(ctx, complaintID)
	if err != nil {
		return domain.Closing{}, false, err
	}
	var timeline []domain.TimelineEvent
	for _, e := range events {
		if e.Type != closedType && e.Type != reopenedType {
			continue
		}
		m, err := es.Decode(e)
		if err != nil {
			return domain.Closing{}, false, err
		}
		timeline = append(timeline, domain.TimelineEvent{ID: e.ID, Event: m})
	}
	closed, ok := domain.Closure(timeline)
	return closed, ok, nil
}

var (
	closedType   = es.TypeOf(&complaintsv1.ComplaintClosed{})
	reopenedType = es.TypeOf(&complaintsv1.CaseReopened{})
)
