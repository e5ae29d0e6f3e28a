package natsauth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
)

// The services' real declarations are theirs; these tests read a matrix of
// services shaped like them.
func init() {
	natsauth.Declare(natsauthtest.Services...)
	natsauth.DeclarePayments(natsauthtest.PaymentSystems)
}

// A declaration that is not well formed is the program's mistake, refused
// when it is declared rather than found as a missing permission in
// production.
func TestDeclareRefusesADeclarationNotWellFormed(t *testing.T) {
	defer natsauth.Declare(natsauthtest.Services...)
	for name, services := range map[string][]natsauth.Service{
		"no name":            {{Category: "complaint"}},
		"no main category":   {{Name: "intake"}},
		"a name twice":       {{Name: "intake", Category: "complaint"}, {Name: "intake", Category: "customer"}},
		"a user's name":      {{Name: natsauth.Outside, Category: "complaint"}},
		"an API user's":      {{Name: "intake-api", Category: "complaint"}},
		"another's category": {{Name: "intake", Category: "case"}},
		"a durable twice": {{Name: "intake", Category: "complaint", Durables: []string{"d"}},
			{Name: "resolution", Category: "case", Durables: []string{"d"}}},
		"retired elsewhere": {{Name: "intake", Category: "complaint", Durables: []string{"d"}},
			{Name: "resolution", Category: "case", Retired: []string{"d"}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: declared", name)
				}
			}()
			natsauth.Declare(services...)
		}()
	}
}

// The matrix is derived from the declarations: the package's own files name
// no service, durable, projection or request subject of one.
func TestTheMatrixNamesNoService(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range natsauthtest.Services {
		names = append(names, s.Name, s.Category)
		names = append(names, s.Durables...)
		names = append(names, s.Retired...)
		names = append(names, s.Projections...)
		names = append(names, s.Serves...)
	}
	names = append(names, natsauthtest.PaymentSystems.Calls...)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.Contains(string(b), `"`+n+`"`) || strings.Contains(string(b), `"`+n+`.`) {
				t.Errorf("%s names %q", f, n)
			}
		}
	}
}
