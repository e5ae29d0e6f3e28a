package companysim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	pvdomain "github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/tools/client"
)

// Scorecard is the system's reports set against the truth.
type Scorecard struct {
	Scenario string              `json:"scenario"`
	Seed     uint64              `json:"seed"`
	Faults   []FaultScore        `json:"faults"`
	Storms   []StormScore        `json:"storms"`
	Actions  []ActionScore       `json:"actions"`
	Alarms   []api.SystemicIssue `json:"false_alarms"`
	// DriftIssues are the issues raised on a drifting cause after its
	// drift began.
	DriftIssues []api.SystemicIssue `json:"drift_issues,omitempty"`
	// Echoes are issues of another cause or product than any fault or storm
	// whose complaints mostly come from one: a fault's complaints recorded
	// under the wrong cause.
	Echoes []api.SystemicIssue `json:"echoes,omitempty"`
	Drifts []Drift             `json:"drifts,omitempty"`
	Checks []Check             `json:"checks"`
	// Series is how many series the detector watched; Days how many days.
	Series int   `json:"series"`
	Days   int   `json:"days"`
	Truth  Truth `json:"-"`
}

// FaultScore is one injected fault and whether and when it was flagged.
type FaultScore struct {
	FaultTruth
	// Qualifies: a rate at least 3x its base for at least 3 days.
	Qualifies bool       `json:"qualifies"`
	Flagged   bool       `json:"flagged"`
	Issue     string     `json:"issue,omitempty"`
	Detected  *time.Time `json:"detected_at,omitempty"`
	// Timely: flagged within a day of the resolutions that reveal it
	// (FaultTruth.RevealedAt), or at all when they never do.
	Timely bool `json:"timely"`
	// EarlyWarning is when intake volume flagged the fault's product, if
	// it did.
	EarlyWarning *time.Time `json:"early_warning_at,omitempty"`
}

// StormScore is one outage storm and whether it was flagged, and whether
// before any of its complaints was resolved.
type StormScore struct {
	StormTruth
	Flagged  bool       `json:"flagged"`
	Detected *time.Time `json:"detected_at,omitempty"`
	Early    bool       `json:"early"`
}

// ActionScore is one preventive action: its true effect beside the verdict.
type ActionScore struct {
	ActionTruth
	ID       string `json:"id"`
	Status   string `json:"status"`
	Verdict  string `json:"verdict"`
	Expected string `json:"expected"`
	// Powered: the test could see the true effect (or, for an action with
	// none, the policy's reduction).
	Powered bool  `json:"powered"`
	Right   bool  `json:"right"`
	Before  int64 `json:"before_count"`
	After   int64 `json:"after_count"`
}

