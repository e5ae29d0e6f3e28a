package pii_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// newVault connects to url on a connection of its own, as another process
// would, and opens the default bucket.
func newVault(t *testing.T, url string, opts ...pii.Option) *pii.Vault {
	t.Helper()
	js, err := jetstream.New(natsservertest.ConnectForTest(t, url))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pii.NewVault(context.Background(), js, pii.DefaultBucket, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func seal(t *testing.T, v *pii.Vault, customerID, plaintext string) *complaintsv1.SealedValue {
	t.Helper()
	s, err := v.Seal(context.Background(), customerID, plaintext)
	if err != nil {
		t.Fatalf("Seal(%q, %q): %v", customerID, plaintext, err)
	}
	return s
}

func open(t *testing.T, v *pii.Vault, s *complaintsv1.SealedValue) string {
	t.Helper()
	p, err := v.Open(context.Background(), s)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	v := newVault(t, url)
	for _, c := range []struct{ customer, plaintext string }{
		{"cust-1", "Ada Lovelace"},
		{"cust-1", "ada@example.com"},
		{"cust 2/with:odd.chars*>#", "Grace Hopper"},
		{"üñíçødé-客户", "名前 ✓"},
		{"cust-3", string(bytes.Repeat([]byte("x"), 10_000))},
	} {
		s := seal(t, v, c.customer, c.plaintext)
		if bytes.Contains(s.GetCiphertext(), []byte(c.plaintext)) {
			t.Fatalf("ciphertext holds the plaintext %q", c.plaintext)
		}
		if got := open(t, v, s); got != c.plaintext {
			t.Fatalf("Open = %q, want %q", got, c.plaintext)
		}
		// A value survives the event log: encode and decode it.
		b, err := proto.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back complaintsv1.SealedValue
		if err := proto.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := open(t, newVault(t, url), &back); got != c.plaintext {
			t.Fatalf("Open in another vault = %q, want %q", got, c.plaintext)
		}
	}
}

func TestEmpty(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	v := newVault(t, url)
	s := seal(t, v, "cust-1", "")
	if got := open(t, v, s); got != "" {
		t.Fatalf("Open(Seal(\"\")) = %q", got)
	}
	if got := open(t, v, nil); got != "" {
		t.Fatalf("Open(nil) = %q", got)
	}
	if got := open(t, v, &complaintsv1.SealedValue{}); got != "" {
		t.Fatalf("Open(empty) = %q", got)
	}
	if _, err := v.Seal(context.Background(), "", "Ada"); !errors.Is(err, pii.ErrNoCustomer) {
		t.Fatalf("Seal without customer: %v, want ErrNoCustomer", err)
	}
}

func TestSameValueSealsDifferently(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	v := newVault(t, url)
	a, b := seal(t, v, "cust-1", "Ada Lovelace"), seal(t, v, "cust-1", "Ada Lovelace")
	if a.GetKeyId() != b.GetKeyId() {
		t.Fatalf("one customer, two keys: %q and %q", a.GetKeyId(), b.GetKeyId())
	}
	if bytes.Equal(a.GetCiphertext(), b.GetCiphertext()) {
		t.Fatal("the same plaintext sealed twice gives the same ciphertext")
	}
	c := seal(t, v, "cust-2", "Ada Lovelace")
	if c.GetKeyId() == a.GetKeyId() {
		t.Fatal("two customers share a key id")
	}
}

func TestTampered(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	v := newVault(t, url)
	s := seal(t, v, "cust-1", "Ada Lovelace")
	other := seal(t, v, "cust-2", "Grace Hopper")

	flip := func(i int) *complaintsv1.SealedValue {
		c := proto.Clone(s).(*complaintsv1.SealedValue)
		c.Ciphertext[i] ^= 0x01
		return c
	}
	cases := map[string]*complaintsv1.SealedValue{
		"nonce bit":      flip(0),
		"ciphertext bit": flip(12),
		"tag bit":        flip(len(s.Ciphertext) - 1),
		"truncated":      {KeyId: s.KeyId, Ciphertext: s.Ciphertext[:10]},
		"no ciphertext":  {KeyId: s.KeyId},
		"bad key id":     {KeyId: "cust-1", Ciphertext: s.Ciphertext},
		// Another customer's value relabelled: the key id is authenticated.
		"moved to another customer": {KeyId: other.KeyId, Ciphertext: s.Ciphertext},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := v.Open(context.Background(), c)
			if !errors.Is(err, pii.ErrInvalid) {
				t.Fatalf("Open = %q, %v; want ErrInvalid", got, err)
			}
		})
	}
	if got := open(t, v, s); got != "Ada Lovelace" {
		t.Fatalf("original no longer opens: %q", got)
	}
}

