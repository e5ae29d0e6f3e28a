// Package regime is the data behind every clock of a complaint: the regimes
// policy (regimes.yaml: which clocks run, how long each has, what stops it,
// when it warns) and the business calendars policy (calendars.yaml: working
// days, working hours, time zones, public holidays), with the due-time
// arithmetic over them. Pure: no I/O beyond Load, no clock.
//
// Intake promises the customer the due time of the regime's final-response
// clock; resolution runs every clock of the regime on timers. Both compute it
// here, so the promise and the clock agree.
package regime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kinds of clock.
const (
	// Regulatory clocks are the regulator's: they never pause.
	Regulatory = "regulatory"
	// Internal clocks are the company's own service levels: they pause while
	// the company waits for the customer.
	Internal = "internal"
)

// What stops a clock as met.
const (
	MetByAcknowledged  = "acknowledged"   // the complaint is acknowledged
	MetByResolved      = "resolved"       // the case is resolved (the first time, or again after a reopen)
	MetByFinalResponse = "final-response" // the final response is sent: it goes with the resolution
	MetByHumanContact  = "human-contact"  // a person, not an automatic reply, contacted the customer
)

// FinalResponse is the name of the clock whose due time intake promises.
const FinalResponse = "final-response"

// Rule is how long a clock has. Exactly one field is set.
type Rule struct {
	// BusinessDays: due at the end (local midnight) of the Nth business day
	// after the day of the start.
	BusinessDays int `yaml:"business_days"`
	// CalendarDays: due at the end of the Nth day after the day of the start.
	CalendarDays int `yaml:"calendar_days"`
	// Weeks: due at the end of the day N weeks after the day of the start.
	Weeks int `yaml:"weeks"`
	// BusinessHours: due when this much working time, inside the calendar's
	// working hours on business days, has passed.
	BusinessHours time.Duration `yaml:"business_hours"`
	// Within: due exactly this long after the start (demonstrations, tests).
	Within time.Duration `yaml:"within"`
}

func (r Rule) set() int {
	n := 0
	for _, on := range []bool{r.BusinessDays != 0, r.CalendarDays != 0, r.Weeks != 0, r.BusinessHours != 0, r.Within != 0} {
		if on {
			n++
		}
	}
	return n
}

// IsZero says whether no field is set.
func (r Rule) IsZero() bool { return r.set() == 0 }

func (r Rule) check(at string) []error {
	var errs []error
	if r.set() != 1 {
		errs = append(errs, errors.New(at+": exactly one of business_days, calendar_days, weeks, business_hours and within is required"))
	}
	if r.BusinessDays < 0 || r.CalendarDays < 0 || r.Weeks < 0 || r.BusinessHours < 0 || r.Within < 0 {
		errs = append(errs, errors.New(at+": the time allowed must be positive"))
	}
	if r.tooLong() {
		errs = append(errs, errors.New(at+": the time allowed must be at most ten years"))
	}
	return errs
}

// maxDays bounds a time allowed (ten years): business days are counted one
// by one, and a due day beyond a calendar's range would wrap around.
const maxDays = 3660

func (r Rule) tooLong() bool {
	return r.BusinessDays > maxDays || r.CalendarDays > maxDays || r.Weeks > maxDays/7 ||
		r.BusinessHours > maxDays*24*time.Hour || r.Within > maxDays*24*time.Hour
}

// Due is when a clock started at start is due on calendar c (nil: UTC).
func (r Rule) Due(start time.Time, c *Calendar) time.Time {
	if c == nil {
		c = UTC
	}
	switch {
	case r.Within > 0:
		return start.Add(r.Within).UTC()
	case r.BusinessHours > 0:
		return c.AddBusinessHours(start, r.BusinessHours)
	case r.BusinessDays > 0:
		return c.AddBusinessDays(start, r.BusinessDays).UTC()
	case r.Weeks > 0:
		return c.endOfDay(start, 7*r.Weeks).UTC()
	default:
		return c.endOfDay(start, r.CalendarDays).UTC()
	}
}

// Exact says whether the rule gives an instant rather than the end of a day.
func (r Rule) Exact() bool { return r.Within > 0 || r.BusinessHours > 0 }

// Clock is one clock of a regime, or one of the company's service levels
// that run on every complaint.
type Clock struct {
	Name string `yaml:"name"`
	// Kind is "regulatory" (never pauses) or "internal" (pauses while the
	// company waits for the customer).
	Kind string `yaml:"kind"`
	Rule `yaml:",inline"`
	// WarnBefore is when ClockWarning comes: a duration before the due time
	// ("48h") or a share of the time allowed ("20%"). Default 20%.
	WarnBefore string `yaml:"warn_before"`
	// MetBy is what stops the clock as met: acknowledged, resolved,
	// final-response, human-contact.
	MetBy string `yaml:"met_by"`
	// Calendar names the calendar of calendars.yaml the clock counts in;
	// empty for the regime's.
	Calendar string `yaml:"calendar"`
	// Exceptional is the longer time the regulator allows in exceptional
	// circumstances, counted from the same start: when the clock breaches,
	// a clock "<name>-exceptional" starts with this due time.
	Exceptional *Rule `yaml:"exceptional"`
	// HoldingResponse: a breach sends the customer the holding response
	// (holding-response template, the regime's variant). Default true for a
	// regulatory final-response clock.
	HoldingResponse *bool `yaml:"holding_response"`
	// Window: the clock is an opportunity that closes rather than a deadline
	// (FCA summary resolution: after it the complaint needs a final
	// response). Its ClockBreached says so, and nothing escalates.
	Window      bool   `yaml:"window"`
	Description string `yaml:"description"`

	cal *Calendar
}

