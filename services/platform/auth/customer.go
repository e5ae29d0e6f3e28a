package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// CustomerKeyFile is the name of the customer-token signing key in the data
// directory when no key is configured.
const CustomerKeyFile = "customer-token-key.json"

// Claims of a customer capability token.
const (
	customerIssuer   = "complaintflow/customer"
	customerAudience = "complaintflow"
	complaintClaim   = "complaint_id"
)

// DefaultCustomerTokenTTL is how long a customer capability token opens its
// complaint: long enough for follow-up surveys and reopenings.
const DefaultCustomerTokenTTL = 180 * 24 * time.Hour

// CustomerTokens issues and verifies customer capability tokens: JWTs
// signed with an Ed25519 key that name the customer (sub) and the one
// complaint they open (complaint_id). Verifying needs no lookup. Intake
// issues one on submission and returns it to the intake system, which hands
// it to the customer.
type CustomerTokens struct {
	private jwk.Key
	public  jwk.Key
	ttl     time.Duration
	now     func() time.Time
}

// NewCustomerTokens signs with key; tokens live for ttl (zero:
// DefaultCustomerTokenTTL).
func NewCustomerTokens(key ed25519.PrivateKey, ttl time.Duration) (*CustomerTokens, error) {
	private, err := jwk.Import(key)
	if err != nil {
		return nil, fmt.Errorf("customer token key: %w", err)
	}
	public, err := jwk.PublicKeyOf(private)
	if err != nil {
		return nil, fmt.Errorf("customer token key: %w", err)
	}
	if ttl <= 0 {
		ttl = DefaultCustomerTokenTTL
	}
	return &CustomerTokens{private: private, public: public, ttl: ttl, now: time.Now}, nil
}

// LoadOrCreateCustomerTokens signs with the key in path (an Ed25519 private
// JWK), generating it (file mode 0600) when the file does not exist.
// Processes starting together on one data directory end up with the same
// key.
func LoadOrCreateCustomerTokens(path string, ttl time.Duration) (*CustomerTokens, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, gerr
		}
		key, ierr := jwk.Import(priv)
		if ierr != nil {
			return nil, ierr
		}
		out, merr := json.Marshal(key)
		if merr != nil {
			return nil, merr
		}
		if err := createFileOnce(path, out); err != nil {
			return nil, fmt.Errorf("customer token key %s: %w", path, err)
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("customer token key: %w", err)
	}
	key, err := jwk.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("customer token key %s: %w", path, err)
	}
	var priv ed25519.PrivateKey
	if err := jwk.Export(key, &priv); err != nil {
		return nil, fmt.Errorf("customer token key %s: not an Ed25519 private key: %w", path, err)
	}
	return NewCustomerTokens(priv, ttl)
}

// Issue returns a token that lets customerID act on complaintID only.
func (c *CustomerTokens) Issue(customerID, complaintID string) (string, error) {
	if customerID == "" || complaintID == "" {
		return "", errors.New("a customer token needs a customer id and a complaint id")
	}
	now := c.now()
	tok, err := jwt.NewBuilder().
		Issuer(customerIssuer).
		Audience([]string{customerAudience}).
		Subject(customerID).
		Claim(complaintClaim, complaintID).
		IssuedAt(now).
		Expiration(now.Add(c.ttl)).
		Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), c.private))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}

// Verify implements Verifier: a customer principal for a valid token.
func (c *CustomerTokens) Verify(_ context.Context, token string) (Principal, error) {
	tok, err := jwt.ParseString(token,
		jwt.WithKey(jwa.EdDSA(), c.public),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(c.now)),
		jwt.WithIssuer(customerIssuer),
		jwt.WithAudience(customerAudience),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim(complaintClaim),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("customer token: %w", err)
	}
	sub, _ := tok.Subject()
	var complaint string
	if err := tok.Get(complaintClaim, &complaint); err != nil || complaint == "" || sub == "" {
		return Principal{}, errors.New("customer token: no customer or complaint")
	}
	return Principal{Subject: sub, Roles: []Role{RoleCustomer}, ComplaintID: complaint}, nil
}
