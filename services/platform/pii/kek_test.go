package pii_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/pii"
)

func kek(t *testing.T, id string) pii.KEK {
	t.Helper()
	k, err := pii.NewKEK()
	if err != nil {
		t.Fatal(err)
	}
	k.ID = id
	return k
}

func ring(t *testing.T, keks ...pii.KEK) *pii.KeyRing {
	t.Helper()
	r, err := pii.NewKeyRing(keks...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// storedKeys returns the bucket's raw values, as a backup would hold them.
func storedKeys(t *testing.T, url string) [][]byte {
	t.Helper()
	js, _ := jetstream.New(natsserver.ConnectForTest(t, url))
	kv, err := js.KeyValue(context.Background(), pii.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, k := range keys {
		e, err := kv.Get(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Value())
	}
	return out
}

func TestWrappedKeysDoNotOpenWithoutTheKEK(t *testing.T) {
	_, url := natsserver.RunForTest(t)
	k1 := kek(t, "k1")
	v := newVault(t, url, pii.WithKEKs(ring(t, k1)))
	s := seal(t, v, "cust-1", "Ada Lovelace")
	if got := open(t, v, s); got != "Ada Lovelace" {
		t.Fatalf("Open = %q", got)
	}
	stored := storedKeys(t, url)
	if len(stored) != 1 || stored[0][0] != 2 || !bytes.Contains(stored[0], []byte("k1")) {
		t.Fatalf("stored key is not wrapped by k1: %x", stored)
	}
	// A copy of the bucket, read without the KEK, or with another one.
	if _, err := newVault(t, url, pii.WithCacheTTL(0)).Open(context.Background(), s); err == nil || errors.Is(err, pii.ErrForgotten) {
		t.Fatalf("opened without the KEK: err = %v", err)
	}
	other := kek(t, "k1") // same id, other bytes
	if _, err := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, other))).Open(context.Background(), s); err == nil {
		t.Fatal("opened with the wrong KEK")
	}
}

func TestKEKRotation(t *testing.T) {
	_, url := natsserver.RunForTest(t)
	k1, k2 := kek(t, "k1"), kek(t, "k2")
	before := newVault(t, url, pii.WithKEKs(ring(t, k1)))
	s := seal(t, before, "cust-1", "Ada Lovelace")

	// The new KEK first, the old one kept to unwrap.
	rotated := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, k2, k1)))
	if got := open(t, rotated, s); got != "Ada Lovelace" {
		t.Fatalf("Open after rotation = %q", got)
	}
	n, err := rotated.Rewrap(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v; want 1 key rewrapped", n, err)
	}
	if n, err := rotated.Rewrap(context.Background()); err != nil || n != 0 {
		t.Fatalf("second Rewrap = %d, %v; want 0", n, err)
	}
	// The old KEK may now go.
	after := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, k2)))
	if got := open(t, after, s); got != "Ada Lovelace" {
		t.Fatalf("Open with only the new KEK = %q", got)
	}
	if _, err := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, k1))).Open(context.Background(), s); err == nil {
		t.Fatal("the retired KEK still opens the key")
	}
	// The customer's next value is sealed under the same key, now wrapped by k2.
	if got := open(t, after, seal(t, after, "cust-1", "ada@example.com")); got != "ada@example.com" {
		t.Fatalf("Open = %q", got)
	}
}

func TestKeysStoredBeforeKEKsAreWrappedByRewrap(t *testing.T) {
	_, url := natsserver.RunForTest(t)
	s := seal(t, newVault(t, url), "cust-1", "Ada Lovelace")
	v := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, kek(t, "k1"))))
	if got := open(t, v, s); got != "Ada Lovelace" {
		t.Fatalf("Open of an unwrapped key = %q", got)
	}
	if n, err := v.Rewrap(context.Background()); err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v", n, err)
	}
	if stored := storedKeys(t, url); stored[0][0] != 2 {
		t.Fatalf("key still unwrapped: %x", stored[0])
	}
	if got := open(t, v, s); got != "Ada Lovelace" {
		t.Fatalf("Open after Rewrap = %q", got)
	}
}

func TestKeyRingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pii-kek")
	r, created, err := pii.LoadKeyRing(path, true)
	if err != nil || !created {
		t.Fatalf("LoadKeyRing = %v, created %v", err, created)
	}
	again, created, err := pii.LoadKeyRing(path, true)
	if err != nil || created || again.Current() != r.Current() || again.Format() != r.Format() {
		t.Fatalf("reloaded ring differs: %v, created %v", err, created)
	}
	rotated, err := r.Rotate()
	if err != nil || rotated.Current() == r.Current() || !strings.HasSuffix(rotated.Format(), r.Format()[strings.Index(r.Format(), "\n")+1:]) {
		t.Fatalf("Rotate: %v\n%s", err, rotated.Format())
	}
	if _, _, err := pii.LoadKeyRing(filepath.Join(t.TempDir(), "missing"), false); err == nil {
		t.Fatal("a missing KEK file was accepted")
	}
	if _, err := pii.ParseKeyRing("k1 bm90IDMyIGJ5dGVz\n"); err == nil {
		t.Fatal("a short KEK was accepted")
	}
}
