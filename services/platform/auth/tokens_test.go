package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

func TestDevTokensAreWrittenOnceWithMode0600AndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", auth.DevTokensFile)
	first, err := auth.LoadOrCreateDevTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", info.Mode().Perm())
	}
	byRole, err := auth.ReadDevTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(byRole) != len(auth.TokenRoles) {
		t.Fatalf("file holds %d roles, want %d: %v", len(byRole), len(auth.TokenRoles), byRole)
	}
	for _, role := range auth.TokenRoles {
		p, err := first.Verify(context.Background(), byRole[role])
		if err != nil || len(p.Roles) != 1 || p.Roles[0] != role || p.Subject != "dev-"+string(role) {
			t.Fatalf("%s: %+v, %v", role, p, err)
		}
	}
	second, err := auth.LoadOrCreateDevTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.Verify(context.Background(), byRole[auth.RoleAgent]); err != nil {
		t.Fatalf("tokens changed on the second start: %v", err)
	}
	if _, err := first.Verify(context.Background(), "nonsense"); err == nil {
		t.Fatal("an unknown token passed")
	}
}

func TestDevTokensFileWithAStrangeRoleIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), auth.DevTokensFile)
	if err := os.WriteFile(path, []byte(`{"customer":"0123456789abcdef0123"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateDevTokens(path); err == nil || !strings.Contains(err.Error(), "not a staff or system role") {
		t.Fatalf("err = %v", err)
	}
}

func TestCustomerTokenOpensOnlyItsComplaint(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, auth.CustomerKeyFile)
	ct, err := auth.LoadOrCreateCustomerTokens(keyFile, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", info, err)
	}
	tok, err := ct.Issue("cust-1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	// Another process with the same key file verifies it without a lookup.
	again, err := auth.LoadOrCreateCustomerTokens(keyFile, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := again.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "cust-1" || p.ComplaintID != "c1" || len(p.Roles) != 1 || p.Roles[0] != auth.RoleCustomer {
		t.Fatalf("principal %+v", p)
	}
	if got := string(p.Actor()); got != "customer:cust-1" {
		t.Fatalf("actor %q", got)
	}

	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	other, err := auth.NewCustomerTokens(otherKey, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(context.Background(), tok); err == nil {
		t.Fatal("a token signed with another key passed")
	}
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2]
	if _, err := ct.Verify(context.Background(), tampered); err == nil {
		t.Fatal("a tampered token passed")
	}
	if _, err := ct.Issue("", "c1"); err == nil {
		t.Fatal("a token without a customer was issued")
	}

	later := time.Now().Add(2 * time.Hour)
	auth.SetClock(again, func() time.Time { return later })
	if _, err := again.Verify(context.Background(), tok); err == nil {
		t.Fatal("an expired token passed")
	}
}

func TestProcessesStartingTogetherShareTokensAndKey(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	devs := make([]auth.StaticTokens, n)
	customers := make([]*auth.CustomerTokens, n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if devs[i], err = auth.LoadOrCreateDevTokens(filepath.Join(dir, auth.DevTokensFile)); err != nil {
				errs <- err
			}
			if customers[i], err = auth.LoadOrCreateCustomerTokens(filepath.Join(dir, auth.CustomerKeyFile), time.Hour); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	byRole, err := auth.ReadDevTokens(filepath.Join(dir, auth.DevTokensFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := devs[i].Verify(context.Background(), byRole[auth.RoleAdmin]); err != nil {
			t.Fatalf("process %d has other development tokens", i)
		}
		tok, err := customers[i].Issue("cust-1", "c1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := customers[(i+1)%n].Verify(context.Background(), tok); err != nil {
			t.Fatalf("process %d signs with another key: %v", i, err)
		}
	}
}
