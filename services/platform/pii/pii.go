// Package pii seals customers' personal data with a key of their own, so that
// erasing the key erases the person (crypto-shredding).
//
// The event log is append-only: a name or an e-mail address written into an
// event can never be removed from it. Intake therefore never writes personal
// data in clear. It seals each value with AES-256-GCM under a random key that
// belongs to one customer and lives outside the log, in a JetStream key-value
// bucket. Forget deletes that key: every value ever sealed for the customer
// becomes unreadable at once, in every copy of the log, while the events
// themselves, and every count and report built from them, stay intact.
//
// A sealed value (complaintsv1.SealedValue) is self-describing: its key id is
// "<customer id>#<key generation>" and its ciphertext is the 12-byte nonce
// followed by the GCM ciphertext and tag, authenticated together with the key
// id. The generation tells a value sealed under a forgotten key from one
// sealed under the key the customer got afterwards: a customer who comes back
// after being forgotten gets a new key, and the old values still read as
// forgotten rather than as corrupt.
//
// With WithKEKs, each key is stored wrapped by a key-encryption key from
// configuration (see KeyRing): the bucket, or a backup of it, opens nothing
// without that KEK.
//
// Keys are cached in memory. A Vault watches the bucket and drops a key from
// its cache as soon as another process forgets it; should the watch be
// interrupted, no cached key is used for longer than the cache TTL (one
// minute by default) without being read again from the bucket.
//
// Forget purges the key from the bucket. JetStream unlinks a purged message
// from its stream at once but may keep its bytes in the stream's block files
// until the block is compacted, and backups of the bucket taken before Forget
// still hold the key: keep the server's storage encrypted and the bucket's
// backups shorter-lived than the erasure deadline.
package pii

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// DefaultBucket is the key-value bucket that holds the customers' keys.
const DefaultBucket = "customer-keys"

// DefaultCacheTTL is how long a key read from the bucket is used from memory
// before it is read again.
const DefaultCacheTTL = time.Minute

var (
	// ErrForgotten is returned by Open for a value whose customer has been
	// forgotten: the key that sealed it no longer exists.
	ErrForgotten = errors.New("pii: customer forgotten, personal data erased")
	// ErrInvalid is returned by Open for a value that is malformed or does not
	// authenticate (altered, or sealed for another customer).
	ErrInvalid = errors.New("pii: sealed value is malformed or has been altered")
	// ErrNoCustomer is returned by Seal without a customer id.
	ErrNoCustomer = errors.New("pii: customer id required")
)

const (
	keySize        = 32 // AES-256
	generationSize = 8
	valueVersion   = 1
	// A stored key is valueVersion, the generation and the key.
	storedSize = 1 + generationSize + keySize
	// keyIDSep separates the customer id from the key generation in a key id.
	keyIDSep = "#"
)

// Option configures a Vault.
type Option func(*Vault)

// WithCacheTTL sets how long a key is used from memory before it is read again
// from the bucket. Zero or less disables the cache.
func WithCacheTTL(d time.Duration) Option { return func(v *Vault) { v.ttl = d } }

// WithKEKs wraps every key stored in the bucket with the ring's current
// key-encryption key, and unwraps with whichever of the ring's keys wrapped
// it: a copy of the bucket alone opens nothing.
func WithKEKs(r *KeyRing) Option { return func(v *Vault) { v.keks = r } }

// Vault seals and opens customers' personal data. It is safe for concurrent
// use, and several Vaults (in several processes) may share one bucket.
type Vault struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	// keks wrap the keys in the bucket; nil stores them unwrapped.
	keks *KeyRing

	// cache maps a bucket key to its *cachedKey.
	cache sync.Map
	// forgotten maps a bucket key to the revision (uint64) of the last delete
	// or purge the watch saw for it, for as long as a read racing with it
	// could still put a stale key in the cache.
	forgotten sync.Map

	stop     context.CancelFunc
	watching chan struct{}
}

type cachedKey struct {
	generation string
	aead       cipher.AEAD
	revision   uint64
	loaded     time.Time
}

type tombstone struct {
	revision uint64
	seen     time.Time
}

// BucketConfig is the key bucket as the operator provisions it (see package
// provision): file storage, one value per key.
func BucketConfig(bucket string) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "one AES-256 key per customer; deleting a key erases the customer's personal data",
		History:     1,
		Storage:     jetstream.FileStorage,
	}
}

// NewVault opens the bucket the operator provisioned (it never creates it)
// and starts watching it for forgotten keys. The watch ends with Close or
// when the JetStream connection closes.
func NewVault(ctx context.Context, js jetstream.JetStream, bucket string, opts ...Option) (*Vault, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("pii: key bucket %s (run complaintctl provision as the operator): %w", bucket, err)
	}
	v := &Vault{kv: kv, ttl: DefaultCacheTTL, watching: make(chan struct{})}
	for _, o := range opts {
		o(v)
	}
	wctx, cancel := context.WithCancel(context.Background())
	w, err := kv.WatchAll(wctx, jetstream.UpdatesOnly(), jetstream.MetaOnly())
	if err != nil {
		cancel()
		return nil, fmt.Errorf("pii: watch key bucket %s: %w", bucket, err)
	}
	v.stop = cancel
	go v.watch(wctx, w)
	return v, nil
}

