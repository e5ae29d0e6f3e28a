package pii

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
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
// Rotation: put a new KEK on the first line, keep the old ones below it
// (RotateKeyRingFile, which replaces the file atomically), restart, and call
// Vault.Rewrap (complaints' intake does it at start); once its census shows
// no key left under an old KEK (KeyRing.Retired), the old lines may be
// removed.

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

// LoadKeyRing reads a ring from a file.
func LoadKeyRing(path string) (*KeyRing, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pii: KEK file: %w", err)
	}
	r, err := ParseKeyRing(string(b))
	if err != nil {
		return nil, fmt.Errorf("pii: %s: %w", path, err)
	}
	return r, nil
}

// CreateKeyRingFile writes a new file (mode 0600) holding one new KEK, and
// refuses to replace a file that exists: a KEK file is never overwritten
// by a fresh one, or every key it wraps would be lost.
func CreateKeyRingFile(path string) (*KeyRing, error) {
	k, err := NewKEK()
	if err != nil {
		return nil, err
	}
	r, _ := NewKeyRing(k)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("pii: KEK file: %w", err)
	}
	if err := writeFileAtomic(path, []byte(r.Format()), replaceNever); err != nil {
		return nil, err
	}
	return r, nil
}

// WriteKeyRingFile replaces the ring in path, atomically: the new ring is
// written to a temporary file beside it, flushed to disk and renamed over
// the old one, so a failure at any point leaves the old file whole.
func WriteKeyRingFile(path string, r *KeyRing) error {
	return writeFileAtomic(path, []byte(r.Format()), replaceExisting)
}

