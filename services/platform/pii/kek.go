package pii

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Key-encryption keys (KEKs) wrap the customers' keys in the bucket, so that
// whoever copies the bucket (a backup, a snapshot of the server's disk) holds
// nothing that opens personal data. A KEK comes from configuration: a file
// (PII_KEK_FILE) of lines "<id> <base64 of 32 bytes>", the current KEK first
// and older ones after it. A wrapped key names the KEK that wrapped it.
//
// Rotation: put a new KEK on the first line, keep the old ones below it,
// restart, and call Vault.Rewrap (complaints' intake does it at start); once
// it reports no key left under an old KEK, the old lines may be removed.

// wrappedVersion marks a stored key wrapped by a KEK: wrappedVersion, the
// KEK id's length (one byte), the KEK id, a 12-byte nonce and the AES-GCM
// ciphertext of the unwrapped value, authenticated with the bucket key.
const wrappedVersion = 2

// KEK is one key-encryption key.
type KEK struct {
	ID  string
	Key []byte
}

// KeyRing is the KEKs in use: the first wraps, all of them unwrap.
type KeyRing struct{ keks []KEK }

// NewKEK makes a random KEK whose id is the current UTC date and time.
func NewKEK() (KEK, error) {
	k := KEK{ID: time.Now().UTC().Format("20060102T150405Z"), Key: make([]byte, keySize)}
	if _, err := rand.Read(k.Key); err != nil {
		return KEK{}, err
	}
	return k, nil
}

// NewKeyRing returns a ring whose first KEK is current.
func NewKeyRing(keks ...KEK) (*KeyRing, error) {
	if len(keks) == 0 {
		return nil, errors.New("pii: a key ring needs a KEK")
	}
	seen := map[string]bool{}
	for _, k := range keks {
		if k.ID == "" || len(k.ID) > 255 || strings.ContainsAny(k.ID, " \t\n") {
			return nil, fmt.Errorf("pii: KEK id %q: 1 to 255 characters, no spaces", k.ID)
		}
		if len(k.Key) != keySize {
			return nil, fmt.Errorf("pii: KEK %s: %d bytes, want %d", k.ID, len(k.Key), keySize)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("pii: KEK %s listed twice", k.ID)
		}
		seen[k.ID] = true
	}
	return &KeyRing{keks: keks}, nil
}

// Current is the id of the KEK that wraps new keys.
func (r *KeyRing) Current() string { return r.keks[0].ID }

// ParseKeyRing reads "<id> <base64 key>" lines; blank lines and lines
// starting with # are skipped.
func ParseKeyRing(text string) (*KeyRing, error) {
	var keks []KEK
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, b64, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("pii: KEK line %d: want \"<id> <base64 key>\"", n+1)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("pii: KEK line %d: %w", n+1, err)
		}
		keks = append(keks, KEK{ID: id, Key: key})
	}
	return NewKeyRing(keks...)
}

// Format writes the ring in the form ParseKeyRing reads.
func (r *KeyRing) Format() string {
	var b strings.Builder
	b.WriteString("# Key-encryption keys of the customer-keys bucket: the first wraps, all unwrap.\n")
	for _, k := range r.keks {
		b.WriteString(k.ID + " " + base64.StdEncoding.EncodeToString(k.Key) + "\n")
	}
	return b.String()
}

// LoadKeyRing reads a ring from a file. With create, a missing file is
// created (mode 0600) with a new KEK, and created reports it.
func LoadKeyRing(path string, create bool) (r *KeyRing, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		k, err := NewKEK()
		if err != nil {
			return nil, false, err
		}
		r, _ := NewKeyRing(k)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, err
		}
		if err := os.WriteFile(path, []byte(r.Format()), 0o600); err != nil {
			return nil, false, fmt.Errorf("pii: write KEK file: %w", err)
		}
		return r, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pii: KEK file: %w", err)
	}
	r, err = ParseKeyRing(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("pii: %s: %w", path, err)
	}
	return r, false, nil
}

