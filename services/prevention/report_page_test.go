package prevention_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
)

// shownPrevention is what the report page shows of systemic issues and
// preventive actions in this test.
type shownPrevention struct{}

func (shownPrevention) SystemicIssues(context.Context, time.Time) ([]api.SystemicIssue, error) {
	return []api.SystemicIssue{
		{ID: "i1", RootCause: "network.outage", Status: "open", Observed: 14, Expected: 4, UpperLimit: 9.2, Method: "poisson-ewma",
			ComplaintIDs: []string{"c1", "c2"}, WindowStart: day0, WindowEnd: day0.Add(7 * 24 * time.Hour), DetectedAt: day0},
		{ID: "i2", RootCause: "billing.error", Product: "card", Status: "open", Observed: 8, Expected: 2, UpperLimit: 6, Method: "poisson-ewma",
			WindowStart: day0, WindowEnd: day0.Add(7 * 24 * time.Hour), DetectedAt: day0},
		{ID: "i3", RootCause: "old.cause", Status: "closed", Observed: 99, UpperLimit: 1},
	}, nil
}

func (shownPrevention) PreventiveActions(context.Context, time.Time) ([]api.PreventiveAction, error) {
	return []api.PreventiveAction{
		{ID: "a1", IssueID: "i1", RootCause: "network.outage", Owner: "network operations", Description: "Add a second uplink",
			Due: day0, Status: "evaluated", Effectiveness: &api.Effectiveness{Verdict: "effective", BeforeCount: 40, BeforeExposure: 400,
				AfterCount: 10, AfterExposure: 420, RateRatio: 0.24, PValue: 0.0001, Method: "poisson-rate-ratio"}},
		{ID: "a2", RootCause: "billing.error", Owner: "billing process", Description: "Fix the rounding rule", Due: day0, Status: "open"},
	}, nil
}

// chromium is the headless browser the page is rendered with: the Debian
// package, which `make deps` (run by `make test`) installs.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run `make deps` (apt-get install -y chromium); the report page must be checked in a browser")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(), "--window-size=1280,2600"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestTheReportPageShowsItsChartsInABrowser renders /reports in headless
// Chromium and checks the DOM holds the four charts and the screenshot
// shows them: pixels of each chart's colours.
func TestTheReportPageShowsItsChartsInABrowser(t *testing.T) {
	bin := chromium(t)
	f := newFixture(t, shownPrevention{})
	for i := range 12 {
		f.lifecycle(day0.Add(time.Duration(i)*20*time.Hour), []string{"card", "loan"}[i%2], []string{"network.outage", "billing.error", "network.outage", "fees.unclear"}[i%4], 1000)
	}
	f.waitFor(f.lifecycle(day0.Add(9*24*time.Hour), "card", "network.outage", 0))

	// A browser reaches the page through the single sign-on proxy that adds
	// the bearer token; this server plays that part.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer owner-token")
		f.handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	url := srv.URL + "/reports"

	dom := string(runChromium(t, bin, "--dump-dom", url))
	for _, want := range []string{`<svg id="pareto"`, `class="bar"`, `class="cumulative"`, `<svg id="trend"`, `class="series"`,
		`<svg id="issues"`, `class="issue"`, `class="before-after"`, `class="after"`, "Add a second uplink", "network.outage"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page has no %s", want)
		}
	}
	if strings.Contains(dom, "old.cause") {
		t.Error("the page shows a closed systemic issue among the open ones")
	}

	shot := filepath.Join(t.TempDir(), "reports.png")
	runChromium(t, bin, "--screenshot="+shot, url)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("REPORT_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "reports.png"), data, 0o644)
	}
	// Each chart's colour, and the least number of its pixels that shows
	// the chart was drawn.
	for _, c := range []struct {
		chart   string
		r, g, b uint8
		least   int
	}{
		{"Pareto bars", 0x18, 0x64, 0xab, 3000},
		{"Pareto cumulative line", 0xe8, 0x59, 0x0c, 300},
		{"trend of the top cause", 0xd9, 0x48, 0x0f, 300},
		{"open systemic issues", 0xc9, 0x2a, 0x2a, 2000},
		{"action before bar", 0x86, 0x8e, 0x96, 1000},
	} {
		if n := countColour(img, c.r, c.g, c.b); n < c.least {
			t.Errorf("%s: %d pixels of #%02x%02x%02x in the screenshot, want at least %d", c.chart, n, c.r, c.g, c.b, c.least)
		}
	}
}

func countColour(img image.Image, r, g, b uint8) int {
	near := func(a uint32, want uint8) bool {
		d := int(a>>8) - int(want)
		return d > -12 && d < 12
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}
