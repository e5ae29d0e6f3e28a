package web

import (
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/api"
)

// The verdict's chart: two bars, the rates in its accessible title and on
// the bars, the taller bar for the higher rate.
func TestTheVerdictChartDrawsTheRatesBeforeAndAfter(t *testing.T) {
	svg := string(beforeAfter(&api.Effectiveness{Verdict: "effective", BeforeCount: 40, BeforeExposure: 1000, AfterCount: 10, AfterExposure: 1000}))
	for _, want := range []string{`role="img"`, "Rate before: 40 of 1000 (4.00%); after: 10 of 1000 (1.00%)",
		`height="120.0"`, `height="30.0"`, ">before<", ">after<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q:\n%s", want, svg)
		}
	}
	if empty := string(beforeAfter(&api.Effectiveness{})); !strings.Contains(empty, `height="0.0"`) || strings.Contains(empty, "NaN") {
		t.Errorf("a verdict with no exposure: %s", empty)
	}
}