// Close stops watching the bucket. Open and Seal keep working, reading keys
// from the bucket once the cache TTL has passed.
func (v *Vault) Close() error {
	v.stop()
	<-v.watching
	return nil
}

// Seal encrypts plaintext with the customer's key, creating the key on the
// customer's first value. An empty plaintext seals to nil.
func (v *Vault) Seal(ctx context.Context, customerID, plaintext string) (*complaintsv1.SealedValue, error) {
	if plaintext == "" {
		return nil, nil
	}
	if customerID == "" {
		return nil, ErrNoCustomer
	}
	k, err := v.currentKey(ctx, customerID)
	if err != nil {
		return nil, err
	}
	keyID := customerID + keyIDSep + k.generation
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: nonce: %w", err)
	}
	return &complaintsv1.SealedValue{
		KeyId:      keyID,
		Ciphertext: k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(keyID)),
	}, nil
}

// Open decrypts a sealed value. A nil or empty value opens to "". It returns
// ErrForgotten when the customer's key has been forgotten and ErrInvalid when
// the value is malformed or altered.
func (v *Vault) Open(ctx context.Context, sealed *complaintsv1.SealedValue) (string, error) {
	if sealed == nil || (sealed.GetKeyId() == "" && len(sealed.GetCiphertext()) == 0) {
		return "", nil
	}
	customerID, generation, ok := splitKeyID(sealed.GetKeyId())
	if !ok {
		return "", fmt.Errorf("%w: key id %q", ErrInvalid, sealed.GetKeyId())
	}
	k, err := v.keyForOpen(ctx, customerID, generation)
	if err != nil {
		return "", err
	}
	ct := sealed.GetCiphertext()
	if len(ct) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", fmt.Errorf("%w: ciphertext too short", ErrInvalid)
	}
	n := k.aead.NonceSize()
	pt, err := k.aead.Open(nil, ct[:n], ct[n:], []byte(sealed.GetKeyId()))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return string(pt), nil
}

// Forget erases the customer's key: every value sealed for the customer so
// far opens to ErrForgotten from then on, in this process at once and in
// other processes as soon as their watch sees it (within the cache TTL at
// worst). Forgetting a customer without a key is not an error. The customer's
// next value is sealed under a new key.
func (v *Vault) Forget(ctx context.Context, customerID string) error {
	if customerID == "" {
		return ErrNoCustomer
	}
	name := bucketKey(customerID)
	if err := v.kv.Purge(ctx, name); err != nil {
		return fmt.Errorf("pii: forget: %w", err)
	}
	v.cache.Delete(name)
	return nil
}

// KeyID is the id of the customer's current key, "<customer id>#<generation>",
// as the values sealed under it name it; "" when the customer has no key
// (never sealed anything, or forgotten). It creates no key. An erasure
// records it, so the log tells which generation was destroyed.
func (v *Vault) KeyID(ctx context.Context, customerID string) (string, error) {
	if customerID == "" {
		return "", ErrNoCustomer
	}
	k, err := v.load(ctx, bucketKey(customerID))
	if errors.Is(err, ErrForgotten) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return customerID + keyIDSep + k.generation, nil
}

// currentKey returns the customer's key, creating it if the customer has none.
func (v *Vault) currentKey(ctx context.Context, customerID string) (*cachedKey, error) {
	name := bucketKey(customerID)
	if k := v.cached(name); k != nil {
		return k, nil
	}
	for attempt := 0; ; attempt++ {
		k, err := v.load(ctx, name)
		if err == nil {
			return k, nil
		}
		if !errors.Is(err, ErrForgotten) {
			return nil, err
		}
		// No key yet: create one. Of two first seals racing, one creates and
		// the other finds the key exists and reads it.
		plain := make([]byte, storedSize)
		plain[0] = valueVersion
		if _, err := rand.Read(plain[1:]); err != nil {
			return nil, fmt.Errorf("pii: new key: %w", err)
		}
		value, err := v.wrap(name, plain)
		if err != nil {
			return nil, err
		}
		rev, err := v.kv.Create(ctx, name, value)
		if errors.Is(err, jetstream.ErrKeyExists) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pii: new key for customer: %w", err)
		}
		return v.remember(name, plain, rev)
	}
}

// keyForOpen returns the key of the given generation, or ErrForgotten when
// the customer's key is gone or has been replaced.
func (v *Vault) keyForOpen(ctx context.Context, customerID, generation string) (*cachedKey, error) {
	name := bucketKey(customerID)
	if k := v.cached(name); k != nil && k.generation == generation {
		return k, nil
	}
	k, err := v.load(ctx, name)
	if err != nil {
		return nil, err
	}
	if k.generation != generation {
		return nil, ErrForgotten
	}
	return k, nil
}

func (v *Vault) cached(name string) *cachedKey {
	c, ok := v.cache.Load(name)
	if !ok {
		return nil
	}
	k := c.(*cachedKey)
	if time.Since(k.loaded) >= v.ttl {
		v.cache.CompareAndDelete(name, c)
		return nil
	}
	return k
}