func TestForget(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	v := newVault(t, url)
	ctx := context.Background()
	name, email := seal(t, v, "cust-1", "Ada Lovelace"), seal(t, v, "cust-1", "ada@example.com")
	kept := seal(t, v, "cust-2", "Grace Hopper")
	open(t, v, name) // the key is cached
	if id, err := v.KeyID(ctx, "cust-1"); err != nil || id != name.GetKeyId() {
		t.Fatalf("KeyID = %q, %v; want %q", id, err, name.GetKeyId())
	}

	if err := v.Forget(ctx, "cust-1"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*complaintsv1.SealedValue{name, email} {
		if got, err := v.Open(ctx, s); !errors.Is(err, pii.ErrForgotten) {
			t.Fatalf("Open after Forget = %q, %v; want ErrForgotten", got, err)
		}
	}
	if id, err := v.KeyID(ctx, "cust-1"); err != nil || id != "" {
		t.Fatalf("KeyID after Forget = %q, %v; want none", id, err)
	}
	// A vault started afterwards does not know the key either.
	if got, err := newVault(t, url).Open(ctx, name); !errors.Is(err, pii.ErrForgotten) {
		t.Fatalf("Open in a new vault = %q, %v; want ErrForgotten", got, err)
	}
	if got := open(t, v, kept); got != "Grace Hopper" {
		t.Fatalf("another customer's value = %q", got)
	}
	// Forgetting twice, or a customer never seen, is fine.
	if err := v.Forget(ctx, "cust-1"); err != nil {
		t.Fatal(err)
	}
	if err := v.Forget(ctx, "never-seen"); err != nil {
		t.Fatal(err)
	}

	// The customer comes back: new values open, old ones stay forgotten.
	again := seal(t, v, "cust-1", "Ada King")
	if again.GetKeyId() == name.GetKeyId() {
		t.Fatal("a forgotten customer's key id is reused")
	}
	if got := open(t, v, again); got != "Ada King" {
		t.Fatalf("Open = %q", got)
	}
	if _, err := v.Open(ctx, name); !errors.Is(err, pii.ErrForgotten) {
		t.Fatalf("old value after the customer came back: %v; want ErrForgotten", err)
	}
}

// Forgetting in one process erases the key cached by another.
func TestForgetReachesOtherVaults(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	a, b := newVault(t, url), newVault(t, url)
	ctx := context.Background()
	s := seal(t, a, "cust-1", "Ada Lovelace")
	if got := open(t, b, s); got != "Ada Lovelace" { // b caches the key
		t.Fatalf("Open in b = %q", got)
	}
	if err := a.Forget(ctx, "cust-1"); err != nil {
		t.Fatal(err)
	}
	// b learns of it through its watch of the bucket, moments later.
	waitForgotten(t, b, s)

	// The customer comes back through b: a opens it, and the old value stays
	// forgotten in both.
	again := seal(t, b, "cust-1", "Ada King")
	if got := open(t, a, again); got != "Ada King" {
		t.Fatalf("Open in a = %q", got)
	}
	for _, v := range []*pii.Vault{a, b} {
		if _, err := v.Open(ctx, s); !errors.Is(err, pii.ErrForgotten) {
			t.Fatalf("old value: %v; want ErrForgotten", err)
		}
	}
}

// Without its watch, a vault still drops a forgotten key once the cache TTL
// has passed.
func TestForgetReachesOtherVaultsWithinTTL(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	a := newVault(t, url)
	b := newVault(t, url, pii.WithCacheTTL(200*time.Millisecond))
	if err := b.Close(); err != nil { // stop the watch
		t.Fatal(err)
	}
	s := seal(t, a, "cust-1", "Ada Lovelace")
	if got := open(t, b, s); got != "Ada Lovelace" {
		t.Fatalf("Open in b = %q", got)
	}
	if err := a.Forget(context.Background(), "cust-1"); err != nil {
		t.Fatal(err)
	}
	waitForgotten(t, b, s)
}

func waitForgotten(t *testing.T, v *pii.Vault, s *complaintsv1.SealedValue) {
	t.Helper()
	testkit.EventuallyNil(t, func() error {
		got, err := v.Open(context.Background(), s)
		if errors.Is(err, pii.ErrForgotten) {
			return nil
		}
		if err != nil {
			t.Fatalf("Open: %v; want ErrForgotten", err)
		}
		return fmt.Errorf("still opens to %q after Forget", got)
	})
}

// Two processes sealing a new customer's first values at the same time end
// up with one key.
func TestConcurrentFirstSeal(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	vaults := []*pii.Vault{newVault(t, url), newVault(t, url), newVault(t, url)}
	const customers = 20
	type result struct {
		vault int
		value *complaintsv1.SealedValue
		err   error
	}
	results := make(chan result, customers*len(vaults)*2)
	for c := range customers {
		customer := fmt.Sprintf("cust-%d", c)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, v := range vaults {
			for j := range 2 {
				wg.Go(func() {
					<-start
					s, err := v.Seal(context.Background(), customer, fmt.Sprintf("%s from %d/%d", customer, i, j))
					results <- result{i, s, err}
				})
			}
		}
		close(start)
		wg.Wait()
	}
	close(results)
	keyIDs := map[string]string{}
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		for i, v := range vaults {
			if _, err := v.Open(context.Background(), r.value); err != nil {
				t.Fatalf("vault %d cannot open what vault %d sealed: %v", i, r.vault, err)
			}
		}
		customer := r.value.GetKeyId()[:len(r.value.GetKeyId())-17]
		if prev, ok := keyIDs[customer]; ok && prev != r.value.GetKeyId() {
			t.Fatalf("customer %s has two keys: %s and %s", customer, prev, r.value.GetKeyId())
		}
		keyIDs[customer] = r.value.GetKeyId()
	}
	if len(keyIDs) != customers {
		t.Fatalf("%d customers with keys, want %d", len(keyIDs), customers)
	}
}

