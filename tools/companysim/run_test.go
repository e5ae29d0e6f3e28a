package companysim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
)

// TestAShortScenarioThroughTheServicesScoresEveryExactFigure drives six
// weeks of a small company through the services on the simulated clock and
// scores the reports: every exact figure equals the truth, the fault is
// flagged within a day of the resolutions that reveal it, the outage storm is flagged from intake volume before any of its
// complaints is resolved, no false alarm, and nothing happened that the
// plan did not say.
func TestAShortScenarioThroughTheServicesScoresEveryExactFigure(t *testing.T) {
	s, err := Load("testdata/short.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Generate(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := Start(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Drive(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.Anomalies) > 0 {
		t.Errorf("the system did what the plan did not say:\n%s", strings.Join(r.Anomalies, "\n"))
	}
	c := client.New(r.URL, 4)
	c.Auth = client.Credentials{Token: r.Token}
	sc, err := Score(ctx, c, r.Truth, s)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	sc.Table(&table)
	t.Log("\n" + table.String())
	for _, ch := range sc.Checks {
		if !ch.OK && !ch.Informative {
			t.Errorf("%s %s: truth %s, system %s", ch.Report, ch.Figure, ch.Want, ch.Got)
		}
	}
	if f := sc.Figures(); f.FaultsFlagged != f.FaultsQualifying || f.FaultsQualifying != 1 || f.FaultsTimely != 1 {
		t.Errorf("faults flagged %d of %d, %d within a day of the resolutions that reveal them, want 1 of 1", f.FaultsFlagged, f.FaultsQualifying, f.FaultsTimely)
	}
	if f := sc.Figures(); f.Storms != 1 || f.StormsEarly != 1 {
		t.Errorf("storms flagged early from intake volume: %d of %d, want 1 of 1", f.StormsEarly, f.Storms)
	}
	if f := sc.Figures(); f.FalseAlarms != 0 {
		t.Errorf("%d false alarms: %+v", f.FalseAlarms, sc.Alarms)
	}
	if r.Truth.Complaints < 500 || r.Events < 10*r.Truth.Complaints {
		t.Errorf("%d complaints, %d events: the run did not go through", r.Truth.Complaints, r.Events)
	}
}