// load reads a key from the bucket; ErrForgotten when there is none.
func (v *Vault) load(ctx context.Context, name string) (*cachedKey, error) {
	e, err := v.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrForgotten
	}
	if err != nil {
		return nil, fmt.Errorf("pii: read key: %w", err)
	}
	plain, err := v.unwrap(name, e.Value())
	if err != nil {
		return nil, err
	}
	return v.remember(name, plain, e.Revision())
}

// remember decodes a stored key and caches it.
func (v *Vault) remember(name string, value []byte, revision uint64) (*cachedKey, error) {
	if len(value) != storedSize || value[0] != valueVersion {
		return nil, fmt.Errorf("pii: stored key %s has an unknown format", name)
	}
	block, err := aes.NewCipher(value[1+generationSize:])
	if err != nil {
		return nil, fmt.Errorf("pii: stored key %s: %w", name, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: stored key %s: %w", name, err)
	}
	k := &cachedKey{
		generation: hex.EncodeToString(value[1 : 1+generationSize]),
		aead:       aead, revision: revision, loaded: time.Now(),
	}
	if v.ttl > 0 {
		v.cache.Store(name, k)
		// A purge the watch saw while the key was being read wins: drop it.
		if t, ok := v.forgotten.Load(name); ok && t.(tombstone).revision > revision {
			v.cache.CompareAndDelete(name, k)
		}
	}
	return k, nil
}

// watch drops cached keys that other processes forget or replace.
func (v *Vault) watch(ctx context.Context, w jetstream.KeyWatcher) {
	defer close(v.watching)
	defer func() { _ = w.Stop() }()
	sweep := time.NewTicker(max(v.ttl, time.Second))
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue
			}
			name, rev := e.Key(), e.Revision()
			if op := e.Operation(); op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge {
				v.forgotten.Store(name, tombstone{revision: rev, seen: time.Now()})
			}
			if c, ok := v.cache.Load(name); ok && c.(*cachedKey).revision < rev {
				v.cache.CompareAndDelete(name, c)
			}
		case now := <-sweep.C:
			v.cache.Range(func(name, c any) bool {
				if now.Sub(c.(*cachedKey).loaded) >= v.ttl {
					v.cache.CompareAndDelete(name, c)
				}
				return true
			})
			v.forgotten.Range(func(name, t any) bool {
				if now.Sub(t.(tombstone).seen) >= v.ttl {
					v.forgotten.CompareAndDelete(name, t)
				}
				return true
			})
		}
	}
}

// bucketKey is the bucket key of a customer: customer ids may hold any
// character, bucket keys only a few.
func bucketKey(customerID string) string {
	return "c." + base64.RawURLEncoding.EncodeToString([]byte(customerID))
}

// splitKeyID splits "<customer id>#<generation>".
func splitKeyID(keyID string) (customerID, generation string, ok bool) {
	i := strings.LastIndex(keyID, keyIDSep)
	if i <= 0 {
		return "", "", false
	}
	customerID, generation = keyID[:i], keyID[i+len(keyIDSep):]
	if len(generation) != 2*generationSize {
		return "", "", false
	}
	if _, err := hex.DecodeString(generation); err != nil {
		return "", "", false
	}
	return customerID, generation, true
}

// secretSize is the size of a service secret (Secret).
const secretSize = 32

// Secret returns a random 32-byte secret named name, created on first use
// and kept in the bucket beside the customers' keys, wrapped by the same
// KEKs (and rewrapped with them). Intake keys the fingerprints of
// customers' e-mail addresses and phone numbers with one, so a fingerprint
// can be recomputed by every replica and checked against a guessed address
// by none without the key. The secret is never forgotten by Forget; names
// live apart from customer ids in the bucket.
func (v *Vault) Secret(ctx context.Context, name string) ([]byte, error) {
	if name == "" {
		return nil, errors.New("pii: secret name required")
	}
	key := "s." + base64.RawURLEncoding.EncodeToString([]byte(name))
	for attempt := 0; ; attempt++ {
		e, err := v.kv.Get(ctx, key)
		if err == nil {
			plain, err := v.unwrap(key, e.Value())
			if err != nil {
				return nil, err
			}
			if len(plain) != 1+secretSize || plain[0] != valueVersion {
				return nil, fmt.Errorf("pii: stored secret %s has an unknown format", key)
			}
			return plain[1:], nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("pii: read secret: %w", err)
		}
		plain := make([]byte, 1+secretSize)
		plain[0] = valueVersion
		if _, err := rand.Read(plain[1:]); err != nil {
			return nil, fmt.Errorf("pii: new secret: %w", err)
		}
		value, err := v.wrap(key, plain)
		if err != nil {
			return nil, err
		}
		_, err = v.kv.Create(ctx, key, value)
		if errors.Is(err, jetstream.ErrKeyExists) && attempt < 5 {
			continue // another process made it first: read theirs
		}
		if err != nil {
			return nil, fmt.Errorf("pii: new secret: %w", err)
		}
		return plain[1:], nil
	}
}
