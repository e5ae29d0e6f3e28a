package regime

import (
	"errors"
	"fmt"
	"strings"
	"time"

	_ "time/tzdata" // calendars name IANA zones; do not depend on the host's zone files
)

// Calendars is the business calendars policy (calendars.yaml): the working
// days, working hours, time zone and public holidays that business-day and
// business-hour clocks count in.
type Calendars struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string `yaml:"version"`
	// Default is the calendar of a regime or clock that names none.
	Default   string     `yaml:"default"`
	Calendars []Calendar `yaml:"calendars"`
}

// Calendar is one business calendar.
type Calendar struct {
	Name string `yaml:"name"`
	// TimeZone is an IANA zone, e.g. "Europe/London"; days end at midnight
	// there.
	TimeZone string `yaml:"time_zone"`
	// WorkingDays are the days of the week business is done: mon ... sun.
	WorkingDays []string `yaml:"working_days"`
	// Hours is the working day, e.g. {start: "09:00", end: "17:30"}.
	Hours Hours `yaml:"hours"`
	// Holidays are dates (YYYY-MM-DD) that are not business days.
	Holidays    []string `yaml:"holidays"`
	Description string   `yaml:"description"`

	loc      *time.Location
	days     [7]bool
	holidays map[string]bool
	start    time.Duration // since local midnight
	end      time.Duration
}

// Hours is a working-hours window, local time.
type Hours struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

// UTC is the calendar of rules used without a calendars policy: Monday to
// Friday, 09:00-17:00 UTC, no holidays.
var UTC = func() *Calendar {
	c := &Calendar{Name: "utc", TimeZone: "UTC", WorkingDays: []string{"mon", "tue", "wed", "thu", "fri"}, Hours: Hours{"09:00", "17:00"}}
	if err := c.compile(); err != nil {
		panic(err)
	}
	return c
}()

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func clockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// compile checks the calendar and prepares it for arithmetic.
func (c *Calendar) compile() error {
	var errs []error
	loc, err := time.LoadLocation(c.TimeZone)
	switch {
	case c.TimeZone == "":
		errs = append(errs, errors.New("time_zone: is required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("time_zone: %q is not an IANA time zone", c.TimeZone))
	}
	c.loc = loc
	c.days = [7]bool{}
	for _, d := range c.WorkingDays {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			errs = append(errs, fmt.Errorf("working_days: %q is not one of mon, tue, wed, thu, fri, sat, sun", d))
			continue
		}
		c.days[wd] = true
	}
	if len(c.WorkingDays) == 0 {
		errs = append(errs, errors.New("working_days: at least one day is required"))
	}
	if c.start, err = clockTime(c.Hours.Start); err != nil {
		errs = append(errs, fmt.Errorf("hours.start: %v", err))
	}
	if c.end, err = clockTime(c.Hours.End); err != nil {
		errs = append(errs, fmt.Errorf("hours.end: %v", err))
	}
	if c.end <= c.start && c.Hours.Start != "" && c.Hours.End != "" {
		errs = append(errs, errors.New("hours: end must be after start"))
	}
	c.holidays = map[string]bool{}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			errs = append(errs, fmt.Errorf("holidays: %q is not a date YYYY-MM-DD", h))
			continue
		}
		c.holidays[h] = true
	}
	return errors.Join(errs...)
}

// SetVersion records the loaded version.
func (cs *Calendars) SetVersion(v string) { cs.Version = v }

// Validate reports every field in error.
func (cs *Calendars) Validate() error {
	var errs []error
	seen := map[string]bool{}
	if len(cs.Calendars) == 0 {
		errs = append(errs, errors.New("calendars: at least one calendar is required"))
	}
	for i := range cs.Calendars {
		c := &cs.Calendars[i]
		at := fmt.Sprintf("calendars[%d]", i)
		switch {
		case c.Name == "":
			errs = append(errs, errors.New(at+".name: is required"))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("%s.name: %q is already defined", at, c.Name))
		}
		seen[c.Name] = true
		if err := c.compile(); err != nil {
			for _, e := range splitErr(err) {
				errs = append(errs, fmt.Errorf("%s.%v", at, e))
			}
		}
	}
	switch {
	case cs.Default == "":
		errs = append(errs, errors.New("default: is required"))
	case !seen[cs.Default]:
		errs = append(errs, fmt.Errorf("default: %q is not one of the calendars", cs.Default))
	}
	return errors.Join(errs...)
}

// Named returns the calendar called name, the default one for "".
func (cs *Calendars) Named(name string) (*Calendar, bool) {
	if name == "" {
		name = cs.Default
	}
	for i := range cs.Calendars {
		if cs.Calendars[i].Name == name {
			if cs.Calendars[i].loc == nil {
				if err := cs.Calendars[i].compile(); err != nil {
					return nil, false
				}
			}
			return &cs.Calendars[i], true
		}
	}
	return nil, false
}

func splitErr(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsBusinessDay says whether the local date of t is a working day that is
// not a holiday.
func (c *Calendar) IsBusinessDay(t time.Time) bool {
	t = t.In(c.loc)
	return c.days[t.Weekday()] && !c.holidays[t.Format(time.DateOnly)]
}

// midnight is the start of the local day of t.
func (c *Calendar) midnight(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

// endOfDay is the last second of the local day that is n days after t's.
func (c *Calendar) endOfDay(t time.Time, n int) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day()+n+1, 0, 0, 0, 0, c.loc).Add(-time.Second)
}

// AddBusinessDays is the end (last second, local) of the nth business day
// after the local day of t.
func (c *Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	day := c.midnight(t)
	for k := 0; k < n; {
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, c.loc)
		if c.IsBusinessDay(day) {
			k++
		}
	}
	return c.endOfDay(day, 0)
}

// AddBusinessHours is the instant at which d of working time (inside the
// working hours of business days) has passed since t.
func (c *Calendar) AddBusinessHours(t time.Time, d time.Duration) time.Time {
	at := t.In(c.loc)
	for range 3660 { // ten years of days bounds a calendar without business days
		day := c.midnight(at)
		open := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.loc).Add(c.start)
		closes := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.loc).Add(c.end)
		if c.IsBusinessDay(day) && at.Before(closes) {
			if at.Before(open) {
				at = open
			}
			left := closes.Sub(at)
			if d <= left {
				return at.Add(d).UTC()
			}
			d -= left
		}
		at = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, c.loc)
	}
	return at.UTC()
}
