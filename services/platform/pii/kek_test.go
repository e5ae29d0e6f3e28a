package pii_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
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
	js, _ := jetstream.New(natsservertest.ConnectForTest(t, url))
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
	_, url := natsservertest.RunForTest(t)
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
	_, url := natsservertest.RunForTest(t)
	k1, k2 := kek(t, "k1"), kek(t, "k2")
	before := newVault(t, url, pii.WithKEKs(ring(t, k1)))
	s := seal(t, before, "cust-1", "Ada Lovelace")
	seal(t, before, "cust-2", "Grace Hopper")

	// The new KEK first, the old one kept to unwrap.
	rotated := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, k2, k1)))
	if got := open(t, rotated, s); got != "Ada Lovelace" {
		t.Fatalf("Open after rotation = %q", got)
	}
	if c, err := rotated.Census(context.Background()); err != nil || c.ByKEK["k1"] != 2 || c.ByKEK["k2"] != 0 {
		t.Fatalf("Census before Rewrap = %+v, %v; want both keys under k1", c, err)
	}
	if retired := ring(t, k2, k1).Retired(mustCensus(t, rotated)); len(retired) != 0 {
		t.Fatalf("k1 may be retired while it still wraps keys: %v", retired)
	}
	c, err := rotated.Rewrap(context.Background())
	if err != nil || c.Rewrapped != 2 || c.ByKEK["k2"] != 2 || c.ByKEK["k1"] != 0 || len(c.Unwrapped) != 0 {
		t.Fatalf("Rewrap = %+v, %v; want 2 keys rewrapped, both under k2", c, err)
	}
	if c, err := rotated.Rewrap(context.Background()); err != nil || c.Rewrapped != 0 || c.ByKEK["k2"] != 2 {
		t.Fatalf("second Rewrap = %+v, %v; want nothing rewrapped", c, err)
	}
	// The old KEK may now go.
	if retired := ring(t, k2, k1).Retired(c); len(retired) != 1 || retired[0] != "k1" {
		t.Fatalf("Retired = %v, want [k1]", retired)
	}
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

func mustCensus(t *testing.T, v *pii.Vault) pii.KeyCensus {
	t.Helper()
	c, err := v.Census(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A key stored unwrapped in a bucket whose keys a KEK wraps is either from
// before KEKs, or planted by someone who may write to the bucket and holds
// no KEK. It is refused, reported, left alone by the rewrap at start, and
// wrapped only by the operator's deliberate WrapUnwrapped.
func TestUnwrappedKeysAreRefusedReportedAndWrappedOnlyOnRequest(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	s := seal(t, newVault(t, url), "cust-1", "Ada Lovelace")
	k1 := kek(t, "k1")
	v := newVault(t, url, pii.WithCacheTTL(0), pii.WithKEKs(ring(t, k1)))
	seal(t, v, "cust-2", "Grace Hopper")

	if _, err := v.Open(context.Background(), s); !errors.Is(err, pii.ErrUnwrapped) {
		t.Fatalf("Open of an unwrapped key: err = %v, want ErrUnwrapped", err)
	}
	if _, err := v.Seal(context.Background(), "cust-1", "ada@example.com"); !errors.Is(err, pii.ErrUnwrapped) {
		t.Fatalf("Seal under an unwrapped key: err = %v, want ErrUnwrapped", err)
	}
	c := mustCensus(t, v)
	if len(c.Unwrapped) != 1 || c.ByKEK["k1"] != 1 || c.Total() != 2 {
		t.Fatalf("Census = %+v; want one unwrapped key and one under k1", c)
	}
	if c, err := v.Rewrap(context.Background()); err != nil || c.Rewrapped != 0 || len(c.Unwrapped) != 1 {
		t.Fatalf("Rewrap = %+v, %v; want the unwrapped key left alone and listed", c, err)
	}
	if stored := storedKeys(t, url); countWrapped(stored) != 1 {
		t.Fatalf("Rewrap wrapped the unwrapped key: %x", stored)
	}

	c, err := v.WrapUnwrapped(context.Background())
	if err != nil || c.Rewrapped != 1 || len(c.Unwrapped) != 0 || c.ByKEK["k1"] != 2 {
		t.Fatalf("WrapUnwrapped = %+v, %v; want one key wrapped, both under k1", c, err)
	}
	if stored := storedKeys(t, url); countWrapped(stored) != 2 {
		t.Fatalf("a key is still unwrapped: %x", stored)
	}
	if got := open(t, v, s); got != "Ada Lovelace" {
		t.Fatalf("Open after WrapUnwrapped = %q", got)
	}
}

func countWrapped(stored [][]byte) int {
	n := 0
	for _, b := range stored {
		if len(b) > 0 && b[0] == 2 {
			n++
		}
	}
	return n
}

func TestKeyRingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pii-kek")
	r, err := pii.CreateKeyRingFile(path)
	if err != nil {
		t.Fatalf("CreateKeyRingFile: %v", err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("KEK file mode: %v, %v", info, err)
	}
	if _, err := pii.CreateKeyRingFile(path); err == nil {
		t.Fatal("CreateKeyRingFile replaced an existing KEK file")
	}
	again, err := pii.LoadKeyRing(path)
	if err != nil || again.Current() != r.Current() || again.Format() != r.Format() {
		t.Fatalf("reloaded ring differs: %v", err)
	}

	// Rotation: a new KEK first, the old one kept below it.
	rotated, err := pii.RotateKeyRingFile(path)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := pii.LoadKeyRing(path)
	if err != nil || onDisk.Format() != rotated.Format() {
		t.Fatalf("rotated file: %v\n%s", err, rotated.Format())
	}
	if ids := onDisk.IDs(); len(ids) != 2 || ids[0] == r.Current() || ids[1] != r.Current() {
		t.Fatalf("rotated ring = %v; want a new KEK, then %s", ids, r.Current())
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("rotated KEK file mode: %v, %v", info, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left beside the KEK file: %v", entries)
	}

	// The current KEK never leaves; an old one does, on request.
	if _, err := onDisk.Without(onDisk.Current()); err == nil {
		t.Fatal("the current KEK was removed")
	}
	if w, err := onDisk.Without(r.Current()); err != nil || len(w.IDs()) != 1 || w.Current() != onDisk.Current() {
		t.Fatalf("Without(old) = %v, %v", w, err)
	}

	if _, err := pii.LoadKeyRing(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing KEK file was accepted")
	}
	if _, err := pii.ParseKeyRing("k1 bm90IDMyIGJ5dGVz\n"); err == nil {
		t.Fatal("a short KEK was accepted")
	}
}
