package domain_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// FuzzRedressPolicy loads arbitrary files as the redress policy: no panic,
// a refusal is a *policy.Error listing its problems, and an accepted policy
// validates again.
func FuzzRedressPolicy(f *testing.F) {
	def, err := fs.ReadFile(policy.Defaults(), domain.PolicyName+".yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte("version: \"t\"\nauto_approve_limit_minor: -1\nrules:\n  - {id: a, outcome: upheld, kind: refund, amount_minor: 5, currency: GBP}\n"))
	f.Add([]byte("version: \"t\"\nrules:\n  - {id: a, outcome: nope, kind: refund, amount_minor: -5, currency: gbp}\n  - {id: a, outcome: rejected, kind: apology}\n"))
	f.Add([]byte("version: \"t\"\nrules:\n  - {id: a, outcome: upheld, root_causes: [\"network.*\", \"\"], kind: apology, auto_approve_limit_minor: 0}\n"))
	f.Add([]byte("version: 1\nrules: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := policy.Parse[domain.Policy](domain.PolicyName, "fuzz", data)
		if err != nil {
			var pe *policy.Error
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("refusal is not a *policy.Error with problems: %#v", err)
			}
			return
		}
		if !strings.Contains(l.Version, "+") {
			t.Fatalf("version %q lacks its digest", l.Version)
		}
		if err := l.Value.Validate(); err != nil {
			t.Fatalf("accepted a policy that does not validate: %v", err)
		}
	})
}
