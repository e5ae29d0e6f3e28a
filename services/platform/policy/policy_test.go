package policy_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// routing is a policy type as a domain package declares it: its own fields,
// Validate and SetVersion, and no import of the loader.
type routing struct {
	Version string `yaml:"version"`
	Rules   []rule `yaml:"rules"`
	Default rule   `yaml:"default"`
}

type rule struct {
	ID       string        `yaml:"id"`
	Products []string      `yaml:"products"`
	Team     string        `yaml:"team"`
	Within   time.Duration `yaml:"within"`
}

func (r *routing) SetVersion(v string) { r.Version = v }

func (r *routing) Validate() error {
	var errs []error
	for i, ru := range r.Rules {
		if ru.ID == "" {
			errs = append(errs, fmt.Errorf("rules[%d].id: is required", i))
		}
		if ru.Team == "" {
			errs = append(errs, fmt.Errorf("rules[%d].team: is required", i))
		}
	}
	if r.Default.Team == "" {
		errs = append(errs, errors.New("default.team: is required"))
	}
	return errors.Join(errs...)
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadsTheEmbeddedDefaultWhenNoDirectoryOrFileOverridesIt(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		got, err := policy.Load[routing](dir, "routing")
		if err != nil {
			t.Fatalf("dir %q: %v", dir, err)
		}
		if got.Source != "embedded default" || len(got.Value.Rules) == 0 || got.Value.Default.Team == "" {
			t.Fatalf("dir %q: loaded %+v", dir, got)
		}
		if !regexp.MustCompile(`^[^+]+\+[0-9a-f]{12}$`).MatchString(got.Version) || got.Value.Version != got.Version {
			t.Fatalf("version %q, value's %q", got.Version, got.Value.Version)
		}
	}
}

func TestAFileInTheDirectoryOverridesTheDefault(t *testing.T) {
	dir := t.TempDir()
	content := `version: "acme-7"
rules:
  - id: tv-to-video
    products: [tv]
    team: video-team
    within: 30s
default:
  id: fallback
  team: front-desk
`
	write(t, dir, "routing.yaml", content)
	got, err := policy.Load[routing](dir, "routing")
	if err != nil {
		t.Fatal(err)
	}
	// sha256 of content, first 12 hex digits
	want := "acme-7+" + sha12(content)
	if got.Version != want || got.Source != filepath.Join(dir, "routing.yaml") {
		t.Fatalf("version %q source %q, want %q", got.Version, got.Source, want)
	}
	if got.Value.Rules[0].Team != "video-team" || got.Value.Rules[0].Within != 30*time.Second {
		t.Fatalf("rules %+v", got.Value.Rules)
	}
	ref := got.Ref("tv-to-video")
	if ref.GetPolicy() != "routing" || ref.GetVersion() != want || ref.GetRuleId() != "tv-to-video" {
		t.Fatalf("ref %v", ref)
	}
}

func TestTheVersionChangesWithTheContentEvenUnderTheSameLabel(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write(t, a, "routing.yaml", "version: \"1\"\ndefault: {id: d, team: a}\n")
	write(t, b, "routing.yaml", "version: \"1\"\ndefault: {id: d, team: b}\n")
	la, err := policy.Load[routing](a, "routing")
	if err != nil {
		t.Fatal(err)
	}
	lb, err := policy.Load[routing](b, "routing")
	if err != nil {
		t.Fatal(err)
	}
	if la.Version == lb.Version || !strings.HasPrefix(la.Version, "1+") {
		t.Fatalf("versions %q and %q", la.Version, lb.Version)
	}
}

func TestErrorsNameTheFileAndTheField(t *testing.T) {
	cases := []struct {
		name, content string
		want          []string
	}{
		{"validation, every field", `version: "2"
rules:
  - id: a
    team: x
  - id: b
  - team: y
default: {id: d}
`, []string{
			"routing.yaml: rules[1].team: is required",
			"routing.yaml: rules[2].id: is required",
			"routing.yaml: default.team: is required",
		}},
		{"unknown field", "version: \"2\"\ndefault: {id: d, team: a}\nrulez: []\n",
			[]string{`routing.yaml: line 3 column 1: unknown field "rulez"`}},
		{"missing version", "default: {id: d, team: a}\n", []string{"routing.yaml: version: is required"}},
		{"version not a string", "version: 3\ndefault: {id: d, team: a}\n", []string{"routing.yaml: version: must be a non-empty string"}},
		{"bad duration", "version: \"2\"\nrules: [{id: a, team: b, within: soon}]\ndefault: {id: d, team: a}\n",
			[]string{`routing.yaml: time: invalid duration "soon"`}},
		{"not yaml", "version: [\n", []string{"routing.yaml: line"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "routing.yaml", c.content)
			_, err := policy.Load[routing](dir, "routing")
			var pe *policy.Error
			if !errors.As(err, &pe) || pe.File != "routing.yaml" {
				t.Fatalf("error %v, want a *policy.Error for routing.yaml", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestAnUnreadableOverrideIsAnErrorNotTheDefault(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "routing.yaml"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Load[routing](dir, "routing"); err == nil {
		t.Fatal("a directory named routing.yaml loaded without error")
	}
}

func TestEveryDefaultFileHasAVersionLabel(t *testing.T) {
	for _, name := range []string{"routing", "taxonomy", "regimes", "templates"} {
		if _, err := policy.LoadFS[anyDoc](policy.Defaults(), name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// anyDoc accepts any mapping, to check the defaults' common header.
type anyDoc map[string]any

func (anyDoc) Validate() error    { return nil }
func (*anyDoc) SetVersion(string) {}