// SendsHoldingResponse says whether a breach sends the holding response.
func (c Clock) SendsHoldingResponse() bool {
	if c.HoldingResponse != nil {
		return *c.HoldingResponse
	}
	return c.Kind == Regulatory && c.Name == FinalResponse
}

// Due is when the clock, started at start, is due.
func (c Clock) Due(start time.Time) time.Time { return c.Rule.Due(start, c.cal) }

// ExceptionalDue is the due time in exceptional circumstances; zero when the
// regulator allows none.
func (c Clock) ExceptionalDue(start time.Time) time.Time {
	if c.Exceptional == nil {
		return time.Time{}
	}
	return c.Exceptional.Due(start, c.cal)
}

// CalendarName is the name of the calendar the clock counts in.
func (c Clock) CalendarName() string {
	if c.cal == nil {
		return UTC.Name
	}
	return c.cal.Name
}

// WarnAt is when a clock started at start and due at due warns.
func (c Clock) WarnAt(start, due time.Time) time.Time {
	w, _ := parseWarn(c.WarnBefore)
	at := w(start, due)
	if at.Before(start) {
		return start
	}
	return at
}

// parseWarn reads "48h" or "20%" ("" is 20%).
func parseWarn(s string) (func(start, due time.Time) time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "20%"
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f >= 100 {
			return nil, fmt.Errorf("%q is not a share between 0%% and 100%%", s)
		}
		return func(start, due time.Time) time.Time {
			return due.Add(-time.Duration(float64(due.Sub(start)) * f / 100))
		}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("%q is neither a duration (\"48h\") nor a share (\"20%%\")", s)
	}
	return func(_, due time.Time) time.Time { return due.Add(-d) }, nil
}

func (c Clock) check(at string) []error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New(at+".name: is required"))
	} else if err := token(c.Name); err != nil {
		errs = append(errs, fmt.Errorf("%s.name: %v", at, err))
	}
	switch c.Kind {
	case Regulatory, Internal:
	default:
		errs = append(errs, fmt.Errorf("%s.kind: %q is not one of regulatory, internal", at, c.Kind))
	}
	errs = append(errs, c.Rule.check(at)...)
	if _, err := parseWarn(c.WarnBefore); err != nil {
		errs = append(errs, fmt.Errorf("%s.warn_before: %v", at, err))
	}
	switch c.MetBy {
	case MetByAcknowledged, MetByResolved, MetByFinalResponse, MetByHumanContact:
	default:
		errs = append(errs, fmt.Errorf("%s.met_by: %q is not one of acknowledged, resolved, final-response, human-contact", at, c.MetBy))
	}
	if c.Exceptional != nil {
		errs = append(errs, c.Exceptional.check(at+".exceptional")...)
	}
	return errs
}

// token checks that a clock name can be part of a timer id.
func token(s string) error {
	if i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	}); i >= 0 {
		return fmt.Errorf("%q: only letters, digits and '-' are allowed", s)
	}
	return nil
}

// Regimes is the regimes policy (regimes.yaml).
type Regimes struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string `yaml:"version"`
	// Default is the regime of complaints whose configuration names none.
	Default string `yaml:"default"`
	// SLAs are the company's own service levels: they run on every
	// complaint, whatever its regime, after the regime's own clocks.
	SLAs    []Clock  `yaml:"slas"`
	Regimes []Regime `yaml:"regimes"`
}

// Regime is one regulator's (or the company's) set of clocks.
type Regime struct {
	Name string `yaml:"name"`
	// Calendar is the calendar of its clocks that name none; empty for the
	// calendars policy's default.
	Calendar string `yaml:"calendar"`
	// Clocks are the regime's clocks. One named "final-response" sets the
	// date promised in the acknowledgement.
	Clocks []Clock `yaml:"clocks"`
	// A regime may instead give only its final response's time, in exactly
	// one of these (the short form): a regulatory final-response clock.
	BusinessDays int           `yaml:"business_days"`
	CalendarDays int           `yaml:"calendar_days"`
	Within       time.Duration `yaml:"within"`
	// Description says where the figures come from.
	Description string `yaml:"description"`

	// all is the regime's clocks and the SLAs, resolved against calendars.
	all []Clock
}

// short is the short form's rule.
func (g Regime) short() Rule {
	return Rule{BusinessDays: g.BusinessDays, CalendarDays: g.CalendarDays, Within: g.Within}
}

