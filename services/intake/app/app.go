// Package app holds intake's use cases: submit a complaint (commands.go),
// show its current view and its timeline across every service (queries.go).
package app

import (
	"context"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// ServiceName is how intake signs its events.
const ServiceName = "intake"

// Vault seals personal data under the customer's key and opens it again;
// an erased customer's data opens with pii.ErrForgotten.
type Vault interface {
	Seal(ctx context.Context, customerID, plaintext string) (*complaintsv1.SealedValue, error)
	Open(ctx context.Context, sealed *complaintsv1.SealedValue) (string, error)
}

// TokenIssuer issues the capability token that lets a customer act on their
// own complaint, and on no other.
type TokenIssuer interface {
	Issue(customerID, complaintID string) (string, error)
}

// Intake is the intake application.
type Intake struct {
	log    eventlog.Log
	vault  Vault
	tokens TokenIssuer
	repo   *es.Repository[domain.Complaint, domain.ComplaintCommand]
	regime string
	now    func() time.Time
}

// Deps are what the application works with.
type Deps struct {
	Log   eventlog.Log
	Vault Vault
	// Tokens issues customer capability tokens; nil issues none (the
	// submission's answer then carries no customer_token).
	Tokens TokenIssuer
	Policy domain.Policy
	// Regime names the clocks that apply; "" for the policy's default.
	Regime string
	// Metadata adds to every event's metadata (trace context).
	Metadata func(context.Context, *eventlog.Metadata)
	// Now is the clock; nil for the system clock.
	Now func() time.Time
}

// New builds the intake application.
func New(d Deps) (*Intake, error) {
	if err := d.Policy.CheckRegime(d.Regime); err != nil {
		return nil, err
	}
	now := d.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Intake{
		log: d.Log, vault: d.Vault, tokens: d.Tokens, regime: d.Regime, now: now,
		repo: &es.Repository[domain.Complaint, domain.ComplaintCommand]{
			Log: d.Log, Category: domain.Category, Service: ServiceName, Decider: domain.NewDecider(d.Policy), Metadata: d.Metadata,
		},
	}, nil
}
