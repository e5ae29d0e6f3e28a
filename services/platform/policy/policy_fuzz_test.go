package policy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// FuzzParse loads arbitrary files as a routing policy: no panic, a refusal
// is a *policy.Error listing at least one problem, and an accepted policy
// validates and carries its label and its content's digest as version.
func FuzzParse(f *testing.F) {
	def, err := fs.ReadFile(policy.Defaults(), "routing.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte("version: \"t\"\ndefault: {id: d, team: t}\nrules:\n  - {id: a, products: [x], team: y, within: 4h}\n"))
	f.Add([]byte("version: 2026-11-01\ndefault: {team: t}\n"))
	f.Add([]byte("version: \"a+b\"\ndefault: {team: t}\nunknown: 1\n"))
	f.Add([]byte("version: \"t\"\nrules: [{id: a, within: forever}]\n"))
	f.Add([]byte("version: [\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := policy.Parse[routing]("routing", "fuzz", data)
		checkParsed(t, data, l.Name, l.Version, err, func() error { return (&l.Value).Validate() })
	})
}

// checkParsed is FuzzParse's property, for any policy type: version is the
// loaded version, validate re-checks the loaded value.
func checkParsed(t *testing.T, data []byte, name, version string, err error, validate func() error) {
	t.Helper()
	if err != nil {
		var pe *policy.Error
		if !errors.As(err, &pe) || len(pe.Problems) == 0 || pe.File != "routing.yaml" {
			t.Fatalf("refusal is not a *policy.Error with problems: %#v", err)
		}
		for _, p := range pe.Problems {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("empty problem in %q", pe.Problems)
			}
		}
		return
	}
	if name != "routing" {
		t.Fatalf("name %q", name)
	}
	label, digest, ok := strings.Cut(version, "+")
	sum := sha256.Sum256(data)
	if !ok || label == "" || strings.ContainsAny(label, "+ \t\n") || digest != hex.EncodeToString(sum[:])[:12] {
		t.Fatalf("version %q is not label+digest of the content", version)
	}
	if err := validate(); err != nil {
		t.Fatalf("accepted a policy that does not validate: %v", err)
	}
}
