// Package app holds intake's use cases: submit a complaint, which may be a
// repeat contact on the customer's open complaint, erase a customer's
// personal data, keep the customer index up to date with closures and
// reopens (commands.go, customers.go); show a complaint's view and timeline
// across every service, and export what is held about a customer
// (queries.go).
package app

import (
	"context"
	"errors"
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
	// Forget destroys the customer's key (crypto-shredding).
	Forget(ctx context.Context, customerID string) error
	// KeyID is the id of the customer's current key; "" when there is none.
	KeyID(ctx context.Context, customerID string) (string, error)
}

// TokenIssuer issues the capability token that lets a customer act on their
// own complaint, and on no other.
type TokenIssuer interface {
	Issue(customerID, complaintID string) (string, error)
}

// Intake is the intake application.
type Intake struct {
	log            eventlog.Log
	vault          Vault
	tokens         TokenIssuer
	policy         domain.Policy
	fingerprintKey []byte
	repo           *es.Repository[domain.Complaint, domain.ComplaintCommand]
	customers      *es.Repository[domain.Customer, domain.CustomerCommand]
	regime         string
	now            func() time.Time
}

// Deps are what the application works with.
type Deps struct {
	Log   eventlog.Log
	Vault Vault
	// Tokens issues customer capability tokens; nil issues none (the
	// submission's answer then carries no customer_token).
	Tokens TokenIssuer
	Policy domain.Policy
	// FingerprintKey keys the fingerprints of customers' e-mail addresses
	// and phone numbers (HMAC-SHA-256); at least 32 bytes.
	FingerprintKey []byte
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
	if len(d.FingerprintKey) < 32 {
		return nil, errors.New("intake: the fingerprint key must be at least 32 bytes")
	}
	now := d.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Intake{
		log: d.Log, vault: d.Vault, tokens: d.Tokens, policy: d.Policy, fingerprintKey: d.FingerprintKey,
		regime: d.Regime, now: now,
		repo: &es.Repository[domain.Complaint, domain.ComplaintCommand]{
			Log: d.Log, Category: domain.Category, Service: ServiceName, Decider: domain.NewDecider(d.Policy), Metadata: d.Metadata,
			Cache: es.NewCache[domain.Complaint](es.DefaultCacheSize),
		},
		customers: &es.Repository[domain.Customer, domain.CustomerCommand]{
			Log: d.Log, Category: domain.CustomerCategory, Service: ServiceName,
			Decider: domain.NewCustomerDecider(d.Policy), Metadata: d.Metadata, MaxAttempts: 10,
			Cache: es.NewCache[domain.Customer](es.DefaultCacheSize),
		},
	}, nil
}
