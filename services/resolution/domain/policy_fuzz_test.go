package domain_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	policies "github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// FuzzRoutingPolicy loads arbitrary files as the routing policy: no panic,
// a refusal is a *policy.Error listing its problems, and an accepted policy
// validates and routes every product to a team.
func FuzzRoutingPolicy(f *testing.F) {
	def, err := fs.ReadFile(policies.Defaults(), "routing.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def, "broadband")
	f.Add([]byte("version: \"t\"\ndefault: {id: d, team: t}\nrules:\n  - {id: a, products: [x], team: y}\n"), "x")
	f.Add([]byte("version: \"t\"\ndefault: {id: d, team: t}\nrules:\n  - {id: d, products: [x], team: y}\n  - {id: b, products: [x], team: z}\n"), "x")
	f.Add([]byte("version: \"t\"\ndefault: {id: d}\nrules: [{id: a, products: [], team: y}]\n"), "")
	f.Add([]byte("version: \"t\"\nrules: {}\n"), "y")
	f.Fuzz(func(t *testing.T, data []byte, product string) {
		l, err := policies.Parse[domain.Routing]("routing", "fuzz", data)
		if err != nil {
			var pe *policies.Error
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
		if r := l.Value.Route(product); r.Team == "" || r.ID == "" {
			t.Fatalf("product %q routed to no team: %+v", product, r)
		}
	})
}

// FuzzTriagePolicy loads arbitrary files as the triage policy and triages a
// description with it: no panic, a refusal is a *policy.Error, and an
// accepted policy always gives a severity, a priority from 1 to 4 and the
// rules that decided.
func FuzzTriagePolicy(f *testing.F) {
	def, err := fs.ReadFile(policies.Defaults(), "triage.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def, "my solicitor will sue", int64(150000), true)
	f.Add([]byte("version: \"t\"\ndefault: {id: d, severity: low, priority: 4}\n"), "", int64(0), false)
	f.Add([]byte("version: \"t\"\ndefault: {id: d, severity: low, priority: 4}\nrules:\n  - {id: k, keywords: [\"a b\"], flags: [x], review: true}\n"), "A, b!", int64(0), false)
	f.Add([]byte("version: \"t\"\ndefault: {id: d, severity: dire}\nrules: [{id: d}]\n"), "x", int64(-1), true)
	f.Fuzz(func(t *testing.T, data []byte, description string, amount int64, vulnerable bool) {
		l, err := policies.Parse[domain.Triage]("triage", "fuzz", data)
		if err != nil {
			var pe *policies.Error
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("refusal is not a *policy.Error with problems: %#v", err)
			}
			return
		}
		v := l.Value.Assess(domain.Complaint{Description: description, DisputedAmountMinor: amount, Vulnerable: vulnerable})
		if v.Severity == "" || v.Priority < 1 || v.Priority > 4 || len(v.RuleIDs) == 0 {
			t.Fatalf("triaged %+v", v)
		}
		if vulnerable && !v.Vulnerable {
			t.Fatal("a vulnerable customer's case is not flagged")
		}
	})
}
