package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
)

const reportUsage = "[root-causes|effort|regulatory|actions] [-from T] [-to T] [-product P] [-channel C] [-team T] [-as-of T] [-regime R] [-csv fca|cfpb] [-recontact-days N]"

// timeFlag is an optional RFC 3339 time (a date alone means its midnight UTC).
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			f.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("want an RFC 3339 time (2026-01-31T00:00:00Z) or a date (2026-01-31)")
}

// cmdReport prints one of the reports as a table: the root-cause Pareto
// (the default), customer effort, a regime's complaints return, or the
// preventive actions with their measured effect.
func cmdReport(g *cli, args []string) error {
	fs := g.flags("report", reportUsage)
	var from, to, asOf timeFlag
	var q client.ReportQuery
	var csvExport string
	fs.Var(&from, "from", "complaints received (regulatory: opened or closed) at or after this time")
	fs.Var(&to, "to", "... and before this time")
	fs.Var(&asOf, "as-of", "the report as it stood at this instant")
	fs.StringVar(&q.Product, "product", "", "only this product")
	fs.StringVar(&q.Channel, "channel", "", "only this channel")
	fs.StringVar(&q.Team, "team", "", "only this team")
	fs.StringVar(&q.Regime, "regime", "", "regulatory: the regime (uk-fca, us-cfpb, ...)")
	fs.StringVar(&csvExport, "csv", "", `regulatory: print CSV, "fca" (the return) or "cfpb" (one line per complaint)`)
	fs.IntVar(&q.RecontactDays, "recontact-days", 0, "effort: days after closure within which a new complaint is a recontact (default 7)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	which := "root-causes"
	if len(pos) > 1 {
		fmt.Fprintf(g.stderr, "complaintctl: unexpected arguments %q\n", pos[1:])
		fs.Usage()
		return errUsage
	}
	if len(pos) == 1 {
		which = pos[0]
	}
	q.From, q.To, q.AsOf = from.t, to.t, asOf.t
	ctx, cancel := g.context()
	defer cancel()
	c := g.client()
	switch which {
	case "root-causes":
		r, err := c.RootCauseReportFor(ctx, q)
		if err != nil {
			return err
		}
		return g.print(r, func(w io.Writer) { printRootCauses(w, r) })
	case "effort":
		r, err := c.Effort(ctx, q)
		if err != nil {
			return err
		}
		return g.print(r, func(w io.Writer) { printEffort(w, r) })
	case "regulatory":
		if csvExport != "" {
			data, err := c.RegulatoryCSV(ctx, q, csvExport)
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(data)
			return err
		}
		r, err := c.Regulatory(ctx, q)
		if err != nil {
			return err
		}
		return g.print(r, func(w io.Writer) { printRegulatory(w, r) })
	case "actions":
		r, err := c.PreventiveActions(ctx)
		if err != nil {
			return err
		}
		return g.print(r, func(w io.Writer) { printActions(w, r.Actions) })
	default:
		fmt.Fprintf(g.stderr, "complaintctl: no report %q: want root-causes, effort, regulatory or actions\n", which)
		fs.Usage()
		return errUsage
	}
}

func header(w io.Writer, what string, position uint64, generated time.Time, asOf *time.Time, f client.ReportFilter) {
	fmt.Fprintf(w, "%s (log position %d, %s", what, position, fmtTime(generated))
	if asOf != nil {
		fmt.Fprintf(w, ", as of %s", fmtTime(*asOf))
	}
	fmt.Fprint(w, ")")
	var parts []string
	if f.From != nil {
		parts = append(parts, "from "+fmtTime(*f.From))
	}
	if f.To != nil {
		parts = append(parts, "to "+fmtTime(*f.To))
	}
	for name, v := range map[string]string{"product": f.Product, "channel": f.Channel, "team": f.Team} {
		if v != "" {
			parts = append(parts, name+" "+v)
		}
	}
	sort.Strings(parts)
	if len(parts) > 0 {
		fmt.Fprintf(w, "\n%s", strings.Join(parts, ", "))
	}
	fmt.Fprint(w, "\n\n")
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func printRootCauses(w io.Writer, r client.RootCauseReport) {
	header(w, fmt.Sprintf("%d resolved complaints by root cause", r.Total), r.Position, r.GeneratedAt, r.AsOf, r.Filter)
	t := table(w)
	fmt.Fprintf(t, "ROOT CAUSE\tCOMPLAINTS\tSHARE\tCUMULATIVE\tREDRESS PAID\tMEAN EFFORT\tCES\tREOPEN\tREPEAT CONTACT\n")
	for _, c := range r.Causes {
		ces := "-"
		if c.CESAnswers > 0 {
			ces = fmt.Sprintf("%.2f", c.CES)
		}
		fmt.Fprintf(t, "%s\t%d\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\n", c.RootCause, c.Complaints, pct(c.Share), pct(c.Cumulative),
			fmtMinor(c.RedressPaidMinor), c.MeanEffort, ces, pct(c.ReopenRate), pct(c.RepeatContactRate))
	}
	t.Flush()
	if len(r.Weeks) == 0 {
		return
	}
	weeks := r.Weeks
	first := 0
	if len(weeks) > 8 {
		first = len(weeks) - 8
	}
	fmt.Fprintf(w, "\nComplaints per week of receipt (last %d weeks)\n\n", len(weeks)-first)
	t = table(w)
	fmt.Fprint(t, "ROOT CAUSE")
	for _, wk := range weeks[first:] {
		fmt.Fprintf(t, "\t%s", wk.Format("01-02"))
	}
	fmt.Fprintln(t)
	for _, tr := range r.Trend {
		fmt.Fprint(t, tr.RootCause)
		for _, n := range tr.Counts[first:] {
			fmt.Fprintf(t, "\t%d", n)
		}
		fmt.Fprintln(t)
	}
	t.Flush()
}

func fmtMinor(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

func printEffort(w io.Writer, r client.EffortReport) {
	header(w, fmt.Sprintf("Customer effort of %d complaints", r.Overall.Complaints), r.Position, r.GeneratedAt, r.AsOf, r.Filter)
	t := table(w)
	fmt.Fprintf(t, "GROUP\tCOMPLAINTS\tREPEAT CONTACT\tRECONTACT %dd\tTRANSFERS\tCHANNEL SWITCHES\tINFO REQUESTS\tFCR\tREOPEN\tMEAN EFFORT\tCES\n", r.RecontactDays)
	row := func(name string, f client.EffortFigures) {
		ces := "-"
		if f.CES.Answers > 0 {
			ces = fmt.Sprintf("%.2f (%d)", f.CES.Mean, f.CES.Answers)
		}
		fmt.Fprintf(t, "%s\t%d\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t%.2f\t%s\n", name, f.Complaints, pct(f.RepeatContactRate), pct(f.RecontactRate),
			f.TransfersPerComplaint, f.ChannelSwitchesPerComplaint, f.InformationRequestsPerComplaint, pct(f.FCRRate), pct(f.ReopenRate), f.MeanEffort, ces)
	}
	row("all", r.Overall)
	for _, g := range []struct {
		name string
		rows []client.EffortGroup
	}{{"cause", r.ByCause}, {"product", r.ByProduct}, {"team", r.ByTeam}} {
		for _, e := range g.rows {
			row(g.name+": "+e.Key, e.EffortFigures)
		}
	}
	t.Flush()
	if r.Overall.CES.Answers > 0 {
		fmt.Fprintf(w, "\nCES distribution (1 very easy .. 7 very hard): %v\n", r.Overall.CES.Counts)
	}
}

func printRegulatory(w io.Writer, r client.RegulatoryReport) {
	regime := r.Regime
	if regime == "" {
		regime = "every regime"
	}
	period := "all time"
	if r.From != nil || r.To != nil {
		period = ""
		if r.From != nil {
			period += "from " + fmtTime(*r.From) + " "
		}
		if r.To != nil {
			period += "to " + fmtTime(*r.To)
		}
	}
	header(w, fmt.Sprintf("Complaints return, %s, %s", regime, strings.TrimSpace(period)), r.Position, r.GeneratedAt, r.AsOf, client.ReportFilter{})
	t := table(w)
	fmt.Fprintf(t, "PRODUCT\tROOT CAUSE\tOPENED\tCLOSED\t<=3 BUS. DAYS\t<=8 WEEKS\tLATER\tUPHELD\tREDRESS PAID\n")
	line := func(product, cause string, f client.RegulatoryRow) {
		fmt.Fprintf(t, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", product, cause, f.Opened, f.Closed, f.ClosedWithin3BusinessDays,
			f.ClosedWithin8Weeks, f.ClosedLater, pct(f.UpheldShare), moneyMap(f.RedressPaidMinor))
	}
	line("all", "all", client.RegulatoryRow{RegulatoryFigures: r.Total})
	for _, row := range r.ByProductAndCause {
		line(row.Product, row.RootCause, row)
	}
	t.Flush()
	if len(r.CFPB) > 0 {
		fmt.Fprintf(w, "\nCFPB company responses (closed in the period)\n\n")
		t = table(w)
		fmt.Fprintf(t, "COMPANY RESPONSE\tCOMPLAINTS\tTIMELY\n")
		for _, c := range r.CFPB {
			fmt.Fprintf(t, "%s\t%d\t%d\n", c.CompanyResponse, c.Complaints, c.Timely)
		}
		t.Flush()
	}
}

func moneyMap(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + fmtMinor(m[k])
	}
	return strings.Join(parts, "; ")
}

func printActions(w io.Writer, actions []client.PreventiveAction) {
	if len(actions) == 0 {
		fmt.Fprintln(w, "No preventive action.")
		return
	}
	t := table(w)
	fmt.Fprintf(t, "ACTION\tCAUSE\tOWNER\tDUE\tSTATUS\tVERDICT\tBEFORE\tAFTER\tRATE RATIO\tP\n")
	for _, a := range actions {
		cause := a.RootCause
		if a.Product != "" {
			cause = a.Product + " / " + cause
		}
		verdict, before, after, ratio, p := "-", "-", "-", "-", "-"
		if e := a.Effectiveness; e != nil {
			verdict = e.Verdict
			before = fmt.Sprintf("%d/%.0f", e.BeforeCount, e.BeforeExposure)
			after = fmt.Sprintf("%d/%.0f", e.AfterCount, e.AfterExposure)
			ratio, p = fmt.Sprintf("%.2f", e.RateRatio), fmt.Sprintf("%.3f", e.PValue)
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, cause, a.Owner, a.Due.Format(time.DateOnly), a.Status, verdict, before, after, ratio, p)
	}
	t.Flush()
	for _, a := range actions {
		fmt.Fprintf(w, "\n%s: %s", a.ID, a.Description)
		if a.Completion != "" {
			fmt.Fprintf(w, " (done: %s)", a.Completion)
		}
	}
	fmt.Fprintln(w)
}

const projectionsUsage = "list | status NAME | rebuild NAME"

// cmdProjections lists prevention's projections, shows one, or rebuilds one
// from the whole log with a progress bar.
func cmdProjections(g *cli, args []string) error {
	fs := g.flags("projections", projectionsUsage)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	bad := func() error {
		fs.Usage()
		return errUsage
	}
	if len(pos) == 0 {
		return bad()
	}
	ctx, cancel := g.context()
	defer cancel()
	c := g.client()
	switch {
	case pos[0] == "list" && len(pos) == 1:
		l, err := c.Projections(ctx)
		if err != nil {
			return err
		}
		return g.print(l, func(w io.Writer) {
			t := table(w)
			fmt.Fprintf(t, "NAME\tLOG POSITION\tDEAD LETTERS\tLAST REBUILD\n")
			for _, p := range l.Projections {
				fmt.Fprintf(t, "%s\t%d\t%d\t%s\n", p.Name, p.Position, p.DeadLetters, rebuildSummary(p.Rebuild))
			}
			t.Flush()
			for _, p := range l.Projections {
				projectionTrouble(w, p)
			}
		})
	case pos[0] == "status" && len(pos) == 2:
		p, err := c.Projection(ctx, pos[1])
		if err != nil {
			return err
		}
		return g.print(p, func(w io.Writer) {
			fmt.Fprintf(w, "%s at log position %d, %d dead letters; rebuild: %s\n", p.Name, p.Position, p.DeadLetters, rebuildSummary(p.Rebuild))
			projectionTrouble(w, p)
		})
	case pos[0] == "rebuild" && len(pos) == 2:
		return rebuild(g, c, pos[1])
	}
	return bad()
}

// projectionTrouble says what a projection lacks and why it last stopped,
// if anything.
func projectionTrouble(w io.Writer, p client.ProjectionStatus) {
	if d := p.LastDeadLetter; d != nil {
		fmt.Fprintf(w, "%s: %d events left out (complaintctl dead-letters list -consumer projection.%s); last: %s %s at log position %d, %s: %s\n",
			p.Name, p.DeadLetters, p.Name, d.EventType, d.EventID, d.Position, d.Reason, d.Error)
	}
	if p.Error != "" {
		fmt.Fprintf(w, "%s: stopped, resuming: %s\n", p.Name, p.Error)
	}
}

func rebuildSummary(r client.ProjectionRebuild) string {
	switch {
	case r.Running:
		return fmt.Sprintf("running since %s, %d events, %.0f events/s", fmtTime(r.StartedAt), r.Applied, r.EventsPerSecond)
	case r.Error != "":
		return "failed: " + r.Error
	case !r.FinishedAt.IsZero():
		left := ""
		if r.DeadLetters > 0 {
			left = fmt.Sprintf(", %d left out", r.DeadLetters)
		}
		return fmt.Sprintf("%d events in %s (%.0f events/s)%s, %s", r.Applied, r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond), r.EventsPerSecond, left, fmtTime(r.FinishedAt))
	}
	return "never"
}

// rebuild starts a rebuild and follows it until it is done, drawing a
// progress bar on stderr (stdout stays for the result).
func rebuild(g *cli, c *client.Client, name string) error {
	ctx, cancel := g.context()
	defer cancel()
	st, err := c.RebuildProjection(ctx, name)
	if err != nil {
		return err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for st.Rebuild.Running {
		drawBar(g.stderr, st.Rebuild)
		select {
		case <-ctx.Done():
			fmt.Fprintln(g.stderr)
			return ctx.Err()
		case <-tick.C:
		}
		if st, err = c.Projection(ctx, name); err != nil {
			fmt.Fprintln(g.stderr)
			return err
		}
	}
	drawBar(g.stderr, st.Rebuild)
	fmt.Fprintln(g.stderr)
	if st.Rebuild.Error != "" {
		return fmt.Errorf("rebuild of %s failed: %s", name, st.Rebuild.Error)
	}
	return g.print(st, func(w io.Writer) {
		fmt.Fprintf(w, "%s rebuilt: %s\n", st.Name, rebuildSummary(st.Rebuild))
	})
}

// barWidth is the progress bar's width in characters.
const barWidth = 40

func drawBar(w io.Writer, r client.ProjectionRebuild) {
	frac := 1.0
	if r.Running && r.Target > 0 {
		frac = min(1, float64(r.Position)/float64(r.Target))
	}
	full := int(frac * barWidth)
	fmt.Fprintf(w, "\r[%s%s] %5.1f%%  position %d/%d  %d events  %.0f events/s ", strings.Repeat("#", full), strings.Repeat(".", barWidth-full),
		100*frac, r.Position, r.Target, r.Applied, r.EventsPerSecond)
}

var _ flag.Value = (*timeFlag)(nil)