// SetVersion records the loaded version.
func (r *Regimes) SetVersion(v string) { r.Version = v }

// Validate reports every field in error. Calendar names are checked by Load,
// which sees both files.
func (r *Regimes) Validate() error {
	var errs []error
	seen := map[string]bool{}
	if len(r.Regimes) == 0 {
		errs = append(errs, errors.New("regimes: at least one regime is required"))
	}
	slaNames := map[string]bool{}
	for i, c := range r.SLAs {
		at := fmt.Sprintf("slas[%d]", i)
		errs = append(errs, c.check(at)...)
		if slaNames[c.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is already defined", at, c.Name))
		}
		slaNames[c.Name] = true
	}
	for i, g := range r.Regimes {
		at := fmt.Sprintf("regimes[%d]", i)
		switch {
		case g.Name == "":
			errs = append(errs, errors.New(at+".name: is required"))
		case seen[g.Name]:
			errs = append(errs, fmt.Errorf("%s.name: %q is already defined", at, g.Name))
		}
		seen[g.Name] = true
		short := g.short()
		switch {
		case len(g.Clocks) == 0 && short.set() != 1:
			errs = append(errs, errors.New(at+": exactly one of business_days, calendar_days and within is required, or clocks"))
		case len(g.Clocks) > 0 && !short.IsZero():
			errs = append(errs, errors.New(at+": either clocks or one of business_days, calendar_days and within, not both"))
		}
		if short.BusinessDays < 0 || short.CalendarDays < 0 || short.Within < 0 {
			errs = append(errs, errors.New(at+": the response time must be positive"))
		}
		if short.tooLong() {
			errs = append(errs, errors.New(at+": the response time must be at most ten years"))
		}
		names := map[string]bool{}
		for j, c := range g.Clocks {
			cat := fmt.Sprintf("%s.clocks[%d]", at, j)
			errs = append(errs, c.check(cat)...)
			if names[c.Name] || slaNames[c.Name] {
				errs = append(errs, fmt.Errorf("%s.name: %q is already defined", cat, c.Name))
			}
			names[c.Name] = true
		}
	}
	switch {
	case r.Default == "":
		errs = append(errs, errors.New("default: is required"))
	case !seen[r.Default]:
		errs = append(errs, fmt.Errorf("default: %q is not one of the regimes", r.Default))
	}
	return errors.Join(errs...)
}

// Named returns the regime called name, the default one for "".
func (r Regimes) Named(name string) (Regime, bool) {
	if name == "" {
		name = r.Default
	}
	for _, g := range r.Regimes {
		if g.Name == name {
			return g, true
		}
	}
	return Regime{}, false
}

// Names lists the regimes' names in file order.
func (r Regimes) Names() []string {
	out := make([]string, len(r.Regimes))
	for i, g := range r.Regimes {
		out[i] = g.Name
	}
	return out
}

// AllClocks are the clocks that run on a complaint of the regime: its own, then
// the company's service levels. A regime given in the short form has one
// regulatory final-response clock.
func (g Regime) AllClocks() []Clock {
	if g.all != nil {
		return g.all
	}
	return g.own()
}

func (g Regime) own() []Clock {
	if len(g.Clocks) > 0 {
		return g.Clocks
	}
	return []Clock{{Name: FinalResponse, Kind: Regulatory, Rule: g.short(), MetBy: MetByFinalResponse}}
}

// Clock returns the regime's clock called name.
func (g Regime) Clock(name string) (Clock, bool) {
	for _, c := range g.AllClocks() {
		if c.Name == name {
			return c, true
		}
	}
	return Clock{}, false
}

// RespondBy is the due time of the regime's final-response clock for a
// complaint received at receivedAt: the date intake promises. A regime
// without one promises its first clock met by the final response.
func (g Regime) RespondBy(receivedAt time.Time) time.Time {
	c, ok := g.Clock(FinalResponse)
	if !ok {
		for _, k := range g.AllClocks() {
			if k.MetBy == MetByFinalResponse || k.MetBy == MetByResolved {
				c, ok = k, true
				break
			}
		}
	}
	if !ok {
		return time.Time{}
	}
	return c.Due(receivedAt)
}

// Exact says whether the regime's promise is an instant (a rule in hours or
// seconds) rather than a day.
func (g Regime) Exact() bool {
	c, ok := g.Clock(FinalResponse)
	return ok && c.Rule.Exact()
}

// Promise is how the regime's promised date reads to the customer: a date
// in the final-response clock's time zone, or a time of day as well for a
// clock in hours or seconds.
func (g Regime) Promise(respondBy time.Time) string {
	c, _ := g.Clock(FinalResponse)
	loc := time.UTC
	if c.cal != nil {
		loc = c.cal.loc
	}
	if c.Rule.Exact() {
		return respondBy.In(loc).Format("15:04:05 MST on Monday 2 January 2006")
	}
	return respondBy.In(loc).Format("Monday 2 January 2006")
}