// RotateKeyRingFile puts a new KEK first in the file at path, keeping every
// KEK it held to unwrap the keys they wrap until Vault.Rewrap has moved them
// (see RetireKEKs). The file is replaced atomically.
func RotateKeyRingFile(path string) (*KeyRing, error) {
	r, err := LoadKeyRing(path)
	if err != nil {
		return nil, err
	}
	if r, err = r.Rotate(); err != nil {
		return nil, err
	}
	if err := WriteKeyRingFile(path, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Without returns the ring without the given KEKs. The current KEK cannot
// be removed.
func (r *KeyRing) Without(ids ...string) (*KeyRing, error) {
	drop := map[string]bool{}
	for _, id := range ids {
		if id == r.Current() {
			return nil, fmt.Errorf("pii: KEK %s is the current one", id)
		}
		if _, ok := r.find(id); !ok {
			return nil, fmt.Errorf("pii: KEK %s is not in the ring", id)
		}
		drop[id] = true
	}
	var keep []KEK
	for _, k := range r.keks {
		if !drop[k.ID] {
			keep = append(keep, k)
		}
	}
	return NewKeyRing(keep...)
}

// IDs are the ring's KEK ids, the current one first.
func (r *KeyRing) IDs() []string {
	out := make([]string, len(r.keks))
	for i, k := range r.keks {
		out[i] = k.ID
	}
	return out
}

// Retired are the ring's KEKs other than the current one that wrap no value
// in the census: the ones that may leave the file.
func (r *KeyRing) Retired(c KeyCensus) []string {
	var out []string
	for _, id := range r.IDs()[1:] {
		if c.ByKEK[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

type replacing int

const (
	replaceNever replacing = iota
	replaceExisting
)

// syncFile flushes a file to disk; a test makes it fail.
var syncFile = (*os.File).Sync

// writeFileAtomic writes data to a temporary file beside path, flushes it,
// and moves it to path (renaming over an existing file, or linking only
// where none exists), then flushes the directory. Until the move the old
// file is untouched; after it, the new one is on disk.
func writeFileAtomic(path string, data []byte, mode replacing) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("pii: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("pii: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("pii: write %s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("pii: write %s: flush to disk: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pii: write %s: %w", path, err)
	}
	switch mode {
	case replaceNever:
		// A link fails if path exists, where a rename would replace it.
		if err := os.Link(tmp.Name(), path); err != nil {
			return fmt.Errorf("pii: write %s: %w", path, err)
		}
		_ = os.Remove(tmp.Name())
	default:
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("pii: write %s: %w", path, err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
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

// unwrap returns the unwrapped value of a stored one. A value stored
// unwrapped (version 1) is read only by a vault without KEKs: with KEKs it
// is refused (ErrUnwrapped), for whoever may write to the bucket could
// otherwise plant a key of their own choosing for a customer, and every
// value sealed for them afterwards would open with it.
func (v *Vault) unwrap(name string, stored []byte) ([]byte, error) {
	if len(stored) == 0 || stored[0] != wrappedVersion {
		if v.keks != nil {
			return nil, fmt.Errorf("%w: %s", ErrUnwrapped, name)
		}
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

// ErrUnwrapped is returned for a stored key that no KEK wraps, read by a
// vault with KEKs: a key stored before KEKs were configured, or written by
// someone without one. Vault.Census reports them; once their origin is
// known, Vault.WrapUnwrapped wraps them.
var ErrUnwrapped = errors.New("pii: stored key is not wrapped by a key-encryption key, and is refused " +
	"(complaintctl kek status lists them; complaintctl kek rewrap -unwrapped wraps them once their origin is known)")

// KeyCensus is what a pass over the bucket found: how many stored values
// (customers' keys and service secrets) each KEK wraps, and which are
// stored unwrapped.
type KeyCensus struct {
	// Rewrapped is how many values the pass wrapped with the current KEK.
	Rewrapped int
	// ByKEK counts the values each KEK wraps, by KEK id, after the pass.
	ByKEK map[string]int
	// Unwrapped are the bucket keys of the values no KEK wraps, after the
	// pass. A vault with KEKs refuses them (ErrUnwrapped).
	Unwrapped []string
}

// Total is how many values the census counted.
func (c KeyCensus) Total() int {
	n := len(c.Unwrapped)
	for _, k := range c.ByKEK {
		n += k
	}
	return n
}

// Others counts the values wrapped by a KEK other than current.
func (c KeyCensus) Others(current string) int {
	n := 0
	for id, k := range c.ByKEK {
		if id != current {
			n += k
		}
	}
	return n
}

// pass is what a walk over the bucket changes.
type pass int

const (
	countOnly     pass = iota // Census
	rewrapOld                 // Rewrap: values under an older KEK
	wrapUnwrapped             // WrapUnwrapped: those, and the unwrapped ones
)

// Census counts the stored values by the KEK that wraps them, and lists
// the unwrapped ones. It changes nothing and needs no KEK: a value names
// the KEK that wrapped it.
func (v *Vault) Census(ctx context.Context) (KeyCensus, error) {
	return v.walk(ctx, countOnly)
}

// Rewrap wraps with the current KEK every stored value wrapped by an older
// one (after a rotation), and returns the census after it. Unwrapped values
// are left as they are, and listed. A value changed or forgotten meanwhile
// is left to its new value. Rewrap is safe to run from several processes.
// Once no value is left under an older KEK (KeyRing.Retired), that KEK may
// leave the file.
func (v *Vault) Rewrap(ctx context.Context) (KeyCensus, error) {
	return v.walk(ctx, rewrapOld)
}

// WrapUnwrapped is Rewrap that also wraps the values stored unwrapped: an
// operator's deliberate step, once they know where those values came from
// (keys stored before KEKs were configured).
func (v *Vault) WrapUnwrapped(ctx context.Context) (KeyCensus, error) {
	return v.walk(ctx, wrapUnwrapped)
}

func (v *Vault) walk(ctx context.Context, p pass) (KeyCensus, error) {
	c := KeyCensus{ByKEK: map[string]int{}}
	if p != countOnly && v.keks == nil {
		return c, errors.New("pii: rewrap: no KEK configured")
	}
	lister, err := v.kv.ListKeys(ctx)
	if err != nil {
		return c, fmt.Errorf("pii: list keys: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	for name := range lister.Keys() {
		if err := v.visit(ctx, p, name, &c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// visit counts one stored value, moving it to the current KEK first when
// the pass does. A value changed meanwhile is read again: its writer may
// have wrapped it with an older ring.
func (v *Vault) visit(ctx context.Context, p pass, name string, c *KeyCensus) error {
	for {
		e, err := v.kv.Get(ctx, name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil // forgotten meanwhile
		}
		if err != nil {
			return fmt.Errorf("pii: read key: %w", err)
		}
		by := wrappedBy(e.Value())
		if p == countOnly || by == v.keks.Current() || (by == "" && p != wrapUnwrapped) {
			if by == "" {
				c.Unwrapped = append(c.Unwrapped, name)
			} else {
				c.ByKEK[by]++
			}
			return nil
		}
		plain := e.Value()
		if by != "" {
			if plain, err = v.unwrap(name, e.Value()); err != nil {
				return err
			}
		}
		wrapped, err := v.wrap(name, plain)
		if err != nil {
			return err
		}
		_, err = v.kv.Update(ctx, name, wrapped, e.Revision())
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pii: rewrap: %w", err)
		}
		c.ByKEK[v.keks.Current()]++
		c.Rewrapped++
		return nil
	}
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
