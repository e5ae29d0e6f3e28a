package app

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/pii"
)

// Step is one event of a complaint's timeline.
type Step struct {
	Event   eventlog.RecordedEvent
	Message proto.Message
}

// ErrComplaintNotFound is returned for an unknown complaint.
var ErrComplaintNotFound = decider.NotFound("complaint not found")

// ErasedText is how personal data whose key was destroyed reads.
const ErasedText = "[erased]"

// Timeline returns every step of a complaint in log order, across the
// streams of every service (complaint-, case-, clock-, redress-,
// followup-<id>). A non-zero asOf keeps only the steps recorded at or before
// it: the complaint as it stood then.
func (a *Intake) Timeline(ctx context.Context, complaintID string, asOf time.Time) ([]Step, error) {
	if !eventlog.ValidID(complaintID) {
		return nil, ErrComplaintNotFound
	}
	events, err := a.log.ReadTimeline(ctx, complaintID)
	if err != nil {
		return nil, err
	}
	steps := make([]Step, 0, len(events))
	for _, e := range events {
		if !asOf.IsZero() && e.Metadata.RecordedAt.After(asOf) {
			continue
		}
		m, err := es.Decode(e)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Event: e, Message: m})
	}
	if len(steps) == 0 {
		return nil, ErrComplaintNotFound
	}
	return steps, nil
}

// View returns the complaint's view, folded from its timeline (as of asOf
// when it is not zero).
func (a *Intake) View(ctx context.Context, complaintID string, asOf time.Time) (domain.View, error) {
	steps, err := a.Timeline(ctx, complaintID, asOf)
	if err != nil {
		return domain.View{}, err
	}
	var v domain.View
	for _, s := range steps {
		v = domain.EvolveView(v, s.Message)
	}
	if !v.Found() {
		return v, ErrComplaintNotFound
	}
	return v, nil
}

// Personal is a complaint's personal data, opened; each value reads
// "[erased]" once the customer's key is destroyed.
type Personal struct {
	Name, Email, Phone, VulnerabilityDetail string
	Erased                                  bool
}

// OpenPersonalData opens the sealed values of a view.
func (a *Intake) OpenPersonalData(ctx context.Context, v domain.View) (Personal, error) {
	var p Personal
	for _, f := range []struct {
		sealed *complaintsv1.SealedValue
		into   *string
	}{{v.CustomerName, &p.Name}, {v.CustomerEmail, &p.Email}, {v.CustomerPhone, &p.Phone}, {v.VulnerabilityDetail, &p.VulnerabilityDetail}} {
		if f.sealed == nil {
			continue
		}
		s, err := a.vault.Open(ctx, f.sealed)
		if errors.Is(err, pii.ErrForgotten) {
			s, p.Erased = ErasedText, true
		} else if err != nil {
			return Personal{}, err
		}
		*f.into = s
	}
	return p, nil
}

// RepeatContact is one repeat contact as a subject access export shows it.
type RepeatContact struct {
	Channel, Said string
	ContactedAt   time.Time
}

// HeldComplaint is one complaint of a subject access export.
type HeldComplaint struct {
	View           domain.View
	Personal       Personal
	RepeatContacts []RepeatContact
}

// CustomerData is what intake holds about a customer.
type CustomerData struct {
	CustomerID string
	Erased     bool
	Complaints []HeldComplaint
}

// PersonalData exports what is held about a customer (subject access): each
// of their complaints, with its personal data opened while the customer's
// key exists.
func (a *Intake) PersonalData(ctx context.Context, customerID string) (CustomerData, error) {
	if !eventlog.ValidID(customerID) {
		return CustomerData{}, domain.ErrUnknownCustomer
	}
	c, _, err := a.customers.Load(ctx, customerID)
	if errors.Is(err, es.ErrNotFound) || (err == nil && c.Status == domain.UnknownCustomer) {
		return CustomerData{}, domain.ErrUnknownCustomer
	}
	if err != nil {
		return CustomerData{}, err
	}
	out := CustomerData{CustomerID: customerID, Erased: c.Status == domain.ErasedCustomer}
	for _, id := range c.ComplaintIDs() {
		steps, err := a.Timeline(ctx, id, time.Time{})
		if errors.Is(err, ErrComplaintNotFound) {
			continue
		}
		if err != nil {
			return CustomerData{}, err
		}
		var held HeldComplaint
		for _, s := range steps {
			held.View = domain.EvolveView(held.View, s.Message)
			if r, ok := s.Message.(*complaintsv1.RepeatContactRecorded); ok {
				held.RepeatContacts = append(held.RepeatContacts, RepeatContact{Channel: r.Channel, Said: r.Said, ContactedAt: r.ContactedAt.AsTime()})
			}
		}
		if held.Personal, err = a.OpenPersonalData(ctx, held.View); err != nil {
			return CustomerData{}, err
		}
		out.Complaints = append(out.Complaints, held)
	}
	return out, nil
}
