package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// comparison is the whole result: both sides, every run, and the figures.
type comparison struct {
	Base     side        `json:"base"`
	Head     side        `json:"head"`
	Rounds   int         `json:"rounds"`
	N        int         `json:"n"`
	C        int         `json:"c"`
	Watch    string      `json:"watch"`
	Figures  []figureRow `json:"figures"`
	BaseRuns []runResult `json:"base_runs"`
	HeadRuns []runResult `json:"head_runs"`
}

// figureRow is one figure: its median over the rounds on each side and the
// ratio HEAD/BASE (absent when BASE's median is 0).
type figureRow struct {
	Name   string    `json:"name"`
	Better string    `json:"better"` // "higher" or "lower"
	Base   float64   `json:"base_median"`
	Head   float64   `json:"head_median"`
	Ratio  *float64  `json:"ratio,omitempty"`
	BaseBy []float64 `json:"base_runs"`
	HeadBy []float64 `json:"head_runs"`
}

// figure is how one figure is read from a run.
type figure struct {
	name, better string
	of           func(runResult) float64
}

func perComplaint(v float64, r runResult) float64 {
	if r.Complaints == 0 {
		return 0
	}
	return v / float64(r.Complaints)
}

var figures = []figure{
	{"complaints/s", "higher", func(r runResult) float64 { return r.PerSecond }},
	{"server CPU ms / complaint", "lower", func(r runResult) float64 { return perComplaint(r.CPUMillis, r) }},
	{"peak RSS MiB", "lower", func(r runResult) float64 { return float64(r.PeakRSSBytes) / (1 << 20) }},
	{"submit→acknowledged p50 ms", "lower", func(r runResult) float64 { return r.Ack.P50 }},
	{"submit→acknowledged p99 ms", "lower", func(r runResult) float64 { return r.Ack.P99 }},
	{"submit→closed p50 ms", "lower", func(r runResult) float64 { return r.Closed.P50 }},
	{"submit→closed p99 ms", "lower", func(r runResult) float64 { return r.Closed.P99 }},
	{"durable messages / complaint", "lower", func(r runResult) float64 { return perComplaint(float64(sum(r.Streams)), r) }},
	{"messages written / complaint", "lower", func(r runResult) float64 { return perComplaint(float64(sum(r.Written)), r) }},
	{"event-log messages / complaint", "lower", func(r runResult) float64 {
		var n int64
		for _, s := range eventStreams {
			n += r.Streams[s]
		}
		return perComplaint(float64(n), r)
	}},
}

// summarize fills Figures from the runs.
func (c *comparison) summarize() {
	c.Figures = c.Figures[:0]
	for _, f := range figures {
		row := figureRow{Name: f.name, Better: f.better}
		for _, r := range c.BaseRuns {
			row.BaseBy = append(row.BaseBy, f.of(r))
		}
		for _, r := range c.HeadRuns {
			row.HeadBy = append(row.HeadBy, f.of(r))
		}
		row.Base, row.Head = median(row.BaseBy), median(row.HeadBy)
		if row.Base != 0 {
			ratio := row.Head / row.Base
			row.Ratio = &ratio
		}
		c.Figures = append(c.Figures, row)
	}
}

// median of vs: the middle value, or the mean of the two middle ones; 0
// for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func (s side) describe() string {
	if s.Name == "BASE" {
		return fmt.Sprintf("%s (%s)", s.Rev, short(s.Commit))
	}
	d := fmt.Sprintf("work tree at %s", short(s.Commit))
	if s.Dirty {
		d += " with uncommitted changes"
	}
	return d
}

func (c *comparison) print(w io.Writer, verbose bool) {
	watch := "polling the complaint view"
	if c.Watch == "events" {
		watch = "the ComplaintClosed events on NATS"
	}
	fmt.Fprintf(w, "BASE  %s\nHEAD  %s\n", c.Base.describe(), c.Head.describe())
	fmt.Fprintf(w, "%d round(s) of %d complaints, %d in flight, closures seen by %s; medians over the rounds\n\n",
		c.Rounds, c.N, c.C, watch)
	fmt.Fprintf(w, "%-30s %12s %12s %10s\n", "figure", "BASE", "HEAD", "HEAD/BASE")
	for _, f := range c.Figures {
		ratio := "n/a"
		if f.Ratio != nil {
			ratio = fmt.Sprintf("%.2f", *f.Ratio)
		}
		fmt.Fprintf(w, "%-30s %12s %12s %10s  (%s is better)\n", f.Name, num(f.Base), num(f.Head), ratio, f.Better)
	}
	if !verbose {
		return
	}
	fmt.Fprintf(w, "\nevery run:\n")
	for _, f := range c.Figures {
		fmt.Fprintf(w, "  %-30s BASE %s   HEAD %s\n", f.Name, nums(f.BaseBy), nums(f.HeadBy))
	}
	fmt.Fprintf(w, "\nmessages stored by stream, after each run:\n")
	for _, s := range []struct {
		name string
		runs []runResult
	}{{"BASE", c.BaseRuns}, {"HEAD", c.HeadRuns}} {
		for _, r := range s.runs {
			fmt.Fprintf(w, "  %s round %d (%d complaints):\n", s.name, r.Round, r.Complaints)
			names := make([]string, 0, len(r.Streams))
			for n := range r.Streams {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				fmt.Fprintf(w, "    %-32s %10d  %8.2f / complaint\n", n, r.Streams[n], perComplaint(float64(r.Streams[n]), r))
			}
		}
	}
}

// num prints a figure with three significant digits or more.
func num(v float64) string {
	switch {
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func nums(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = num(v)
	}
	return strings.Join(s, " ")
}
