package companysim

import (
	"slices"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/prevention/stats"
)

// Truth is what truly happened in a plan, and every figure the system's
// reports should show for it. The driver adds the complaint ids the system
// gave each story.
type Truth struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// Start and End bound the days complaints arrive.
	Start      time.Time     `json:"start"`
	End        time.Time     `json:"end"`
	Complaints int           `json:"complaints"`
	Faults     []FaultTruth  `json:"faults"`
	Storms     []StormTruth  `json:"storms"`
	Actions    []ActionTruth `json:"actions"`
	Effort     EffortTruth   `json:"effort"`
	Regulatory RegTruth      `json:"regulatory"`
	// Silent are the indexes of the stories closed for no response.
	Silent []int `json:"silent"`
	// IDs are the complaint ids of the stories, in plan order (driver).
	IDs []string `json:"complaint_ids,omitempty"`
	// Source is where each story's complaint comes from: -1 the noise, i
	// fault i, StormSource+i storm i.
	Source []int `json:"source"`
	// Detectable lists the cause and product series whose base rate the
	// plan makes non-zero: the series the detector watches.
	Series int `json:"series"`
}

// StormSource numbers the storms among the sources of complaints.
const StormSource = 1000

// FaultTruth is an injected fault: when it ran, how many complaints it
// brought, and when the first of them was resolved (a root cause is known
// only then).
type FaultTruth struct {
	Fault
	From            time.Time `json:"from"`
	To              time.Time `json:"to"`
	Complaints      int       `json:"complaints"`
	FirstResolvedAt time.Time `json:"first_resolved_at,omitzero"`
	// RevealedAt is when the resolutions reveal the fault: the resolution
	// that brings the count of complaints received on one of its days (or
	// on all its days together) and resolved with its cause to the count
	// an observer who knew the true base rate would flag, at the policy's
	// tail probability. Zero when they never do.
	RevealedAt time.Time `json:"revealed_at,omitzero"`
	// RevealedBy is the count that revealed it, and over how many days.
	RevealedBy   int64 `json:"revealed_by,omitempty"`
	RevealedDays int   `json:"revealed_days,omitempty"`
}

// StormTruth is an outage storm.
type StormTruth struct {
	Storm
	Onset           time.Time `json:"onset"`
	FirstResolvedAt time.Time `json:"first_resolved_at,omitzero"`
}

// ActionTruth is a preventive action: its true effect, the counts the
// evaluation windows should hold on average, and the power the system's
// test has to see the fall the policy asks for and the true one.
type ActionTruth struct {
	Action
	OpenedAt       time.Time `json:"opened_at"`
	CompletedAt    time.Time `json:"completed_at"`
	ExpectedBefore float64   `json:"expected_before"`
	ExpectedAfter  float64   `json:"expected_after"`
	VolumeBefore   float64   `json:"volume_before"`
	VolumeAfter    float64   `json:"volume_after"`
	// PowerPolicy is the power to see the policy's reduction; PowerTrue the
	// power to see the true one (0 when there is none).
	PowerPolicy float64 `json:"power_policy"`
	PowerTrue   float64 `json:"power_true"`
}

// EffortTruth are the counts behind the effort report's figures.
type EffortTruth struct {
	Complaints int64 `json:"complaints"`
	Repeated   int64 `json:"repeated"`
	Transfers  int64 `json:"transfers"`
	Switches   int64 `json:"channel_switches"`
	Infos      int64 `json:"information_requests"`
	Resolved   int64 `json:"resolved"`
	Reopened   int64 `json:"reopened"`
	Closed     int64 `json:"closed"`
	// FCR counts first-contact resolutions as the system defines them (no
	// transfer, no information request, no reopen); FCRCustomer also
	// excludes complaints whose customer had to contact again.
	FCR         int64    `json:"fcr"`
	FCRCustomer int64    `json:"fcr_customer"`
	Steps       int64    `json:"steps"`
	CES         [7]int64 `json:"ces"`
}

// RegTruth is the complaints return over the whole run.
type RegTruth struct {
	Opened       int64 `json:"opened"`
	Closed       int64 `json:"closed"`
	Within3      int64 `json:"closed_within_3_business_days"`
	Within8Weeks int64 `json:"closed_within_8_weeks"`
	Later        int64 `json:"closed_later"`
	Upheld       int64 `json:"upheld"`
	PartlyUpheld int64 `json:"partly_upheld"`
	Rejected     int64 `json:"rejected"`
}

