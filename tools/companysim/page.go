package companysim

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// page is the scorecard for a process owner: each injected fault and storm
// on a timeline with when it was flagged, each action's true effect beside
// the verdict, the exact-figure checks.
var page = template.Must(template.New("score").Funcs(template.FuncMap{
	"x": func(sc *Scorecard, t time.Time) float64 {
		span := sc.Truth.End.Sub(sc.Truth.Start)
		if span <= 0 {
			return 0
		}
		return 40 + 560*float64(t.Sub(sc.Truth.Start))/float64(span)
	},
	"y":   func(i int) int { return 40 + 28*i },
	"add": func(a, b int) int { return a + b },
	"lag": func(a *time.Time, b time.Time) string {
		if a == nil {
			return "not flagged"
		}
		return hm(a.Sub(b))
	},
	"date":    func(t time.Time) string { return t.Format("2 Jan 2006 15:04") },
	"day":     func(t time.Time) string { return t.Format("2 Jan 2006") },
	"pct":     func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"rows":    func(sc *Scorecard) int { return len(sc.Faults) + len(sc.Storms) + 1 },
	"figures": func(sc *Scorecard) Figures { return sc.Figures() },
	"sub":     func(a, b float64) float64 { return max(a-b, 2) },
	"deref":   func(t *time.Time) time.Time { return *t },
	"ptr":     func(t time.Time) *time.Time { return &t },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Scenario}}: the system's reports against the truth</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}
.ok{color:#176f2c}.bad{color:#b3261e;font-weight:600}svg text{font-size:11px}
</style></head><body>
<h1>Scenario {{.Scenario}} (seed {{.Seed}})</h1>
<p>{{.Truth.Complaints}} simulated complaints over {{.Days}} days, from {{date .Truth.Start}}; {{.Series}} series watched by the detector.</p>
{{with figures .}}<ul>
<li>Faults of at least 3× their base for at least 3 days flagged: <b>{{.FaultsFlagged}} of {{.FaultsQualifying}}</b>; within a day of the resolutions that reveal them: <b>{{.FaultsTimely}} of {{.FaultsQualifying}}</b></li>
<li>Outage storms flagged: {{.StormsFlagged}} of {{.Storms}}; from intake volume, before any resolution, within 15 minutes: <b>{{.StormsEarly}} of {{.Storms}}</b></li>
<li>False alarms: <b>{{.FalseAlarms}}</b> ({{printf "%.1f" .FalseAlarmsPerYear}} a year)</li>
<li>Preventive-action verdicts right: {{.ActionsRight}} of {{.ActionsPowered}} with the power to tell; {{.ActionsUnpoweredRight}} of {{.ActionsUnpowered}} without</li>
<li>Exact figures equal to the truth: <b>{{.ChecksOK}} of {{.Checks}}</b></li>
</ul>{{end}}
<h2>Faults and storms on the timeline</h2>
<svg width="960" height="{{add (y (rows .)) 20}}" role="img" aria-label="timeline">
<line x1="40" x2="600" y1="25" y2="25" stroke="#999"/>
<text x="40" y="18">{{date .Truth.Start}}</text><text x="520" y="18">{{date .Truth.End}}</text>
{{$sc := .}}{{range $i, $f := .Faults}}
<rect x="{{x $sc $f.From}}" y="{{y $i}}" width="{{printf "%.1f" (sub (x $sc $f.To) (x $sc $f.From))}}" height="14" fill="{{if $f.Flagged}}#f4b400{{else}}#b3261e{{end}}"><title>{{$f.Cause}} / {{$f.Product}} ×{{$f.Factor}}</title></rect>
{{if $f.Detected}}<line x1="{{x $sc (deref $f.Detected)}}" x2="{{x $sc (deref $f.Detected)}}" y1="{{add (y $i) -4}}" y2="{{add (y $i) 18}}" stroke="#176f2c" stroke-width="3"/>{{end}}
<text x="{{x $sc $f.To}}" dx="6" y="{{add (y $i) 11}}">{{$f.Cause}} / {{$f.Product}} ×{{$f.Factor}}: {{if $f.Flagged}}flagged {{lag $f.Detected $f.From}} after onset{{else}}not flagged{{end}}</text>
{{end}}{{$n := len .Faults}}{{range $j, $s := .Storms}}
<circle cx="{{x $sc $s.Onset}}" cy="{{add (y (add $n $j)) 7}}" r="6" fill="#5b2a86"/>
<text x="{{x $sc $s.Onset}}" dx="10" y="{{add (y (add $n $j)) 11}}">storm: {{$s.Complaints}} {{$s.Product}} complaints in {{$s.Minutes}} min: {{if $s.Flagged}}flagged {{lag $s.Detected $s.Onset}} after onset{{else}}not flagged{{end}}; first resolution {{lag (ptr $s.FirstResolvedAt) $s.Onset}} after onset</text>
{{end}}
</svg>
<p>A fault is revealed by the resolution that brings the count of its complaints received on one of its days (or on all of them) and resolved with its cause to what an observer who knew the true base rate would flag at the detector's tail probability. Bars: injected faults (amber when flagged, red when not); green marks: when the system flagged them. Purple: outage storms.</p>
<table><tr><th>Fault</th><th>Product</th><th>Factor</th><th>From</th><th>Days</th><th>Complaints</th><th>Revealed after onset</th><th>Flagged</th><th>After onset</th><th>After its first resolution</th><th>After the resolutions that reveal it</th></tr>
{{range .Faults}}<tr><td>{{.Cause}}</td><td>{{.Product}}</td><td>×{{.Factor}}</td><td>{{day .From}}</td><td>{{.Days}}</td><td>{{.Complaints}}</td>
<td>{{if .RevealedAt.IsZero}}never{{else}}{{lag (ptr .RevealedAt) .From}}{{end}}</td>
<td class="{{if .Timely}}ok{{else}}bad{{end}}">{{if .Flagged}}yes{{else}}no{{end}}</td><td>{{lag .Detected .From}}</td><td>{{lag .Detected .FirstResolvedAt}}</td><td>{{if .RevealedAt.IsZero}}-{{else}}{{lag .Detected .RevealedAt}}{{end}}</td></tr>{{end}}
</table>
{{if .Actions}}<h2>Preventive actions: true effect and verdict</h2>
<table><tr><th>Action</th><th>Cause</th><th>True factor</th><th>Power to see the policy's fall</th><th>Power to see the true fall</th><th>Before</th><th>After</th><th>Verdict</th><th>Right verdict</th></tr>
{{range .Actions}}<tr><td>{{.Name}}</td><td>{{.Cause}} / {{.Product}}</td><td>×{{.TrueFactor}}</td><td>{{pct .PowerPolicy}}</td><td>{{pct .PowerTrue}}</td><td>{{.Before}}</td><td>{{.After}}</td>
<td class="{{if .Right}}ok{{else}}bad{{end}}">{{if .Verdict}}{{.Verdict}}{{else}}none{{end}}</td><td>{{if .Powered}}{{.Expected}}{{else}}inconclusive (too little data){{end}}</td></tr>{{end}}
</table>{{end}}
{{if .Alarms}}<h2>False alarms</h2><table><tr><th>Cause</th><th>Product</th><th>Day</th><th>Observed</th><th>Expected</th></tr>
{{range .Alarms}}<tr><td>{{.RootCause}}</td><td>{{.Product}}</td><td>{{day .WindowStart}}</td><td>{{.Observed}}</td><td>{{printf "%.1f" .Expected}}</td></tr>{{end}}</table>{{end}}
<h2>Exact figures</h2>
<table><tr><th>Report</th><th>Figure</th><th>Truth</th><th>System</th><th></th></tr>
{{range .Checks}}<tr><td>{{.Report}}</td><td>{{.Figure}}</td><td>{{.Want}}</td><td>{{.Got}}</td><td class="{{if .OK}}ok{{else}}bad{{end}}">{{if .OK}}equal{{else}}differs{{end}}</td></tr>{{end}}
</table>
</body></html>
`))

func renderHTML(w io.Writer, sc *Scorecard) error { return page.Execute(w, sc) }
