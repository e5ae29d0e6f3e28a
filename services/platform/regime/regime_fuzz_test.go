package regime_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/regime"
)

// FuzzLoad loads arbitrary regimes.yaml and calendars.yaml files from a
// configuration directory: no panic, a refusal names the file at fault, and
// every clock of an accepted policy gives a due time and a warning time.
func FuzzLoad(f *testing.F) {
	defRegimes, err := fs.ReadFile(policy.Defaults(), "regimes.yaml")
	if err != nil {
		f.Fatal(err)
	}
	defCalendars, err := fs.ReadFile(policy.Defaults(), "calendars.yaml")
	if err != nil {
		f.Fatal(err)
	}
	cal := []byte("version: \"c\"\ndefault: uk\ncalendars:\n  - {name: uk, time_zone: Europe/London, working_days: [mon, tue], hours: {start: \"09:00\", end: \"17:00\"}, holidays: [\"2026-12-25\"]}\n")
	f.Add(defRegimes, defCalendars)
	f.Add([]byte("version: \"r\"\ndefault: a\nregimes:\n  - {name: a, business_days: 8}\n"), cal)
	f.Add([]byte("version: \"r\"\ndefault: a\nslas: [{name: s, kind: internal, business_hours: 4h, met_by: human-contact, warn_before: \"50%\"}]\nregimes:\n  - name: a\n    calendar: uk\n    clocks: [{name: final-response, kind: regulatory, weeks: 8, met_by: final-response, exceptional: {business_days: 35}, warn_before: 48h}]\n"), cal)
	f.Add([]byte("version: \"r\"\ndefault: a\nregimes:\n  - {name: a, calendar: nowhere, within: 30s}\n"), cal)
	f.Add([]byte("version: \"r\"\ndefault: a\nregimes:\n  - {name: a, business_days: -1, calendar_days: 3}\n"), cal)
	f.Add([]byte("version: \"r\"\ndefault: a\nregimes:\n  - {name: a, clocks: [{name: \"x y\", kind: slow, met_by: never, warn_before: soon}]}\n"), cal)
	f.Add(defRegimes, []byte("version: \"c\"\ndefault: x\ncalendars:\n  - {name: x, time_zone: Mars/Olympus, working_days: [funday], hours: {start: \"25:00\", end: \"08:00\"}, holidays: [tomorrow]}\n"))
	f.Add(defRegimes, []byte("version: [\n"))
	f.Add([]byte("&a [*a]"), []byte{})
	f.Add([]byte{}, []byte{})
	dir := f.TempDir()
	start := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, regimes, calendars []byte) {
		for name, data := range map[string][]byte{"regimes.yaml": regimes, "calendars.yaml": calendars} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		p, err := regime.Load(dir)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "regimes.yaml: ") && !strings.HasPrefix(msg, "calendars.yaml: ") {
				t.Fatalf("refusal names no file: %q", msg)
			}
			return
		}
		if _, ok := p.Named(""); !ok {
			t.Fatal("accepted a policy without its default regime")
		}
		for _, name := range p.Regimes.Names() {
			g, ok := p.Named(name)
			if !ok {
				t.Fatalf("regime %q listed but not found", name)
			}
			for _, c := range g.AllClocks() {
				due := c.Due(start)
				if due.Before(start) {
					t.Fatalf("clock %s of %s is due %v, before its start %v", c.Name, name, due, start)
				}
				c.WarnAt(start, due)
			}
		}
	})
}
