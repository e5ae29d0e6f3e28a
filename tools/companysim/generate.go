package companysim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Plan is a scenario turned into complaints: every customer, and every
// complaint with what its customer and agent will do, in order of receipt.
type Plan struct {
	Scenario   Scenario   `json:"scenario"`
	Seed       uint64     `json:"seed"`
	Customers  []Customer `json:"customers"`
	Complaints []Story    `json:"complaints"`
}

// Customer is one of the company's customers.
type Customer struct {
	ID         string `json:"id"`
	Channel    string `json:"channel"`
	Vulnerable bool   `json:"vulnerable,omitempty"`
}

// Story is one complaint and everything that will happen to it. Times are
// offsets from its receipt unless named At.
type Story struct {
	Customer  int    `json:"customer"`
	Product   string `json:"product"`
	Channel   string `json:"channel"`
	TrueCause string `json:"true_cause"`
	// RecordedCause is the cause the agent records (the true one unless
	// misclassified).
	RecordedCause string        `json:"recorded_cause"`
	Outcome       string        `json:"outcome"`
	ReceivedAt    time.Time     `json:"received_at"`
	Resolve       time.Duration `json:"resolve"`
	// Transfer, when set, is when the case moves to another team.
	Transfer time.Duration `json:"transfer,omitempty"`
	Info     *InfoStep     `json:"info,omitempty"`
	Repeats  []Contact     `json:"repeats,omitempty"`
	// Survey is the customer's answer to the follow-up survey; Second the
	// answer to the survey after a reopen (Survey said not resolved), and
	// Reresolve how long after the reopen the case is resolved again.
	Survey    Answer        `json:"survey"`
	Reresolve time.Duration `json:"reresolve,omitempty"`
	Second    *Answer       `json:"second,omitempty"`
	// Fault and Storm index the fault or storm the complaint comes from,
	// -1 for none (a complaint of a faulty cause in a fault's window counts
	// as the fault's).
	Fault int `json:"fault"`
	Storm int `json:"storm"`
}

// InfoStep is an information request and the customer's answer.
type InfoStep struct {
	Ask      time.Duration `json:"ask"`
	Answered bool          `json:"answered"`
	Answer   time.Duration `json:"answer,omitempty"`
	Channel  string        `json:"channel,omitempty"`
}

// Contact is a repeat contact.
type Contact struct {
	After   time.Duration `json:"after"`
	Channel string        `json:"channel"`
}

// Answer is a survey answer, or silence.
type Answer struct {
	Answered bool `json:"answered"`
	// After is how long after the survey is sent the customer answers.
	After    time.Duration `json:"after,omitempty"`
	CSAT     int32         `json:"csat,omitempty"`
	CES      int32         `json:"ces,omitempty"`
	NPS      int32         `json:"nps,omitempty"`
	Resolved bool          `json:"resolved,omitempty"`
}

// Reopened reports whether the customer's answer reopens the case.
func (s Story) Reopened() bool { return s.Survey.Answered && !s.Survey.Resolved }

// Steps are the customer's effort steps the system should count: repeat
// contacts, channel switches, transfers, information requests, reopens. A
// repeat contact switches channel when it comes on another channel than
// the customer's previous contact (RepeatContactRecorded.channel_switch);
// an answer to an information request when it comes on another channel
// than the complaint (the fact table's rule).
func (s Story) Steps() (repeats, switches, transfers, infos, reopens int) {
	repeats = len(s.Repeats)
	last := s.Channel
	for _, c := range s.Repeats {
		if c.Channel != last {
			switches++
		}
		last = c.Channel
	}
	if s.Info != nil {
		infos = 1
		if s.Info.Answered && s.Info.Channel != s.Channel {
			switches++
		}
	}
	if s.Transfer > 0 {
		transfers = 1
	}
	if s.Reopened() {
		reopens = 1
	}
	return
}

// Silent reports whether the complaint is closed for no response.
func (s Story) Silent() bool {
	if !s.Survey.Answered {
		return true
	}
	return s.Reopened() && (s.Second == nil || !s.Second.Answered)
}

// LastAnswer is the latest survey answer the customer gave, if any.
func (s Story) LastAnswer() (Answer, bool) {
	if s.Second != nil && s.Second.Answered {
		return *s.Second, true
	}
	return s.Survey, s.Survey.Answered
}

// FinalResolve is when, after receipt, the case is last resolved.
func (s Story) FinalResolve(surveyDelay time.Duration) time.Duration {
	if !s.Reopened() {
		return s.Resolve
	}
	return s.Resolve + surveyDelay + s.Survey.After + s.Reresolve
}

// rng draws from a PCG seeded with the plan's seed.
type rng struct{ *rand.Rand }