// Policies are what the truth needs of the system's policies: the
// evaluation window before and after an action's completion and the
// effectiveness test's parameters (prevention.yaml), and how long after a
// redress is settled the survey goes out (followup.yaml).
type Policies struct {
	Window      time.Duration
	Params      stats.EffectParams
	SurveyDelay time.Duration
	// TailProbability and MinCount are the spike detection's: what a count
	// must reach to reveal a fault.
	TailProbability float64
	MinCount        int64
}

// TruthOf works out the truth of a plan. Business days are counted in the
// calendar of the plan's regime (regimes holds the regimes and calendars).
func TruthOf(p *Plan, regimes regime.Policy, eval Policies) Truth {
	s := p.Scenario
	start := s.StartTime()
	t := Truth{Scenario: s.Name, Seed: p.Seed, Start: start, End: start.AddDate(0, 0, s.Days), Complaints: len(p.Complaints)}
	for _, f := range s.Faults {
		t.Faults = append(t.Faults, FaultTruth{Fault: f, From: start.AddDate(0, 0, f.Start), To: start.AddDate(0, 0, f.Start+f.Days)})
	}
	for _, st := range s.Storms {
		hm, _ := time.Parse("15:04", st.At)
		t.Storms = append(t.Storms, StormTruth{Storm: st, Onset: start.AddDate(0, 0, st.Day).Add(time.Duration(hm.Hour())*time.Hour + time.Duration(hm.Minute())*time.Minute)})
	}
	cal := regime.UTC
	name := s.Regime
	if name == "" {
		name = regimes.Regimes.Default
	}
	if g, ok := regimes.Named(name); ok {
		if c, ok := regimes.Calendars.Named(g.Calendar); ok {
			cal = c
		}
	}
	e := &t.Effort
	for i, st := range p.Complaints {
		first := st.ReceivedAt.Add(st.Resolve)
		if st.Fault >= 0 && st.RecordedCause == st.TrueCause {
			if ft := &t.Faults[st.Fault]; ft.FirstResolvedAt.IsZero() || first.Before(ft.FirstResolvedAt) {
				ft.FirstResolvedAt = first
			}
		}
		if st.Fault >= 0 {
			t.Faults[st.Fault].Complaints++
		}
		if st.Storm >= 0 {
			if tt := &t.Storms[st.Storm]; tt.FirstResolvedAt.IsZero() || first.Before(tt.FirstResolvedAt) {
				tt.FirstResolvedAt = first
			}
		}
		src := -1
		if st.Fault >= 0 {
			src = st.Fault
		}
		if st.Storm >= 0 {
			src = StormSource + st.Storm
		}
		t.Source = append(t.Source, src)
		rep, sw, tr, in, re := st.Steps()
		e.Complaints++
		e.Resolved++
		e.Closed++
		if rep > 0 {
			e.Repeated++
		}
		e.Transfers += int64(tr)
		e.Switches += int64(sw)
		e.Infos += int64(in)
		e.Reopened += int64(re)
		e.Steps += int64(rep + sw + tr + in + re)
		if tr == 0 && in == 0 && re == 0 {
			e.FCR++
			if rep == 0 {
				e.FCRCustomer++
			}
		}
		if a, ok := st.LastAnswer(); ok {
			e.CES[a.CES-1]++
		}
		if st.Silent() {
			t.Silent = append(t.Silent, i)
		}
		g := &t.Regulatory
		g.Opened++
		g.Closed++
		resolved := st.ReceivedAt.Add(st.FinalResolve(eval.SurveyDelay))
		switch {
		case !resolved.After(cal.AddBusinessDays(st.ReceivedAt, 3)):
			g.Within3++
		case resolved.Sub(st.ReceivedAt) <= 8*7*24*time.Hour:
			g.Within8Weeks++
		default:
			g.Later++
		}
		switch st.Outcome {
		case "upheld":
			g.Upheld++
		case "partly_upheld":
			g.PartlyUpheld++
		default:
			g.Rejected++
		}
	}
	for i := range t.Faults {
		revealed(p, &t.Faults[i], eval)
	}
	products := s.products()
	for _, c := range s.Causes {
		for _, prod := range products {
			for d := range s.Days {
				if s.Rate(c.Code, prod, d) > 0 {
					t.Series++
					break
				}
			}
		}
	}
	t.Series += len(s.Causes) // the series over all products
	days := int(eval.Window / (24 * time.Hour))
	for _, a := range s.Actions {
		at := ActionTruth{Action: a, OpenedAt: start.AddDate(0, 0, a.Opened).Add(9 * time.Hour), CompletedAt: start.AddDate(0, 0, a.Completed).Add(9 * time.Hour)}
		for d := a.Completed - days; d < a.Completed+days; d++ {
			if d < 0 || d >= s.Days {
				continue
			}
			for _, c := range s.Causes {
				for _, prod := range products {
					r := s.Rate(c.Code, prod, d)
					mine := c.Code == a.Cause && (a.Product == "" || a.Product == prod)
					if d < a.Completed {
						at.VolumeBefore += r
						if mine {
							at.ExpectedBefore += r
						}
					} else {
						at.VolumeAfter += r
						if mine {
							at.ExpectedAfter += r
						}
					}
				}
			}
		}
		before := stats.Window{Count: int64(at.ExpectedBefore + 0.5), Exposure: at.VolumeBefore}
		// The power of the test if the rate did not change: what it could see.
		after := stats.Window{Count: int64(at.ExpectedBefore*at.VolumeAfter/max(at.VolumeBefore, 1e-9) + 0.5), Exposure: at.VolumeAfter}
		at.PowerPolicy = stats.Evaluate(before, after, eval.Params).Power
		if a.TrueFactor < 1 {
			p := eval.Params
			p.Reduction = 1 - a.TrueFactor
			at.PowerTrue = stats.Evaluate(before, after, p).Power
		}
		t.Actions = append(t.Actions, at)
	}
	return t
}

