package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/pii"
)

func kekStatusOf(t *testing.T, args ...string) kekStatus {
	t.Helper()
	var s kekStatus
	out := mustCtl(t, append([]string{"kek", "-json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return s
}

func keysOf(s kekStatus, role string) int {
	n := 0
	for _, k := range s.KEKs {
		if k.Role == role {
			n += k.Keys
		}
	}
	return n
}

// An operator creates the KEK file, rotates it, sees which keys each KEK
// wraps and which are stored unwrapped, rewraps, and retires the old KEK
// only once no key needs it.
func TestKEKCreateRotateStatusRewrapRetire(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	t.Setenv("NATS_URL", url)
	t.Setenv("NATS_CREDS", "")
	t.Setenv("PII_KEK_FILE", "")
	file := filepath.Join(t.TempDir(), "pii-kek")

	mustCtl(t, "kek", "create", "-file", file)
	if code, _, _ := ctl(t, "kek", "create", "-file", file); code == 0 {
		t.Fatal("create replaced an existing KEK file")
	}
	first, err := pii.LoadKeyRing(file)
	if err != nil {
		t.Fatal(err)
	}

	// Intake seals two customers' data under the first KEK; a key in clear
	// lies in the bucket too (stored before KEKs, or planted).
	js, _ := jetstream.New(natsservertest.ConnectForTest(t, url))
	ctx := context.Background()
	vault := func(opts ...pii.Option) *pii.Vault {
		v, err := pii.NewVault(ctx, js, pii.DefaultBucket, append(opts, pii.WithCacheTTL(0))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.Close() })
		return v
	}
	intake := vault(pii.WithKEKs(first))
	ada, err := intake.Seal(ctx, "cust-1", "Ada Lovelace")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := intake.Seal(ctx, "cust-2", "Grace Hopper"); err != nil {
		t.Fatal(err)
	}
	if _, err := vault().Seal(ctx, "cust-3", "unwrapped"); err != nil {
		t.Fatal(err)
	}

	s := kekStatusOf(t, "status", "-file", file)
	if keysOf(s, "current") != 2 || len(s.Unwrapped) != 1 {
		t.Fatalf("status = %+v; want 2 keys under the current KEK and 1 unwrapped", s)
	}
	if out := mustCtl(t, "kek", "status"); !strings.Contains(out, "unwrapped") || !strings.Contains(out, first.Current()) {
		t.Fatalf("status without the file:\n%s", out)
	}

	mustCtl(t, "kek", "rotate", "-file", file)
	rotated, err := pii.LoadKeyRing(file)
	if err != nil || len(rotated.IDs()) != 2 || rotated.IDs()[1] != first.Current() {
		t.Fatalf("rotated file: %v, %v; want a new KEK, then %s", rotated.IDs(), err, first.Current())
	}
	before, _ := os.ReadFile(file)
	code, _, errOut := ctl(t, "kek", "retire", "-file", file)
	if code == 0 || !strings.Contains(errOut, "rewrap") {
		t.Fatalf("retire while the old KEK wraps keys: exit %d\n%s", code, errOut)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Fatal("a refused retire changed the KEK file")
	}

	s = kekStatusOf(t, "rewrap", "-file", file)
	if s.Rewrapped != 2 || keysOf(s, "current") != 2 || keysOf(s, "older") != 0 || len(s.Unwrapped) != 1 {
		t.Fatalf("rewrap = %+v; want both keys moved to the new KEK, the unwrapped one left", s)
	}
	mustCtl(t, "kek", "retire", "-file", file)
	retired, err := pii.LoadKeyRing(file)
	if err != nil || len(retired.IDs()) != 1 || retired.Current() != rotated.Current() {
		t.Fatalf("after retire: %v, %v; want only %s", retired.IDs(), err, rotated.Current())
	}
	if got, err := vault(pii.WithKEKs(retired)).Open(ctx, ada); err != nil || got != "Ada Lovelace" {
		t.Fatalf("open with the new KEK alone: %q, %v", got, err)
	}

	s = kekStatusOf(t, "rewrap", "-file", file, "-unwrapped")
	if s.Rewrapped != 1 || len(s.Unwrapped) != 0 || keysOf(s, "current") != 3 {
		t.Fatalf("rewrap -unwrapped = %+v; want the unwrapped key wrapped too", s)
	}
}
