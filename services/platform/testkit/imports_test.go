package testkit_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const testkitPath = "github.com/complaintflow/complaintflow/services/platform/testkit"

// testOnly are the packages only tests may import (they start servers, open
// logs or assert for a test); a file of one of them may import the others.
var testOnly = map[string]bool{
	testkitPath: true,
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest":              true,
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest":                  true,
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest": true,
	"github.com/complaintflow/complaintflow/services/platform/eventlog/eventlogtest":                  true,
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest":                    true,
	"github.com/complaintflow/complaintflow/tools/internal/systemtest":                                true,
}

// Only tests import testkit and the other test-only packages: a file that
// is not a test and imports one would link it into a service or a tool.
func TestOnlyTestsImportTestkit(t *testing.T) {
	root := workspaceRoot(t)
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		rel, _ := filepath.Rel(root, path)
		if inTestOnly(filepath.ToSlash(filepath.Dir(rel))) {
			return nil
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); testOnly[p] {
				t.Errorf("%s imports %s, which only tests may", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked %d files under %s, want the whole workspace", checked, root)
	}
}

// inTestOnly says whether dir (relative to the workspace) is a test-only
// package's.
func inTestOnly(dir string) bool {
	for p := range testOnly {
		if strings.HasSuffix(p, "/"+dir) {
			return true
		}
	}
	return false
}

// workspaceRoot is the directory of go.work above the test's directory.
func workspaceRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.work above the package: not run from the workspace")
		}
		dir = parent
	}
}
