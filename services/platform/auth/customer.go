package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
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

// CustomerPublicKeyFile is where the public key of the signing key in
// keyFile is written, beside it: customer-token-key.json gives
// customer-token-key.pub.json.
func CustomerPublicKeyFile(keyFile string) string {
	if base, ok := strings.CutSuffix(keyFile, ".json"); ok {
		return base + ".pub.json"
	}
	return keyFile + ".pub"
}

// CustomerVerifier verifies customer capability tokens with the public key
// only: it cannot issue one. Every process but intake's holds this, never
// the signing key.
type CustomerVerifier struct {
	mu     sync.Mutex
	public jwk.Key // nil until the key file is there (see LoadCustomerVerifier)
	path   string
	now    func() time.Time
}

// NewCustomerVerifier verifies with an Ed25519 public key.
func NewCustomerVerifier(key ed25519.PublicKey) (*CustomerVerifier, error) {
	public, err := jwk.Import(key)
	if err != nil {
		return nil, fmt.Errorf("customer token public key: %w", err)
	}
	return &CustomerVerifier{public: public, now: time.Now}, nil
}

// LoadCustomerVerifier verifies with the public key in path (an Ed25519
// public JWK, written by LoadOrCreateCustomerTokens). When the file is not
// there yet (a process starting before intake generated the key pair, when
// no customer token can exist), it is read at the first token to verify.
func LoadCustomerVerifier(path string) (*CustomerVerifier, error) {
	v := &CustomerVerifier{path: path, now: time.Now}
	if _, err := v.key(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return v, nil
}

func (v *CustomerVerifier) key() (jwk.Key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.public != nil {
		return v.public, nil
	}
	data, err := os.ReadFile(v.path)
	if err != nil {
		return nil, fmt.Errorf("customer token public key: %w", err)
	}
	key, err := jwk.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("customer token public key %s: %w", v.path, err)
	}
	var pub ed25519.PublicKey
	if err := jwk.Export(key, &pub); err != nil {
		return nil, fmt.Errorf("customer token public key %s: not an Ed25519 public key: %w", v.path, err)
	}
	if v.public, err = jwk.Import(pub); err != nil {
		return nil, err
	}
	return v.public, nil
}

// CustomerTokens issues and verifies customer capability tokens: JWTs
// signed with an Ed25519 key that name the customer (sub) and the one
// complaint they open (complaint_id). Verifying needs no lookup. Intake
// issues one on submission and returns it to the intake system, which hands
// it to the customer; only intake's process holds it.
type CustomerTokens struct {
	*CustomerVerifier
	private jwk.Key
	ttl     time.Duration
}

// NewCustomerTokens signs with key; tokens live for ttl (zero:
// DefaultCustomerTokenTTL).
func NewCustomerTokens(key ed25519.PrivateKey, ttl time.Duration) (*CustomerTokens, error) {
	private, err := jwk.Import(key)
	if err != nil {
		return nil, fmt.Errorf("customer token key: %w", err)
	}
	v, err := NewCustomerVerifier(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = DefaultCustomerTokenTTL
	}
	return &CustomerTokens{CustomerVerifier: v, private: private, ttl: ttl}, nil
}

// LoadOrCreateCustomerTokens signs with the key in path (an Ed25519 private
// JWK), generating it (file mode 0600) when the file does not exist, and
// writes its public key beside it (CustomerPublicKeyFile, mode 0644) for
// the processes that only verify. Processes starting together on one data
// directory end up with the same key.
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
	if err := writePublicKey(CustomerPublicKeyFile(path), priv.Public().(ed25519.PublicKey)); err != nil {
		return nil, fmt.Errorf("customer token public key: %w", err)
	}
	return NewCustomerTokens(priv, ttl)
}

// writePublicKey writes the public JWK to path unless the file already
// holds it: the signing key is the source of truth, so a stale public key
// (the signing key was replaced) is overwritten.
func writePublicKey(path string, pub ed25519.PublicKey) error {
	key, err := jwk.Import(pub)
	if err != nil {
		return err
	}
	out, err := json.Marshal(key)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, out) {
		return nil
	}
	tmp, err := writeTemp(path, out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
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
func (v *CustomerVerifier) Verify(_ context.Context, token string) (Principal, error) {
	public, err := v.key()
	if err != nil {
		return Principal{}, fmt.Errorf("customer token: %w", err)
	}
	tok, err := jwt.ParseString(token,
		jwt.WithKey(jwa.EdDSA(), public),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(v.now)),
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
