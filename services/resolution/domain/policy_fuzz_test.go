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
