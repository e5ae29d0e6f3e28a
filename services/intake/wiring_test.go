package intake_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/intake/app"
)

func TestTheDefaultRegimesKeepTheirClocks(t *testing.T) {
	p, err := intake.LoadPolicy("")
	if err != nil {
		t.Fatal(err)
	}
	receivedAt := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) // a Friday
	for name, want := range map[string]time.Time{
		"":        time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC),
		"default": time.Date(2026, 12, 4, 23, 59, 59, 0, time.UTC),
		"uk-fca":  time.Date(2027, 1, 15, 23, 59, 59, 0, time.UTC),
		"us-cfpb": time.Date(2026, 12, 5, 23, 59, 59, 0, time.UTC),
		"au-asic": time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC),
	} {
		r, ok := p.Regimes.Named(name)
		if !ok {
			t.Fatalf("regime %q missing", name)
		}
		if got := r.RespondBy(receivedAt); !got.Equal(want) {
			t.Errorf("%q: respond by %v, want %v", name, got, want)
		}
	}
}

func TestAConfigDirectoryChangesTheRegimesAndAFileInErrorStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) {
		if err := os.WriteFile(filepath.Join(dir, "regimes.yaml"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("version: \"demo-1\"\ndefault: demo\nregimes:\n  - name: demo\n    within: 45s\n")
	t.Setenv("CONFIG_DIR", dir)
	t.Setenv("REGIME", "")
	cfg, err := intake.ConfigFromEnv()
	if err != nil || cfg.ConfigDir != dir {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	p, err := intake.LoadPolicy(cfg.ConfigDir)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Regimes.Named(""); r.Within != 45*time.Second || !strings.HasPrefix(p.Regimes.Version, "demo-1+") {
		t.Fatalf("regime %+v version %q", r, p.Regimes.Version)
	}
	if _, err := app.New(app.Deps{Policy: p, Regime: "uk-fca"}); err == nil || !strings.Contains(err.Error(), `regime "uk-fca" is not in regimes.yaml`) {
		t.Fatalf("a regime the policy lacks: %v", err)
	}

	write("version: \"demo-2\"\ndefault: demo\nregimes:\n  - name: demo\n    within: 45s\n    weeks: 3\n")
	if _, err := intake.LoadPolicy(dir); err == nil || !strings.Contains(err.Error(), `regimes.yaml: line 6 column 5: unknown field "weeks"`) {
		t.Fatalf("unknown field: %v", err)
	}
	write("version: \"demo-3\"\ndefault: demo\nregimes:\n  - name: demo\n")
	if _, err := intake.LoadPolicy(dir); err == nil ||
		!strings.Contains(err.Error(), "regimes.yaml: regimes[0]: exactly one of business_days, calendar_days and within is required") {
		t.Fatalf("regime without a clock: %v", err)
	}
}

func TestAConfigDirectoryChangesTheProductsAndTheRecontactWindow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("products.yaml", "version: \"shop-1\"\ncategories:\n  - code: garden\n    products: [lawnmower, hose]\n")
	write("recontact.yaml", "version: \"c-1\"\nrecontact_window: 168h\n")
	p, err := intake.LoadPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := p.Products.CategoryOf("hose"); !ok || c != "garden" {
		t.Fatalf("hose: %q %v", c, ok)
	}
	if _, ok := p.Products.CategoryOf("broadband"); ok {
		t.Fatal("the default taxonomy is still in force")
	}
	if p.Contacts.RecontactWindow != 7*24*time.Hour {
		t.Fatalf("window %v", p.Contacts.RecontactWindow)
	}
	write("products.yaml", "version: \"shop-2\"\ncategories:\n  - code: garden\n    products: [Lawn Mower]\n")
	if _, err := intake.LoadPolicy(dir); err == nil || !strings.Contains(err.Error(), `categories[0].products[0]: "Lawn Mower" must be`) {
		t.Fatalf("bad product: %v", err)
	}
}

func TestTheDefaultPoliciesLoad(t *testing.T) {
	p, err := intake.LoadPolicy("")
	if err != nil {
		t.Fatal(err)
	}
	for _, product := range []string{"broadband", "mobile", "tv", "billing", "delivery", "insurance", "loan"} {
		if _, ok := p.Products.CategoryOf(product); !ok {
			t.Errorf("%s is not in the default taxonomy", product)
		}
	}
	if p.Contacts.RecontactWindow != 30*24*time.Hour {
		t.Errorf("default recontact window %v", p.Contacts.RecontactWindow)
	}
}
