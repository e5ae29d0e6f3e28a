package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// Intake signs customer tokens; the other services verify them with the
// public key written beside the signing key, and cannot sign one.
func TestAVerifierFromThePublicKeyVerifiesIntakesTokensAndCannotSign(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, auth.CustomerKeyFile)
	signer, err := auth.LoadOrCreateCustomerTokens(keyFile, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pubFile := auth.CustomerPublicKeyFile(keyFile)
	if _, err := os.Stat(pubFile); err != nil {
		t.Fatalf("no public key beside the signing key: %v", err)
	}
	tok, err := signer.Issue("cust-1", "c1")
	if err != nil {
		t.Fatal(err)
	}

	// Only the public key, in a folder of its own.
	own := filepath.Join(t.TempDir(), "customer-token-key.pub.json")
	b, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(own, b, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := auth.LoadCustomerVerifier(own)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), tok)
	if err != nil || p.Subject != "cust-1" || p.ComplaintID != "c1" {
		t.Fatalf("verifying intake's token: %+v, %v", p, err)
	}
	if _, ok := any(v).(interface {
		Issue(customerID, complaintID string) (string, error)
	}); ok {
		t.Fatal("a verifier can issue customer tokens")
	}

	// A gate that does not sign never reads the signing key: a file that
	// is no key at all does not stop it.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	gate, err := auth.NewGate(context.Background(), auth.Config{DevTokens: "true", CustomerKeyFile: keyFile,
		CustomerPublicKeyFile: own}, t.TempDir())
	if err != nil {
		t.Fatalf("a verifying gate read the signing key: %v", err)
	}
	defer gate.Close()
	if gate.Customers != nil {
		t.Fatal("a verifying gate can issue customer tokens")
	}
	if p, err := gate.Verifier.Verify(context.Background(), tok); err != nil || p.ComplaintID != "c1" {
		t.Fatalf("the verifying gate refused intake's token: %+v, %v", p, err)
	}
	// The signing gate does read it.
	if _, err := auth.NewGate(context.Background(), auth.Config{DevTokens: "true", CustomerKeyFile: keyFile,
		SignsCustomerTokens: true}, t.TempDir()); err == nil {
		t.Fatal("a signing gate started without its key")
	}
}

// A verifying process may start before intake has written the key pair:
// no customer token exists yet, and the public key is read once it is there.
func TestAVerifierStartedBeforeTheKeyExistsVerifiesOnceItIsWritten(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, auth.CustomerKeyFile)
	v, err := auth.LoadCustomerVerifier(auth.CustomerPublicKeyFile(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), "a.b.c"); err == nil {
		t.Fatal("a token passed with no key")
	}
	signer, err := auth.LoadOrCreateCustomerTokens(keyFile, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Issue("cust-1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
}
