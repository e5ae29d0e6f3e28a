package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestImageBuildsEveryModuleAndBinary: the Dockerfile copies the go.mod of
// every module of the workspace before downloading (a module it misses
// fails the build), builds statically, runs as a non-root user, and every
// binary it builds has its main package in the tree.
func TestImageBuildsEveryModuleAndBinary(t *testing.T) {
	work, err := os.ReadFile(filepath.Join("..", "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile(filepath.Join("image", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(dockerfile)
	for _, m := range regexp.MustCompile(`(?m)^\s*\./(\S+)\s*$`).FindAllStringSubmatch(string(work), -1) {
		if !strings.Contains(df, "COPY "+m[1]+"/go.mod ") {
			t.Errorf("the Dockerfile does not copy %s/go.mod, a module of go.work", m[1])
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", "distroless/static"} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	built := regexp.MustCompile(`-o /out/\S+ (\./[^\s;]+)`).FindAllStringSubmatch(df, -1)
	for _, b := range built {
		// The five services are built by one loop over their names.
		for _, svc := range services {
			pkg := strings.ReplaceAll(b[1], "$s", svc)
			if _, err := os.Stat(filepath.Join("..", pkg, "main.go")); err != nil {
				t.Errorf("the Dockerfile builds %s, which has no main.go", pkg)
			}
		}
	}
	if len(built) < 5 {
		t.Errorf("the Dockerfile builds %d packages", len(built))
	}
}
