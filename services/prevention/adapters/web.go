package adapters

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/prevention/app"
)

// PreventionView is what the HTML report shows of systemic issues and
// preventive actions, as of an instant (zero: now).
type PreventionView interface {
	SystemicIssues(ctx context.Context, asOf time.Time) ([]api.SystemicIssue, error)
	PreventiveActions(ctx context.Context, asOf time.Time) ([]api.PreventiveAction, error)
}

// NoPrevention is a PreventionView with no issue and no action.
type NoPrevention struct{}

// SystemicIssues implements PreventionView.
func (NoPrevention) SystemicIssues(context.Context, time.Time) ([]api.SystemicIssue, error) {
	return nil, nil
}

// PreventiveActions implements PreventionView.
func (NoPrevention) PreventiveActions(context.Context, time.Time) ([]api.PreventiveAction, error) {
	return nil, nil
}

//go:embed report.html.tmpl
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"f2":   func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"money": func(minor int64) string {
		return fmt.Sprintf("%d.%02d", minor/100, abs(minor%100))
	},
}).Parse(reportHTML))

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Chart geometry: every chart is drawn in a fixed viewBox.
const (
	chartW, chartH = 720.0, 260.0
	padL, padR     = 48.0, 48.0
	padT, padB     = 16.0, 64.0
)

// Palette of the trend lines, one per top cause.
var palette = []string{"#d9480f", "#2f9e44", "#7048e8", "#1c7ed6", "#e8590c", "#0c8599"}

type bar struct {
	X, Y, W, H float64
	Label      string
	Value      string
	LX, LY     float64
}

type point struct{ X, Y float64 }

type series struct {
	Name   string
	Color  string
	Points string
	Dots   []point
}

type tick struct {
	Y     float64
	Label string
}

type beforeAfter struct {
	Action                    api.PreventiveAction
	Before, After             bar
	BeforeRate, AfterRate     string
	Verdict                   string
	HasEffect                 bool
	ChartW, ChartH, BaselineY float64
}

type page struct {
	GeneratedAt time.Time
	AsOf        *time.Time
	Position    uint64
	Filter      api.ReportFilter
	Root        api.RootCauseReport
	Effort      api.EffortReport
	// Pareto
	Bars  []bar
	Cum   string
	CumPt []point
	Ticks []tick
	// Trend
	Trend      []series
	WeekLabels []bar
	TrendTicks []tick
	// Systemic issues and actions
	Issues      []api.SystemicIssue
	IssueBars   []bar
	IssueLimits []bar
	Actions     []beforeAfter
	W, H        float64
	BaseY       float64
}

func (h HTTP) page(w http.ResponseWriter, r *http.Request) {
	q, v := query(r)
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	root, err := h.App.RootCauses(r.Context(), q)
	if err != nil {
		answer(w, r, rootCausesWire(root), err)
		return
	}
	effort, err := h.App.Effort(r.Context(), q, app.DefaultRecontactDays)
	if err != nil {
		answer(w, r, effortWire(effort), err)
		return
	}
	pv := h.Prevention
	if pv == nil {
		pv = NoPrevention{}
	}
	issues, err := pv.SystemicIssues(r.Context(), q.AsOf)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	actions, err := pv.PreventiveActions(r.Context(), q.AsOf)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	pg := buildPage(rootCausesWire(root), effortWire(effort), issues, actions)
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, pg); err != nil {
		slog.ErrorContext(r.Context(), "report page", "err", err)
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:")
	_, _ = w.Write(buf.Bytes())
}

// niceMax rounds a chart's top value up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func yTicks(top float64, y func(float64) float64) []tick {
	var out []tick
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		out = append(out, tick{Y: y(v), Label: fmt.Sprintf("%g", math.Round(v*100)/100)})
	}
	return out
}

// TopCauses is how many causes the Pareto and the trend show.
const TopCauses = 10

// TrendCauses is how many of the top causes the weekly trend draws.
const TrendCauses = 5