// revealed works out when the resolutions reveal a fault (FaultTruth's
// RevealedAt): for each day of the fault, and for all its days together,
// the expected count of complaints received then and resolved with its
// cause were there no fault (its base rate, less the share recorded under
// another cause, plus the other causes' complaints about the product
// recorded under it), the count u an observer would flag (P(X >= u) <=
// the tail probability for X Poisson with that mean, and at least the
// minimum count), and the time of the u-th first resolution of those
// complaints. The earliest is when the fault is revealed.
func revealed(p *Plan, f *FaultTruth, eval Policies) {
	s := p.Scenario
	if eval.TailProbability <= 0 {
		return
	}
	m := s.Agents.Misclassification
	expected := func(d int) float64 {
		e := s.Rate(f.Cause, f.Product, d) / f.Factor * (1 - m)
		if len(s.Causes) > 1 {
			for _, c := range s.Causes {
				if c.Code != f.Cause {
					e += s.Rate(c.Code, f.Product, d) * m / float64(len(s.Causes)-1)
				}
			}
		}
		return e
	}
	start := s.StartTime()
	byDay := make([][]time.Time, f.Days)
	for _, st := range p.Complaints {
		d := int(st.ReceivedAt.Sub(start)/(24*time.Hour)) - f.Start
		if d < 0 || d >= f.Days || st.RecordedCause != f.Cause || st.Product != f.Product {
			continue
		}
		byDay[d] = append(byDay[d], st.ReceivedAt.Add(st.Resolve))
	}
	consider := func(times []time.Time, mean float64, days int) {
		u := max(eval.MinCount, stats.PoissonUpperLimit(mean, eval.TailProbability))
		if int64(len(times)) < u {
			return
		}
		times = slices.Clone(times)
		slices.SortFunc(times, time.Time.Compare)
		if at := times[u-1]; f.RevealedAt.IsZero() || at.Before(f.RevealedAt) {
			f.RevealedAt, f.RevealedBy, f.RevealedDays = at, u, days
		}
	}
	var all []time.Time
	var total float64
	for d, times := range byDay {
		consider(times, expected(f.Start+d), 1)
		all = append(all, times...)
		total += expected(f.Start + d)
	}
	consider(all, total, f.Days)
}