// Check is one figure the reports should show exactly.
type Check struct {
	Report string `json:"report"`
	Figure string `json:"figure"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	OK     bool   `json:"ok"`
	// Informative: the truth holds another definition than the system's,
	// shown beside it but not counted among the exact figures.
	Informative bool `json:"informative,omitempty"`
}

// getJSON reads path of the API with the process owner's token.
func getJSON(ctx context.Context, c *client.Client, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Auth.For(client.RoleProcessOwner))
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, client.MaxResponseBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// Score reads the system's reports through its API and sets them against
// the truth.
func Score(ctx context.Context, c *client.Client, t Truth, s Scenario) (*Scorecard, error) {
	sc := &Scorecard{Scenario: t.Scenario, Seed: t.Seed, Series: t.Series, Days: s.Days, Truth: t, Drifts: s.Drifts}
	var issues api.SystemicIssues
	if err := getJSON(ctx, c, "/v1/systemic-issues", &issues); err != nil {
		return nil, err
	}
	slices.SortFunc(issues.Issues, func(a, b api.SystemicIssue) int { return a.DetectedAt.Compare(b.DetectedAt) })
	explained := map[string]bool{}
	byID := make(map[string]int, len(t.IDs))
	for i, id := range t.IDs {
		byID[id] = i
	}
	maxResolve := hours(s.Agents.ResolveHours.Max)
	for _, f := range t.Faults {
		fs := FaultScore{FaultTruth: f, Qualifies: f.Factor >= 3 && f.Days >= 3}
		for _, is := range issues.Issues {
			if is.RootCause == pvdomain.IntakeVolumeCause && is.Product == f.Product &&
				!is.WindowStart.Before(f.From) && is.WindowStart.Before(f.To) {
				explained[is.ID] = true
				if fs.EarlyWarning == nil {
					at := is.DetectedAt
					fs.EarlyWarning = &at
				}
				continue
			}
			if is.RootCause != f.Cause || (is.Product != "" && is.Product != f.Product) {
				continue
			}
			// Issues count complaints by the day they were received
			// (ADR 0050): the fault's are those over its days.
			if is.WindowEnd.After(f.From) && is.WindowStart.Before(f.To) {
				explained[is.ID] = true
				if !fs.Flagged {
					at := is.DetectedAt
					fs.Flagged, fs.Issue, fs.Detected = true, is.ID, &at
				}
			}
		}
		fs.Timely = fs.Flagged && (f.RevealedAt.IsZero() || !fs.Detected.After(f.RevealedAt.Add(24*time.Hour)))
		sc.Faults = append(sc.Faults, fs)
	}
	for _, st := range t.Storms {
		ss := StormScore{StormTruth: st}
		for _, is := range issues.Issues {
			if is.RootCause != st.Cause && is.RootCause != pvdomain.IntakeVolumeCause || is.Product != "" && is.Product != st.Product {
				continue
			}
			if is.WindowEnd.After(st.Onset) && is.WindowStart.Before(st.Onset.Add(time.Duration(st.Minutes)*time.Minute+maxResolve)) {
				explained[is.ID] = true
				if !ss.Flagged {
					at := is.DetectedAt
					ss.Flagged, ss.Detected = true, &at
					ss.Early = at.Before(st.FirstResolvedAt) && at.Sub(st.Onset) <= 15*time.Minute
				}
			}
		}
		sc.Storms = append(sc.Storms, ss)
	}
	for _, is := range issues.Issues {
		if explained[is.ID] {
			continue
		}
		drift := false
		for _, d := range s.Drifts {
			if is.RootCause == d.Cause && (is.Product == "" || d.Product == "" || is.Product == d.Product) && !is.WindowStart.Before(t.Start.AddDate(0, 0, d.Start)) {
				drift = true
			}
		}
		if drift {
			sc.DriftIssues = append(sc.DriftIssues, is)
			continue
		}
		if echo(t, byID, is) {
			sc.Echoes = append(sc.Echoes, is)
			continue
		}
		sc.Alarms = append(sc.Alarms, is)
	}

	actions, err := c.PreventiveActions(ctx)
	if err != nil {
		return nil, err
	}
	for _, at := range t.Actions {
		as := ActionScore{ActionTruth: at}
		for _, a := range actions.Actions {
			if a.Description == at.Name && a.RootCause == at.Cause && a.Product == at.Product {
				as.ID, as.Status = a.ID, a.Status
				if a.Effectiveness != nil {
					as.Verdict, as.Before, as.After = a.Effectiveness.Verdict, a.Effectiveness.BeforeCount, a.Effectiveness.AfterCount
				}
			}
		}
		as.Expected, as.Powered = expectedVerdict(at)
		switch {
		case as.Powered:
			as.Right = as.Verdict == as.Expected
		default:
			// Without the power to see the true effect only "inconclusive"
			// is right, bar a real effect found anyway.
			as.Right = as.Verdict == "inconclusive" || (as.Verdict == "effective" && at.TrueFactor < 1)
		}
		sc.Actions = append(sc.Actions, as)
	}

	q := client.ReportQuery{From: t.Start, To: t.End.AddDate(1, 0, 0)}
	effort, err := c.Effort(ctx, q)
	if err != nil {
		return nil, err
	}
	e, o := t.Effort, effort.Overall
	ratio := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	check := func(report, figure string, want, got any) {
		w, g := fmt.Sprint(want), fmt.Sprint(got)
		sc.Checks = append(sc.Checks, Check{Report: report, Figure: figure, Want: w, Got: g, OK: w == g})
	}
	check("effort", "complaints", e.Complaints, o.Complaints)
	check("effort", "repeat contact rate", ratio(e.Repeated, e.Complaints), o.RepeatContactRate)
	check("effort", "transfers per complaint", ratio(e.Transfers, e.Complaints), o.TransfersPerComplaint)
	check("effort", "channel switches per complaint", ratio(e.Switches, e.Complaints), o.ChannelSwitchesPerComplaint)
	check("effort", "information requests per complaint", ratio(e.Infos, e.Complaints), o.InformationRequestsPerComplaint)
	check("effort", "resolved", e.Resolved, o.Resolved)
	check("effort", "first-contact resolution rate", ratio(e.FCR, e.Resolved), o.FCRRate)
	check("effort", "first-contact resolution rate, repeat contacts excluded", ratio(e.FCRCustomer, e.Resolved), o.FCRRate)
	sc.Checks[len(sc.Checks)-1].Informative = true
	check("effort", "reopen rate", ratio(e.Reopened, e.Complaints), o.ReopenRate)
	check("effort", "closed", e.Closed, o.Closed)
	check("effort", "recontact rate", 0.0, o.RecontactRate)
	check("effort", "mean effort", ratio(e.Steps, e.Complaints), o.MeanEffort)
	check("effort", "CES counts", fmt.Sprint(e.CES[:]), fmt.Sprint(o.CES.Counts))

	reg, err := c.Regulatory(ctx, q)
	if err != nil {
		return nil, err
	}
	g, rt := t.Regulatory, reg.Total
	check("regulatory", "opened", g.Opened, rt.Opened)
	check("regulatory", "closed", g.Closed, rt.Closed)
	check("regulatory", "closed within 3 business days", g.Within3, rt.ClosedWithin3BusinessDays)
	check("regulatory", "closed within 8 weeks", g.Within8Weeks, rt.ClosedWithin8Weeks)
	check("regulatory", "closed later", g.Later, rt.ClosedLater)
	check("regulatory", "upheld", g.Upheld, rt.Upheld)
	check("regulatory", "partly upheld", g.PartlyUpheld, rt.PartlyUpheld)
	check("regulatory", "rejected", g.Rejected, rt.Rejected)

	silent, err := c.SilentCustomers(ctx, client.SilentCustomersQuery{Limit: 1000})
	if err != nil {
		return nil, err
	}
	check("silent customers", "total", len(t.Silent), silent.Total)
	if len(t.IDs) > 0 && len(t.Silent) <= 1000 {
		var want, got []string
		for _, i := range t.Silent {
			want = append(want, t.IDs[i])
		}
		for _, c := range silent.Complaints {
			got = append(got, c.ComplaintID)
		}
		slices.Sort(want)
		slices.Sort(got)
		check("silent customers", "complaints listed", digest(want), digest(got))
	}
	return sc, nil
}

// echo reports whether most of an issue's complaints come from a fault or
// a storm.
func echo(t Truth, byID map[string]int, is api.SystemicIssue) bool {
	if len(t.Source) == 0 || len(is.ComplaintIDs) == 0 {
		return false
	}
	n := 0
	for _, id := range is.ComplaintIDs {
		if i, ok := byID[id]; ok && t.Source[i] >= 0 {
			n++
		}
	}
	return 2*n >= len(is.ComplaintIDs)
}

// digest names a list of ids briefly: its length and its first and last.
func digest(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d ids %s…%s", len(ids), ids[0][:8], ids[len(ids)-1][:8])
}

// expectedVerdict is the verdict the test should give an action's true
// effect, and whether it has the power to.
func expectedVerdict(a ActionTruth) (string, bool) {
	const power = 0.8
	if a.TrueFactor >= 1 {
		return "not-effective", a.PowerPolicy >= power
	}
	return "effective", a.PowerTrue >= power
}

// Figures are the headline results of a scorecard.
type Figures struct {
	FaultsQualifying, FaultsFlagged         int
	FaultsTimely                            int
	StormsFlagged, StormsEarly, Storms      int
	FalseAlarms                             int
	FalseAlarmsPerYear                      float64
	ActionsPowered, ActionsRight            int
	ActionsUnpowered, ActionsUnpoweredRight int
	ChecksOK, Checks                        int
}

// Figures sums the scorecard up.
func (sc *Scorecard) Figures() Figures {
	var f Figures
	for _, fs := range sc.Faults {
		if fs.Qualifies {
			f.FaultsQualifying++
			if fs.Flagged {
				f.FaultsFlagged++
			}
			if fs.Timely {
				f.FaultsTimely++
			}
		}
	}
	for _, s := range sc.Storms {
		f.Storms++
		if s.Flagged {
			f.StormsFlagged++
		}
		if s.Early {
			f.StormsEarly++
		}
	}
	f.FalseAlarms = len(sc.Alarms)
	if sc.Days > 0 {
		f.FalseAlarmsPerYear = float64(f.FalseAlarms) * 365 / float64(sc.Days)
	}
	for _, a := range sc.Actions {
		if a.Powered {
			f.ActionsPowered++
			if a.Right {
				f.ActionsRight++
			}
		} else {
			f.ActionsUnpowered++
			if a.Right {
				f.ActionsUnpoweredRight++
			}
		}
	}
	for _, c := range sc.Checks {
		if c.Informative {
			continue
		}
		f.Checks++
		if c.OK {
			f.ChecksOK++
		}
	}
	return f
}

func hm(d time.Duration) string {
	if d < 0 {
		return "-" + hm(-d)
	}
	return fmt.Sprintf("%dd%02dh%02dm", int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60)
}

// Table writes the scorecard as text.
func (sc *Scorecard) Table(w io.Writer) {
	f := sc.Figures()
	fmt.Fprintf(w, "scenario %s, seed %d: %d complaints over %d days, %d series watched\n", sc.Scenario, sc.Seed, sc.Truth.Complaints, sc.Days, sc.Series)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tPRODUCT\tFACTOR\tFROM\tDAYS\tCOMPLAINTS\tREVEALED AFTER ONSET\tFLAGGED\tAFTER ONSET\tAFTER 1ST RESOLUTION\tAFTER REVEALED\tINTAKE VOLUME")
	for _, fs := range sc.Faults {
		flagged, lag, lag2, lag3, revealed, early := "no", "-", "-", "-", "never", "-"
		if !fs.RevealedAt.IsZero() {
			revealed = fmt.Sprintf("%s (%d over %dd)", hm(fs.RevealedAt.Sub(fs.From)), fs.RevealedBy, fs.RevealedDays)
		}
		if fs.Flagged {
			flagged, lag, lag2 = "yes", hm(fs.Detected.Sub(fs.From)), hm(fs.Detected.Sub(fs.FirstResolvedAt))
			if !fs.RevealedAt.IsZero() {
				lag3 = hm(fs.Detected.Sub(fs.RevealedAt))
			}
		}
		if fs.EarlyWarning != nil {
			early = hm(fs.EarlyWarning.Sub(fs.From)) + " after onset"
		}
		fmt.Fprintf(tw, "%s\t%s\t%gx\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", fs.Cause, fs.Product, fs.Factor, fs.From.Format(time.DateOnly), fs.Days, fs.Complaints,
			revealed, flagged, lag, lag2, lag3, early)
	}
	for _, s := range sc.Storms {
		flagged, lag := "no", "-"
		if s.Flagged {
			flagged, lag = "yes", hm(s.Detected.Sub(s.Onset))
		}
		fmt.Fprintf(tw, "storm %s\t%s\t%d in %dm\t%s\t-\t%d\t%s (early: %v)\t%s\t1st resolution %s after onset\n", s.Cause, s.Product, s.Complaints, s.Minutes,
			s.Onset.Format("2006-01-02 15:04"), s.Complaints, flagged, s.Early, lag, hm(s.FirstResolvedAt.Sub(s.Onset)))
	}
	tw.Flush()
	if len(sc.Actions) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTION\tCAUSE\tTRUE FACTOR\tPOWER(policy)\tPOWER(true)\tBEFORE\tAFTER\tVERDICT\tEXPECTED\tRIGHT")
		for _, a := range sc.Actions {
			exp := a.Expected
			if !a.Powered {
				exp = "inconclusive (unpowered)"
			}
			fmt.Fprintf(tw, "%s\t%s/%s\t%g\t%.2f\t%.2f\t%d\t%d\t%s\t%s\t%v\n", a.Name, a.Cause, a.Product, a.TrueFactor, a.PowerPolicy, a.PowerTrue, a.Before, a.After, orDash(a.Verdict), exp, a.Right)
		}
		tw.Flush()
	}
	for _, d := range sc.Drifts {
		first := "never flagged"
		for _, is := range sc.DriftIssues {
			if is.RootCause == d.Cause {
				first = fmt.Sprintf("first flagged %s (day %d), %d issues", is.DetectedAt.Format(time.DateOnly), int(is.DetectedAt.Sub(sc.Truth.Start).Hours()/24), len(sc.DriftIssues))
				break
			}
		}
		fmt.Fprintf(w, "drift %s/%s +%g%%/week from day %d: %s\n", d.Cause, d.Product, d.Weekly*100, d.Start, first)
	}
	if len(sc.Alarms) > 0 {
		fmt.Fprintln(w)
		for _, is := range sc.Alarms {
			fmt.Fprintf(w, "false alarm: %s/%s %s observed %d expected %.2f limit %.0f\n", is.RootCause, orDash(is.Product), is.WindowStart.Format(time.DateOnly), is.Observed, is.Expected, is.UpperLimit)
		}
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPORT\tFIGURE\tTRUTH\tSYSTEM\tOK")
	for _, c := range sc.Checks {
		ok := fmt.Sprint(c.OK)
		if c.Informative {
			ok += " (another definition, not counted)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Report, c.Figure, c.Want, c.Got, ok)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "faults >=3x for >=3 days flagged: %d/%d, within a day of the resolutions that reveal them: %d/%d\n", f.FaultsFlagged, f.FaultsQualifying, f.FaultsTimely, f.FaultsQualifying)
	fmt.Fprintf(w, "storms flagged: %d/%d, early (from intake, before any resolution, within 15 min): %d/%d\n", f.StormsFlagged, f.Storms, f.StormsEarly, f.Storms)
	fmt.Fprintf(w, "false alarms: %d (%.1f a year over %d series); issues of a wrong cause made of a fault's or storm's misclassified complaints: %d\n", f.FalseAlarms, f.FalseAlarmsPerYear, sc.Series, len(sc.Echoes))
	fmt.Fprintf(w, "action verdicts right: %d/%d powered, %d/%d unpowered\n", f.ActionsRight, f.ActionsPowered, f.ActionsUnpoweredRight, f.ActionsUnpowered)
	fmt.Fprintf(w, "exact figures: %d/%d\n", f.ChecksOK, f.Checks)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
