package domain

import (
	"time"

	"github.com/complaintflow/complaintflow/services/platform/regime"
)

// Regimes is what intake needs of the regimes policy (package regime,
// regimes.yaml and calendars.yaml): for each regime, when the final response
// is due, which the acknowledgement promises. Resolution's final-response
// clock computes the same due time from the same package.
type Regimes struct {
	// Version is the regimes policy's loaded version (label+digest).
	Version string
	Default string
	Regimes []Regime
}

// Regime is one regime. Loaded from the policy it carries all its clocks;
// built by hand (tests) it is the short form: exactly one of BusinessDays,
// CalendarDays and Within, a final response on the UTC calendar.
type Regime struct {
	Name         string
	BusinessDays int
	CalendarDays int
	Within       time.Duration
	Description  string

	loaded *regime.Regime
}

// RegimesOf is intake's view of a loaded regimes policy.
func RegimesOf(p regime.Policy) Regimes {
	out := Regimes{Version: p.Regimes.Version, Default: p.Regimes.Default}
	for _, g := range p.Regimes.Regimes {
		out.Regimes = append(out.Regimes, Regime{
			Name: g.Name, BusinessDays: g.BusinessDays, CalendarDays: g.CalendarDays, Within: g.Within,
			Description: g.Description, loaded: &g,
		})
	}
	return out
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

func (r Regime) policy() regime.Regime {
	if r.loaded != nil {
		return *r.loaded
	}
	return regime.Regime{Name: r.Name, BusinessDays: r.BusinessDays, CalendarDays: r.CalendarDays, Within: r.Within}
}

// RespondBy is when a complaint received at receivedAt must have its final
// response: the due time of the regime's final-response clock.
func (r Regime) RespondBy(receivedAt time.Time) time.Time {
	return r.policy().RespondBy(receivedAt)
}

// promise is how the due time reads in a message: a date for clocks in
// days, a time of day as well for clocks in hours or seconds.
func (r Regime) promise(respondBy time.Time) string { return r.policy().Promise(respondBy) }

// Validate checks regimes built by hand as the regimes policy would,
// naming every field in error.
func (r *Regimes) Validate() error {
	p := regime.Regimes{Version: r.Version, Default: r.Default}
	for _, g := range r.Regimes {
		p.Regimes = append(p.Regimes, g.policy())
	}
	return p.Validate()
}