// Open, Seal and Forget race without data races or stale keys surviving.
func TestConcurrentForgetAndOpen(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	a, b := newVault(t, url), newVault(t, url)
	ctx := context.Background()
	s := seal(t, a, "cust-1", "Ada Lovelace")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, v := range []*pii.Vault{a, b} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := v.Open(ctx, s); err != nil && !errors.Is(err, pii.ErrForgotten) {
					t.Error(err)
					return
				}
			}
		})
	}
	if err := a.Forget(ctx, "cust-1"); err != nil {
		t.Fatal(err)
	}
	waitForgotten(t, a, s)
	waitForgotten(t, b, s)
	close(stop)
	wg.Wait()
	for _, v := range []*pii.Vault{a, b} {
		if _, err := v.Open(ctx, s); !errors.Is(err, pii.ErrForgotten) {
			t.Fatalf("Open after Forget: %v", err)
		}
	}
}

func TestASecretIsMadeOnceAndSharedByEveryVault(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	a, b := newVault(t, url), newVault(t, url)
	ctx := context.Background()
	s1, err := a.Secret(ctx, "fingerprint-key")
	if err != nil || len(s1) != 32 {
		t.Fatalf("Secret = %x, %v", s1, err)
	}
	s2, err := b.Secret(ctx, "fingerprint-key")
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("another vault's secret = %x, %v; want %x", s2, err, s1)
	}
	if err := a.Forget(ctx, "fingerprint-key"); err != nil {
		t.Fatal(err)
	}
	if s3, _ := a.Secret(ctx, "fingerprint-key"); string(s3) != string(s1) {
		t.Fatal("forgetting a customer of the same name changed the secret")
	}
	if other, _ := a.Secret(ctx, "other"); string(other) == string(s1) {
		t.Fatal("two secrets are the same")
	}
}
