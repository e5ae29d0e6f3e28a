package domain

import (
	"errors"
	"fmt"
	"time"
)

// Regimes is the regimes policy (regimes.yaml): the clocks that may apply to
// a complaint, and which one applies when configuration names none.
type Regimes struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string   `yaml:"version"`
	Default string   `yaml:"default"`
	Regimes []Regime `yaml:"regimes"`
}

// Regime is one set of clocks: when the final response is due. Exactly one
// of BusinessDays, CalendarDays and Within is set.
type Regime struct {
	Name string `yaml:"name"`
	// BusinessDays: due at the end of the Nth Monday-to-Friday day after
	// receipt, UTC. Public holidays are not yet taken into account.
	BusinessDays int `yaml:"business_days"`
	// CalendarDays: due at the end of the Nth day after receipt, UTC.
	CalendarDays int `yaml:"calendar_days"`
	// Within: due exactly this long after receipt (demonstrations, tests).
	Within time.Duration `yaml:"within"`
	// Description says where the figure comes from.
	Description string `yaml:"description"`
}

// SetVersion records the loaded version.
func (r *Regimes) SetVersion(v string) { r.Version = v }

// Validate reports every field in error.
func (r *Regimes) Validate() error {
	var errs []error
	seen := map[string]bool{}
	if len(r.Regimes) == 0 {
		errs = append(errs, errors.New("regimes: at least one regime is required"))
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
		set := 0
		for _, on := range []bool{g.BusinessDays != 0, g.CalendarDays != 0, g.Within != 0} {
			if on {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, errors.New(at+": exactly one of business_days, calendar_days and within is required"))
		}
		if g.BusinessDays < 0 || g.CalendarDays < 0 || g.Within < 0 {
			errs = append(errs, errors.New(at+": the response time must be positive"))
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

// RespondBy is when a complaint received at receivedAt must have its
// response: the end of the day (UTC) for regimes in days, the exact instant
// for regimes given as a duration.
func (r Regime) RespondBy(receivedAt time.Time) time.Time {
	if r.Within > 0 {
		return receivedAt.Add(r.Within).UTC()
	}
	day := time.Date(receivedAt.Year(), receivedAt.Month(), receivedAt.Day(), 0, 0, 0, 0, time.UTC)
	if r.CalendarDays > 0 {
		day = day.AddDate(0, 0, r.CalendarDays)
	} else {
		for n := 0; n < r.BusinessDays; {
			day = day.AddDate(0, 0, 1)
			if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
				n++
			}
		}
	}
	return day.Add(24*time.Hour - time.Second)
}

// promise is how the due time reads in a message: a date for regimes in
// days, a time of day as well for regimes given as a duration.
func (r Regime) promise(respondBy time.Time) string {
	if r.Within > 0 {
		return respondBy.Format("15:04:05 UTC on Monday 2 January 2006")
	}
	return respondBy.Format("Monday 2 January 2006")
}