func newRNG(seed uint64) rng { return rng{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (r rng) chance(p float64) bool { return p > 0 && r.Float64() < p }

func (r rng) pick(ws []Weight) string {
	var total float64
	for _, w := range ws {
		total += w.Weight
	}
	x := r.Float64() * total
	for _, w := range ws {
		if x < w.Weight {
			return w.Name
		}
		x -= w.Weight
	}
	return ws[len(ws)-1].Name
}

// poisson draws a Poisson count of mean lambda exactly (Knuth's method, in
// slices of mean at most 30).
func (r rng) poisson(lambda float64) int {
	n := 0
	for lambda > 0 {
		l := min(lambda, 30)
		lambda -= l
		limit, p := math.Exp(-l), r.Float64()
		for p > limit {
			n++
			p *= r.Float64()
		}
	}
	return n
}

func (r rng) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// surveyDelayBound bounds how long after a redress is settled the survey
// goes out; the plan uses it to keep a customer from complaining again
// while their complaint is open.
const surveyDelayBound = 30 * 24 * time.Hour

// Rate is the expected count of complaints of a cause about a product on
// day d: the base rate, the weekly factor, the faults, the drifts and the
// completed actions.
func (s Scenario) Rate(cause, product string, d int) float64 {
	base := 0.0
	for _, c := range s.Causes {
		if c.Code != cause {
			continue
		}
		for _, r := range c.Rates {
			if r.Product == product {
				base += r.PerDay
			}
		}
	}
	if base == 0 {
		return 0
	}
	if len(s.Weekly) == 7 {
		wd := (int(s.StartTime().AddDate(0, 0, d).Weekday()) + 6) % 7
		base *= s.Weekly[wd]
	}
	for _, f := range s.Faults {
		if f.Cause == cause && f.Product == product && d >= f.Start && d < f.Start+f.Days {
			base *= f.Factor
		}
	}
	for _, dr := range s.Drifts {
		if dr.Cause == cause && (dr.Product == "" || dr.Product == product) && d >= dr.Start {
			base *= math.Pow(1+dr.Weekly, float64(d-dr.Start)/7)
		}
	}
	for _, a := range s.Actions {
		if a.Cause == cause && (a.Product == "" || a.Product == product) && d >= a.Completed {
			base *= a.TrueFactor
		}
	}
	return base
}

// products are the scenario's products, in the order the causes name them.
func (s Scenario) products() []string {
	var out []string
	for _, c := range s.Causes {
		for _, r := range c.Rates {
			if !slices.Contains(out, r.Product) {
				out = append(out, r.Product)
			}
		}
	}
	for _, st := range s.Storms {
		if !slices.Contains(out, st.Product) {
			out = append(out, st.Product)
		}
	}
	return out
}

// Generate turns a scenario and a seed into a plan: the same scenario and
// seed give the same plan.
func Generate(s Scenario, seed uint64) (*Plan, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	r := newRNG(seed)
	p := &Plan{Scenario: s, Seed: seed}
	for i := range s.Customers {
		p.Customers = append(p.Customers, Customer{
			ID: fmt.Sprintf("cust-%06d", i+1), Channel: r.pick(s.Channels), Vulnerable: r.chance(s.VulnerableShare),
		})
	}
	start := s.StartTime()
	type arrival struct {
		at           time.Time
		cause, prod  string
		channel      string
		fault, storm int
	}
	var arrivals []arrival
	products := s.products()
	for d := range s.Days {
		day := start.AddDate(0, 0, d)
		for _, c := range s.Causes {
			for _, prod := range products {
				n := r.poisson(s.Rate(c.Code, prod, d))
				fault := -1
				for i, f := range s.Faults {
					if f.Cause == c.Code && f.Product == prod && d >= f.Start && d < f.Start+f.Days {
						fault = i
					}
				}
				for range n {
					// Complaints come between 07:00 and 22:00.
					at := day.Add(7*time.Hour + r.between(0, 15*time.Hour)).Truncate(time.Second)
					arrivals = append(arrivals, arrival{at: at, cause: c.Code, prod: prod, fault: fault, storm: -1})
				}
			}
		}
	}
	for i, st := range s.Storms {
		hm, _ := time.Parse("15:04", st.At)
		onset := start.AddDate(0, 0, st.Day).Add(time.Duration(hm.Hour())*time.Hour + time.Duration(hm.Minute())*time.Minute)
		for range st.Complaints {
			at := onset.Add(r.between(0, time.Duration(st.Minutes)*time.Minute)).Truncate(time.Second)
			arrivals = append(arrivals, arrival{at: at, cause: st.Cause, prod: st.Product, channel: st.Channel, fault: -1, storm: i})
		}
	}
	slices.SortStableFunc(arrivals, func(a, b arrival) int { return a.at.Compare(b.at) })

	busy := make([]time.Time, len(p.Customers))
	channels := make([]string, 0, len(s.Channels))
	for _, c := range s.Channels {
		channels = append(channels, c.Name)
	}
	other := func(ch string) string {
		if len(channels) < 2 {
			return ch
		}
		for {
			if c := channels[r.IntN(len(channels))]; c != ch {
				return c
			}
		}
	}
	causes := make([]string, 0, len(s.Causes))
	for _, c := range s.Causes {
		causes = append(causes, c.Code)
	}
	ag, b := s.Agents, s.Behaviour
	for _, a := range arrivals {
		cust := -1
		for range 20 {
			if c := r.IntN(len(busy)); !busy[c].After(a.at) {
				cust = c
				break
			}
		}
		if cust < 0 {
			from := r.IntN(len(busy))
			for k := range busy {
				if c := (from + k) % len(busy); !busy[c].After(a.at) {
					cust = c
					break
				}
			}
		}
		if cust < 0 {
			return nil, fmt.Errorf("scenario %s: every one of the %d customers has an open complaint on %s: give it more customers", s.Name, len(busy), a.at.Format(time.RFC3339))
		}
		st := Story{
			Customer: cust, Product: a.prod, Channel: p.Customers[cust].Channel, TrueCause: a.cause, RecordedCause: a.cause,
			Outcome: r.pick(ag.Outcomes), ReceivedAt: a.at, Fault: a.fault, Storm: a.storm,
		}
		if a.channel != "" {
			st.Channel = a.channel
		}
		if len(causes) > 1 && r.chance(ag.Misclassification) {
			for st.RecordedCause == a.cause {
				st.RecordedCause = causes[r.IntN(len(causes))]
			}
		}
		st.Resolve = r.between(hours(ag.ResolveHours.Min), hours(ag.ResolveHours.Max)).Truncate(time.Second)
		work := func() time.Duration { return r.between(time.Hour, st.Resolve-time.Hour).Truncate(time.Second) }
		if r.chance(ag.Transfer) {
			st.Transfer = work()
		}
		if r.chance(b.InformationRequest) {
			info := &InfoStep{Ask: r.between(time.Hour, st.Resolve/2).Truncate(time.Second)}
			if r.chance(b.InformationAnswered) {
				info.Answered = true
				info.Answer = info.Ask + r.between(10*time.Minute, st.Resolve-info.Ask-30*time.Minute).Truncate(time.Second)
				info.Channel = st.Channel
				if r.chance(b.ChannelSwitch) {
					info.Channel = other(st.Channel)
				}
			}
			st.Info = info
		}
		for len(st.Repeats) < 3 && r.chance(b.RepeatContact) {
			c := Contact{After: work(), Channel: st.Channel}
			if r.chance(b.ChannelSwitch) {
				c.Channel = other(st.Channel)
			}
			st.Repeats = append(st.Repeats, c)
		}
		slices.SortStableFunc(st.Repeats, func(x, y Contact) int { return int(x.After - y.After) })
		st.Survey = r.answer(b, st)
		if st.Reopened() {
			st.Reresolve = r.between(hours(ag.ResolveHours.Min), hours(ag.ResolveHours.Max)).Truncate(time.Second)
			second := r.answer(b, st)
			second.Resolved = true
			st.Second = &second
		}
		// The customer's complaint stays open until it is closed (at most
		// two survey rounds of a few weeks); keep them from complaining
		// again until well after any recontact window.
		busy[cust] = a.at.Add(st.FinalResolve(surveyDelayBound) + 120*24*time.Hour)
		p.Complaints = append(p.Complaints, st)
	}
	return p, nil
}

// answer is a customer's survey answer, or silence. Effort shows in the
// answer: every step the customer had to take raises the effort score
// (CES 1-7) and lowers satisfaction (CSAT 1-5) and the NPS (0-10).
func (r rng) answer(b Behaviour, st Story) Answer {
	if !r.chance(b.SurveyAnswer) {
		return Answer{}
	}
	rep, sw, tr, in, _ := st.Steps()
	effort := int32(rep + sw + tr + in)
	noise := int32(r.IntN(3)) - 1
	a := Answer{
		Answered: true, After: r.between(time.Hour, 60*time.Hour).Truncate(time.Second),
		CES:      clamp(2+effort+noise, 1, 7),
		CSAT:     clamp(5-effort+noise, 1, 5),
		NPS:      clamp(9-2*effort+noise, 0, 10),
		Resolved: !r.chance(b.NotResolved),
	}
	return a
}

func clamp(v, lo, hi int32) int32 { return max(lo, min(hi, v)) }