func (r *KeyRing) find(id string) (KEK, bool) {
	for _, k := range r.keks {
		if k.ID == id {
			return k, true
		}
	}
	return KEK{}, false
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wrap returns what the bucket stores for an unwrapped value.
func (v *Vault) wrap(name string, plain []byte) ([]byte, error) {
	if v.keks == nil {
		return plain, nil
	}
	k := v.keks.keks[0]
	aead, err := gcm(k.Key)
	if err != nil {
		return nil, err
	}
	out := append([]byte{wrappedVersion, byte(len(k.ID))}, k.ID...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, []byte(name)), nil
}

// unwrap returns the unwrapped value of a stored one. An unwrapped (version
// 1) value is still read, so that keys stored before KEKs were configured
// keep opening until Rewrap wraps them.
func (v *Vault) unwrap(name string, stored []byte) ([]byte, error) {
	if len(stored) == 0 || stored[0] != wrappedVersion {
		return stored, nil
	}
	if v.keks == nil {
		return nil, fmt.Errorf("pii: stored key %s is wrapped, and no KEK is configured (PII_KEK_FILE)", name)
	}
	if len(stored) < 2 || len(stored) < 2+int(stored[1]) {
		return nil, fmt.Errorf("pii: stored key %s has an unknown format", name)
	}
	id := string(stored[2 : 2+int(stored[1])])
	k, ok := v.keks.find(id)
	if !ok {
		return nil, fmt.Errorf("pii: stored key %s is wrapped by KEK %q, which is not configured", name, id)
	}
	aead, err := gcm(k.Key)
	if err != nil {
		return nil, err
	}
	rest := stored[2+len(id):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("pii: stored key %s has an unknown format", name)
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("pii: stored key %s does not unwrap with KEK %q", name, id)
	}
	return plain, nil
}

// wrappedBy names the KEK a stored value is wrapped by ("" if unwrapped).
func wrappedBy(stored []byte) string {
	if len(stored) < 2 || stored[0] != wrappedVersion || len(stored) < 2+int(stored[1]) {
		return ""
	}
	return string(stored[2 : 2+int(stored[1])])
}

// Rewrap wraps every stored key that is not wrapped by the current KEK with
// it: after a rotation, and for keys stored before KEKs were configured. It
// returns how many keys it rewrapped. A key changed or forgotten meanwhile is
// left to its new value. Rewrap is safe to run from several processes.
func (v *Vault) Rewrap(ctx context.Context) (int, error) {
	if v.keks == nil {
		return 0, errors.New("pii: rewrap: no KEK configured")
	}
	lister, err := v.kv.ListKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("pii: rewrap: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	n := 0
	for name := range lister.Keys() {
		e, err := v.kv.Get(ctx, name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("pii: rewrap: %w", err)
		}
		if wrappedBy(e.Value()) == v.keks.Current() {
			continue
		}
		plain, err := v.unwrap(name, e.Value())
		if err != nil {
			return n, err
		}
		wrapped, err := v.wrap(name, plain)
		if err != nil {
			return n, err
		}
		if _, err := v.kv.Update(ctx, name, wrapped, e.Revision()); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // changed meanwhile: its new value was wrapped by its writer
			}
			return n, fmt.Errorf("pii: rewrap: %w", err)
		}
		n++
	}
	return n, nil
}

// Rotate returns the ring with a new current KEK in front of the existing
// ones, which stay to unwrap until Rewrap has run.
func (r *KeyRing) Rotate() (*KeyRing, error) {
	k, err := NewKEK()
	if err != nil {
		return nil, err
	}
	if _, taken := r.find(k.ID); taken {
		k.ID += "-" + fmt.Sprint(len(r.keks))
	}
	return NewKeyRing(append([]KEK{k}, r.keks...)...)
}
