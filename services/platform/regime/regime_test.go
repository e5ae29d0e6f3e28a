package regime_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/regime"
)

func load(t *testing.T) regime.Policy {
	t.Helper()
	p, err := regime.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func calendar(t *testing.T, p regime.Policy, name string) *regime.Calendar {
	t.Helper()
	c, ok := p.Calendars.Named(name)
	if !ok {
		t.Fatalf("calendar %q missing", name)
	}
	return c
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBusinessDaysSkipWeekendsAndHolidays(t *testing.T) {
	p := load(t)
	for _, c := range []struct {
		name     string
		calendar string
		from     string
		days     int
		want     string
	}{
		{"friday to monday", "utc", "2026-11-20T09:30:00Z", 1, "2026-11-23T23:59:59Z"},
		{"ten days over two weekends", "utc", "2026-11-20T09:30:00Z", 10, "2026-12-04T23:59:59Z"},
		{"saturday counts from monday", "utc", "2026-11-21T12:00:00Z", 1, "2026-11-23T23:59:59Z"},
		{"christmas and boxing day (substitute) in England", "england-and-wales", "2026-12-24T10:00:00Z", 1, "2026-12-29T23:59:59Z"},
		{"over Easter in England", "england-and-wales", "2026-04-02T10:00:00+01:00", 1, "2026-04-07T22:59:59Z"}, // BST
		{"new year in England", "england-and-wales", "2026-12-31T10:00:00Z", 3, "2027-01-06T23:59:59Z"},
		{"thanksgiving in the US", "us-federal", "2026-11-25T10:00:00-05:00", 1, "2026-11-28T04:59:59Z"},
		{"US day ends in New York", "us-federal", "2026-11-23T03:00:00Z", 1, "2026-11-24T04:59:59Z"}, // still Sunday 22:00 in NY
		{"Australia Day in NSW", "australia-nsw", "2026-01-23T10:00:00+11:00", 1, "2026-01-27T12:59:59Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := calendar(t, p, c.calendar).AddBusinessDays(at(c.from), c.days).UTC()
			if !got.Equal(at(c.want)) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestBusinessHoursCountOnlyWorkingTime(t *testing.T) {
	p := load(t)
	for _, c := range []struct {
		name     string
		calendar string
		from     string
		hours    time.Duration
		want     string
	}{
		{"inside one day", "england-and-wales", "2026-11-23T09:00:00Z", 4 * time.Hour, "2026-11-23T13:00:00Z"},
		{"across the evening", "england-and-wales", "2026-11-23T15:30:00Z", 4 * time.Hour, "2026-11-24T11:00:00Z"},
		{"before opening starts at opening", "england-and-wales", "2026-11-23T06:00:00Z", time.Hour, "2026-11-23T10:00:00Z"},
		{"friday evening to monday", "england-and-wales", "2026-11-20T17:00:00Z", 8 * time.Hour, "2026-11-23T16:30:00Z"},
		{"received at the weekend", "england-and-wales", "2026-11-21T12:00:00Z", 2 * time.Hour, "2026-11-23T11:00:00Z"},
		{"over the christmas holidays", "england-and-wales", "2026-12-24T16:00:00Z", 4 * time.Hour, "2026-12-29T11:30:00Z"},
		{"a whole working day exactly", "us-federal", "2026-11-24T09:00:00-05:00", 8 * time.Hour, "2026-11-24T22:00:00Z"},
		{"over thanksgiving", "us-federal", "2026-11-25T16:00:00-05:00", 2 * time.Hour, "2026-11-27T15:00:00Z"},
		{"summer time in London", "england-and-wales", "2026-07-01T16:30:00+01:00", 2 * time.Hour, "2026-07-02T09:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := calendar(t, p, c.calendar).AddBusinessHours(at(c.from), c.hours)
			if !got.Equal(at(c.want)) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestTheDefaultRegimesClocks(t *testing.T) {
	p := load(t)
	type due struct {
		clock string
		kind  string
		want  string
	}
	for _, c := range []struct {
		regime   string
		received string
		clocks   []due
	}{
		{"uk-fca", "2026-11-20T09:30:00Z", []due{
			{"summary-resolution", regime.Regulatory, "2026-11-25T23:59:59Z"}, // Mon, Tue, Wed
			{"final-response", regime.Regulatory, "2027-01-15T23:59:59Z"},     // 8 weeks, holidays included
			{"first-response", regime.Internal, "2026-11-20T13:30:00Z"},
			{"first-human-contact", regime.Internal, "2026-11-20T17:30:00Z"}, // 8 of the 8.5 working hours
			{"resolution", regime.Internal, "2026-11-27T23:59:59Z"},
		}},
		// 8 weeks from a spring receipt ends at midnight London time (BST).
		{"uk-fca", "2026-05-06T11:00:00+01:00", []due{{"final-response", regime.Regulatory, "2026-07-01T22:59:59Z"}}},
		// 15 business days over Christmas in England; 35 in exceptional cases.
		{"uk-fca-payments", "2026-12-14T10:00:00Z", []due{{"final-response", regime.Regulatory, "2027-01-07T23:59:59Z"}}},
		{"us-cfpb", "2026-11-20T09:30:00Z", []due{{"final-response", regime.Regulatory, "2026-12-05T23:59:59Z"}}},
		// ASIC: acknowledged by the end of the next NSW business day.
		{"au-asic", "2026-11-20T09:30:00Z", []due{
			{"acknowledgement", regime.Regulatory, "2026-11-23T12:59:59Z"}, // Friday night in Sydney: Monday
			{"final-response", regime.Regulatory, "2026-12-20T23:59:59Z"},
		}},
		{"default", "2026-11-20T09:30:00Z", []due{{"final-response", regime.Internal, "2026-12-04T23:59:59Z"}}},
	} {
		g, ok := p.Named(c.regime)
		if !ok {
			t.Fatalf("regime %q missing", c.regime)
		}
		for _, d := range c.clocks {
			k, ok := g.Clock(d.clock)
			if !ok {
				t.Fatalf("%s: no clock %q", c.regime, d.clock)
			}
			if got := k.Due(at(c.received)); !got.Equal(at(d.want)) || k.Kind != d.kind {
				t.Errorf("%s %s from %s: due %v (%s), want %s (%s)", c.regime, d.clock, c.received, got, k.Kind, d.want, d.kind)
			}
		}
	}
	payments, _ := p.Named("uk-fca-payments")
	final, _ := payments.Clock("final-response")
	if got, want := final.ExceptionalDue(at("2026-12-14T10:00:00Z")), at("2027-02-04T23:59:59Z"); !got.Equal(want) {
		t.Errorf("payments exceptional: %v, want %v", got, want)
	}
	cfpb, _ := p.Named("us-cfpb")
	final, _ = cfpb.Clock("final-response")
	if got, want := final.ExceptionalDue(at("2026-11-20T09:30:00Z")), at("2027-01-19T23:59:59Z"); !got.Equal(want) {
		t.Errorf("cfpb exceptional: %v, want %v", got, want)
	}
	if !final.SendsHoldingResponse() {
		t.Error("a regulatory final response sends the holding response")
	}
	fca, _ := p.Named("uk-fca")
	if summary, _ := fca.Clock("summary-resolution"); !summary.Window || summary.SendsHoldingResponse() {
		t.Errorf("summary resolution: %+v", summary)
	}
	if got, want := fca.RespondBy(at("2026-11-20T09:30:00Z")), at("2027-01-15T23:59:59Z"); !got.Equal(want) {
		t.Errorf("uk-fca promises %v, want the final-response clock's %v", got, want)
	}
}

func TestWarnBeforeIsADurationOrAShare(t *testing.T) {
	start, due := at("2026-11-20T00:00:00Z"), at("2026-11-30T00:00:00Z")
	for warn, want := range map[string]string{
		"":     "2026-11-28T00:00:00Z",
		"10%":  "2026-11-29T00:00:00Z",
		"48h":  "2026-11-28T00:00:00Z",
		"999h": "2026-11-20T00:00:00Z", // never before the start
	} {
		if got := (regime.Clock{WarnBefore: warn}).WarnAt(start, due); !got.Equal(at(want)) {
			t.Errorf("%q: %v, want %v", warn, got, want)
		}
	}
}

func TestTheShortFormIsOneRegulatoryFinalResponseClock(t *testing.T) {
	g := regime.Regime{Name: "demo", Within: 45 * time.Second}
	cs := g.AllClocks()
	if len(cs) != 1 || cs[0].Name != regime.FinalResponse || cs[0].Kind != regime.Regulatory {
		t.Fatalf("clocks %+v", cs)
	}
	if got := g.RespondBy(at("2026-11-20T09:30:00Z")); !got.Equal(at("2026-11-20T09:30:45Z")) || !g.Exact() {
		t.Fatalf("respond by %v", got)
	}
}

func TestPolicyFilesInErrorNameTheField(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for content, want := range map[string]string{
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    clocks:\n      - {name: f, kind: legal, within: 1s, met_by: resolved}\n":                       `regimes[0].clocks[0].kind: "legal" is not one of regulatory, internal`,
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    clocks:\n      - {name: f, kind: internal, met_by: resolved}\n":                                "regimes[0].clocks[0]: exactly one of business_days",
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    clocks:\n      - {name: f, kind: internal, within: 1s, met_by: pigs}\n":                        `regimes[0].clocks[0].met_by: "pigs"`,
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    clocks:\n      - {name: f, kind: internal, within: 1s, met_by: resolved, warn_before: soon}\n": `regimes[0].clocks[0].warn_before: "soon"`,
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    calendar: mars\n    within: 1s\n":                                                              `regimes[0].calendar: "mars" is not a calendar`,
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    within: 1s\n    clocks:\n      - {name: f, kind: internal, within: 1s, met_by: resolved}\n":    "regimes[0]: either clocks or one of",
	} {
		write("regimes.yaml", content)
		if _, err := regime.Load(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", content, err, want)
		}
	}
	write("regimes.yaml", "version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    within: 1s\n")
	write("calendars.yaml", "version: \"x\"\ndefault: c\ncalendars:\n  - {name: c, time_zone: Mars/Olympus, working_days: [mon, funday], hours: {start: \"17:00\", end: \"09:00\"}, holidays: [\"2026-13-01\"]}\n")
	_, err := regime.Load(dir)
	for _, want := range []string{
		`calendars[0].time_zone: "Mars/Olympus"`, `calendars[0].working_days: "funday"`, "calendars[0].hours: end must be after start", `calendars[0].holidays: "2026-13-01"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("calendars: %v, want %q", err, want)
		}
	}
}

// A time allowed beyond ten years is refused: counting it day by day would
// stall every complaint's intake, and a due day beyond the calendar's range
// would wrap to a date before the complaint's receipt.
func TestATimeAllowedBeyondTenYearsIsRefused(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    business_days: 100000000\n":                                                                                              "regimes[0]: the response time must be at most ten years",
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    calendar_days: 4611686018427387904\n":                                                                                    "regimes[0]: the response time must be at most ten years",
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    clocks:\n      - {name: f, kind: internal, weeks: 1152921504606846976, met_by: resolved}\n":                              "regimes[0].clocks[0]: the time allowed must be at most ten years",
		"version: \"x\"\ndefault: a\nslas:\n  - {name: s, kind: internal, business_hours: 1000000h, met_by: resolved}\nregimes:\n  - {name: a, within: 1s}\n":                            "slas[0]: the time allowed must be at most ten years",
		"version: \"x\"\ndefault: a\nregimes:\n  - name: a\n    clocks:\n      - {name: f, kind: regulatory, business_days: 15, exceptional: {business_days: 5000}, met_by: resolved}\n": "regimes[0].clocks[0].exceptional: the time allowed must be at most ten years",
	} {
		if err := os.WriteFile(filepath.Join(dir, "regimes.yaml"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := regime.Load(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", content, err, want)
		}
	}
}
