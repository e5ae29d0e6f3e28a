package regime

import (
	"errors"
	"fmt"

	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// Policy is the regimes policy with its calendars, checked against each
// other: every clock knows its calendar.
type Policy struct {
	Regimes   Regimes
	Calendars Calendars
}

// Load loads regimes.yaml and calendars.yaml from dir (each falling back to
// the embedded default), validates them and resolves every clock's calendar.
func Load(dir string) (Policy, error) {
	regimes, err := policy.Load[Regimes](dir, "regimes")
	if err != nil {
		return Policy{}, err
	}
	calendars, err := policy.Load[Calendars](dir, "calendars")
	if err != nil {
		return Policy{}, err
	}
	return Resolve(regimes.Value, calendars.Value)
}

// Resolve binds each clock of the regimes to its calendar: the clock's own,
// else the regime's, else the calendars' default.
func Resolve(r Regimes, cs Calendars) (Policy, error) {
	var errs []error
	calendar := func(at string, names ...string) *Calendar {
		for _, n := range names {
			if n == "" {
				continue
			}
			c, ok := cs.Named(n)
			if !ok {
				errs = append(errs, fmt.Errorf("regimes.yaml: %s.calendar: %q is not a calendar of calendars.yaml", at, n))
				return UTC
			}
			return c
		}
		c, ok := cs.Named("")
		if !ok {
			return UTC
		}
		return c
	}
	out := r
	out.Regimes = make([]Regime, len(r.Regimes))
	for i, g := range r.Regimes {
		at := fmt.Sprintf("regimes[%d]", i)
		if g.Calendar != "" {
			calendar(at, g.Calendar)
		}
		var all []Clock
		for j, c := range g.own() {
			c.cal = calendar(fmt.Sprintf("%s.clocks[%d]", at, j), c.Calendar, g.Calendar)
			all = append(all, c)
		}
		for j, c := range r.SLAs {
			c.cal = calendar(fmt.Sprintf("slas[%d]", j), c.Calendar, g.Calendar)
			all = append(all, c)
		}
		g.all = all
		out.Regimes[i] = g
	}
	if err := errors.Join(errs...); err != nil {
		return Policy{}, err
	}
	return Policy{Regimes: out, Calendars: cs}, nil
}

// Named returns the regime called name, the default one for "".
func (p Policy) Named(name string) (Regime, bool) { return p.Regimes.Named(name) }
