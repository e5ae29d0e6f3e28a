package domain

import (
	"fmt"
	"sort"
	"time"
)

// Regime is the set of clocks that apply to a complaint: when the promised
// response is due. Regimes are data, chosen by configuration, never constants
// buried in the rules.
type Regime struct {
	Name string
	// ResponseDays is how long the company gives itself for a final response.
	ResponseDays int
	// BusinessDays counts only Monday to Friday when true, calendar days when
	// false. Public holidays are not yet taken into account.
	BusinessDays bool
	// Description says where the figure comes from.
	Description string
}

// Regimes known out of the box. Verify the current rule text before relying
// on any of them.
var Regimes = map[string]Regime{
	"default": {Name: "default", ResponseDays: 10, BusinessDays: true,
		Description: "internal service level: final response within 10 business days"},
	"uk-fca": {Name: "uk-fca", ResponseDays: 56,
		Description: "UK FCA DISP: final or holding response within 8 weeks"},
	"uk-fca-payments": {Name: "uk-fca-payments", ResponseDays: 15, BusinessDays: true,
		Description: "UK FCA DISP, payment services: final response within 15 business days"},
	"us-cfpb": {Name: "us-cfpb", ResponseDays: 15,
		Description: "US CFPB: response within 15 calendar days"},
	"au-asic": {Name: "au-asic", ResponseDays: 30,
		Description: "Australia ASIC RG 271: final response within 30 calendar days"},
}

// RegimeNamed looks a regime up.
func RegimeNamed(name string) (Regime, error) {
	r, ok := Regimes[name]
	if !ok {
		names := make([]string, 0, len(Regimes))
		for n := range Regimes {
			names = append(names, n)
		}
		sort.Strings(names)
		return Regime{}, fmt.Errorf("unknown regime %q (known: %v)", name, names)
	}
	return r, nil
}

// RespondBy is the end of the day, UTC, by which a complaint received at
// receivedAt must have its response.
func (r Regime) RespondBy(receivedAt time.Time) time.Time {
	day := time.Date(receivedAt.Year(), receivedAt.Month(), receivedAt.Day(), 0, 0, 0, 0, time.UTC)
	if !r.BusinessDays {
		day = day.AddDate(0, 0, r.ResponseDays)
	} else {
		for n := 0; n < r.ResponseDays; {
			day = day.AddDate(0, 0, 1)
			if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
				n++
			}
		}
	}
	return day.Add(24*time.Hour - time.Second)
}