func buildPage(root api.RootCauseReport, effort api.EffortReport, issues []api.SystemicIssue, actions []api.PreventiveAction) page {
	pg := page{GeneratedAt: root.GeneratedAt, AsOf: root.AsOf, Position: root.Position, Filter: root.Filter,
		Root: root, Effort: effort, W: chartW, H: chartH, BaseY: chartH - padB}
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	causes := root.Causes
	if len(causes) > TopCauses {
		causes = causes[:TopCauses]
	}
	if len(causes) > 0 {
		top := niceMax(float64(causes[0].Complaints))
		y := func(v float64) float64 { return padT + plotH - plotH*v/top }
		slot := plotW / float64(len(causes))
		cum := ""
		for i, c := range causes {
			x := padL + float64(i)*slot
			b := bar{X: x + slot*0.15, W: slot * 0.7, Y: y(float64(c.Complaints)), Label: c.RootCause, Value: fmt.Sprint(c.Complaints)}
			b.H = padT + plotH - b.Y
			b.LX, b.LY = x+slot/2, chartH-padB+14
			pg.Bars = append(pg.Bars, b)
			cy := padT + plotH - plotH*c.Cumulative
			cum += fmt.Sprintf("%.1f,%.1f ", x+slot/2, cy)
			pg.CumPt = append(pg.CumPt, point{X: x + slot/2, Y: cy})
		}
		pg.Cum = cum
		pg.Ticks = yTicks(top, y)
	}
	if len(root.Weeks) > 0 {
		top := 0.0
		n := min(TrendCauses, len(root.Trend))
		for _, t := range root.Trend[:n] {
			for _, c := range t.Counts {
				top = math.Max(top, float64(c))
			}
		}
		top = niceMax(top)
		y := func(v float64) float64 { return padT + plotH - plotH*v/top }
		step := plotW
		if len(root.Weeks) > 1 {
			step = plotW / float64(len(root.Weeks)-1)
		}
		x := func(i int) float64 {
			if len(root.Weeks) == 1 {
				return padL + plotW/2
			}
			return padL + float64(i)*step
		}
		for i, t := range root.Trend[:n] {
			s := series{Name: t.RootCause, Color: palette[i%len(palette)]}
			for j, c := range t.Counts {
				p := point{X: x(j), Y: y(float64(c))}
				s.Points += fmt.Sprintf("%.1f,%.1f ", p.X, p.Y)
				s.Dots = append(s.Dots, p)
			}
			pg.Trend = append(pg.Trend, s)
		}
		every := max(1, len(root.Weeks)/8)
		for i, wk := range root.Weeks {
			if i%every == 0 {
				pg.WeekLabels = append(pg.WeekLabels, bar{LX: x(i), LY: chartH - padB + 14, Label: wk.Format("01-02")})
			}
		}
		pg.TrendTicks = yTicks(top, y)
	}
	for _, is := range issues {
		if is.Status == "open" {
			pg.Issues = append(pg.Issues, is)
		}
	}
	sort.Slice(pg.Issues, func(i, j int) bool { return pg.Issues[i].DetectedAt.After(pg.Issues[j].DetectedAt) })
	if len(pg.Issues) > 0 {
		top := 0.0
		for _, is := range pg.Issues {
			top = math.Max(top, math.Max(float64(is.Observed), is.UpperLimit))
		}
		top = niceMax(top)
		y := func(v float64) float64 { return padT + plotH - plotH*v/top }
		shown := pg.Issues
		if len(shown) > TopCauses {
			shown = shown[:TopCauses]
		}
		slot := plotW / float64(len(shown))
		for i, is := range shown {
			x := padL + float64(i)*slot
			label := is.RootCause
			if is.Product != "" {
				label = is.Product + " / " + is.RootCause
			}
			b := bar{X: x + slot*0.2, W: slot * 0.6, Y: y(float64(is.Observed)), Label: label, Value: fmt.Sprint(is.Observed)}
			b.H = padT + plotH - b.Y
			b.LX, b.LY = x+slot/2, chartH-padB+14
			pg.IssueBars = append(pg.IssueBars, b)
			pg.IssueLimits = append(pg.IssueLimits, bar{X: x + slot*0.1, W: slot * 0.8, Y: y(is.UpperLimit), Value: fmt.Sprintf("%.1f", is.UpperLimit)})
		}
	}
	for _, a := range actions {
		ba := beforeAfter{Action: a, Verdict: a.Status, ChartW: 260, ChartH: 140, BaselineY: 110}
		if e := a.Effectiveness; e != nil {
			ba.HasEffect = true
			ba.Verdict = e.Verdict
			before, after := rate(e.BeforeCount, e.BeforeExposure), rate(e.AfterCount, e.AfterExposure)
			top := niceMax(math.Max(before, after))
			h := func(v float64) float64 { return 90 * v / top }
			ba.Before = bar{X: 40, W: 70, H: h(before), Label: "before"}
			ba.Before.Y = 110 - ba.Before.H
			ba.After = bar{X: 150, W: 70, H: h(after), Label: "after"}
			ba.After.Y = 110 - ba.After.H
			ba.BeforeRate, ba.AfterRate = fmt.Sprintf("%.3g", before), fmt.Sprintf("%.3g", after)
		}
		pg.Actions = append(pg.Actions, ba)
	}
	return pg
}

// rate is a count per unit of exposure (per complaint, when the exposure is
// the complaint volume).
func rate(n int64, exposure float64) float64 {
	if exposure <= 0 {
		return 0
	}
	return float64(n) / exposure
}
