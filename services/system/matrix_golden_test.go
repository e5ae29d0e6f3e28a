package system_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

var updateMatrix = flag.Bool("update-matrix", false, "rewrite testdata/nats-matrix.golden.json from the services' declarations")

// matrixDump is the NATS permission matrix as data: every user in order, and
// each user's permissions.
type matrixDump struct {
	Users       []string                        `json:"users"`
	Permissions map[string]natsauth.Permissions `json:"permissions"`
	Documented  []string                        `json:"documented_requests"`
}

// The matrix derived from the services' declarations is the one the
// services ran with before they declared it themselves (the golden copy):
// a permission lost on the way would stop a service consuming in
// production. A change of the matrix is made on purpose with
// -update-matrix, and reviewed in the golden file's diff.
func TestTheMatrixIsTheGoldenOne(t *testing.T) {
	got := matrixDump{Users: natsauth.Users(), Permissions: map[string]natsauth.Permissions{},
		Documented: natsauth.DocumentedRequests()}
	for _, u := range got.Users {
		p, ok := natsauth.For(u)
		if !ok {
			t.Fatalf("no permissions for user %s", u)
		}
		got.Permissions[u] = p
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "nats-matrix.golden.json")
	if *updateMatrix {
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(b)+"\n" {
		t.Fatalf("the NATS permission matrix is not the golden one (testdata/nats-matrix.golden.json); "+
			"run go test -run TestTheMatrixIsTheGoldenOne -update-matrix and read the diff:\n%s", b)
	}
}
