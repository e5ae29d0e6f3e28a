// Package companysim simulates a company's complaints over a stretch of
// days and drives them through the complaint services under a simulated
// clock, then scores the system's own reports against what truly happened.
//
// A scenario (YAML) describes the company: its customers, products, root
// causes with their base daily rates and weekly seasonality, the faults
// that multiply a cause's rate for a while, the outage storms that bring a
// burst of complaints within minutes, the preventive actions and their true
// effect, how customers behave (repeat contacts, channel switches, answers
// to information requests and surveys) and how agents work (delays,
// transfers, misclassified causes). With a seed, Generate turns it into the
// same complaint stream and the same ground truth every time.
package companysim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/goccy/go-yaml"
)

// Scenario is a simulated company and what happens to it.
type Scenario struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Start is the first simulated day (YYYY-MM-DD, UTC); Days how many
	// days complaints arrive. The simulation then runs on until every
	// complaint is closed and every action evaluated.
	Start string `yaml:"start" json:"start"`
	Days  int    `yaml:"days" json:"days"`
	// Regime names the regime complaints are received under (empty: the
	// regimes policy's default).
	Regime string `yaml:"regime" json:"regime,omitempty"`
	// Customers is the size of the customer base; VulnerableShare the share
	// of them who told the company of a vulnerability.
	Customers       int      `yaml:"customers" json:"customers"`
	VulnerableShare float64  `yaml:"vulnerable_share" json:"vulnerable_share"`
	Channels        []Weight `yaml:"channels" json:"channels"`
	// Weekly multiplies every rate by the day of the week, Monday first; empty
	// for a flat week.
	Weekly []float64 `yaml:"weekly" json:"weekly,omitempty"`
	Causes []Cause   `yaml:"causes" json:"causes"`
	Faults []Fault   `yaml:"faults" json:"faults,omitempty"`
	Drifts []Drift   `yaml:"drifts" json:"drifts,omitempty"`
	Storms []Storm   `yaml:"storms" json:"storms,omitempty"`
	// Actions are preventive actions the process owners take.
	Actions   []Action  `yaml:"actions" json:"actions,omitempty"`
	Behaviour Behaviour `yaml:"behaviour" json:"behaviour"`
	Agents    Agents    `yaml:"agents" json:"agents"`
}

// Weight is a named choice and its weight.
type Weight struct {
	Name   string  `yaml:"name" json:"name"`
	Weight float64 `yaml:"weight" json:"weight"`
}

// Cause is a root cause (a code of the taxonomy) and its base rate of
// complaints a day for each product.
type Cause struct {
	Code  string `yaml:"code" json:"code"`
	Rates []Rate `yaml:"rates" json:"rates"`
}

// Rate is a product's base daily rate of complaints for a cause.
type Rate struct {
	Product string  `yaml:"product" json:"product"`
	PerDay  float64 `yaml:"per_day" json:"per_day"`
}

// Fault multiplies the rate of a cause for a product by Factor from day
// Start (0 is the first day) for Days days.
type Fault struct {
	Cause   string  `yaml:"cause" json:"cause"`
	Product string  `yaml:"product" json:"product"`
	Factor  float64 `yaml:"factor" json:"factor"`
	Start   int     `yaml:"start" json:"start"`
	Days    int     `yaml:"days" json:"days"`
}

// Drift makes the rate of a cause for a product creep up by Weekly (0.02:
// 2% a week, compounded) from day Start on.
type Drift struct {
	Cause   string  `yaml:"cause" json:"cause"`
	Product string  `yaml:"product" json:"product"`
	Weekly  float64 `yaml:"weekly" json:"weekly"`
	Start   int     `yaml:"start" json:"start"`
}

// Storm is an outage storm: Complaints complaints about Product (cause
// Cause) within Minutes minutes from Day at At (HH:MM, UTC), on Channel
// (empty: each customer's own).
type Storm struct {
	Product    string `yaml:"product" json:"product"`
	Cause      string `yaml:"cause" json:"cause"`
	Channel    string `yaml:"channel" json:"channel,omitempty"`
	Day        int    `yaml:"day" json:"day"`
	At         string `yaml:"at" json:"at"`
	Complaints int    `yaml:"complaints" json:"complaints"`
	Minutes    int    `yaml:"minutes" json:"minutes"`
}

// Action is a preventive action for a cause (and product; empty: all),
// opened on day Opened and completed on day Completed, from which on the
// cause's rate is multiplied by TrueFactor (1: no effect).
type Action struct {
	Name       string  `yaml:"name" json:"name"`
	Cause      string  `yaml:"cause" json:"cause"`
	Product    string  `yaml:"product" json:"product,omitempty"`
	Owner      string  `yaml:"owner" json:"owner"`
	Opened     int     `yaml:"opened" json:"opened"`
	Completed  int     `yaml:"completed" json:"completed"`
	TrueFactor float64 `yaml:"true_factor" json:"true_factor"`
}

// Behaviour is how customers behave, as probabilities per complaint.
type Behaviour struct {
	// RepeatContact: the customer contacts again before the final response
	// (each further contact with the same probability, at most 3).
	RepeatContact float64 `yaml:"repeat_contact" json:"repeat_contact"`
	// ChannelSwitch: a repeat contact or an answer comes on another channel.
	ChannelSwitch float64 `yaml:"channel_switch" json:"channel_switch"`
	// InformationRequest: the agent asks the customer a question;
	// InformationAnswered: the customer answers it.
	InformationRequest  float64 `yaml:"information_request" json:"information_request"`
	InformationAnswered float64 `yaml:"information_answered" json:"information_answered"`
	// SurveyAnswer: the customer answers the follow-up survey (else they
	// stay silent); NotResolved: their answer says it is not resolved (the
	// case reopens; the second survey, if answered, says resolved).
	SurveyAnswer float64 `yaml:"survey_answer" json:"survey_answer"`
	NotResolved  float64 `yaml:"not_resolved" json:"not_resolved"`
}

// Agents is how the complaint handlers work.
type Agents struct {
	// ResolveHours: the final response comes this many hours after receipt,
	// uniformly between Min and Max.
	ResolveHours Range `yaml:"resolve_hours" json:"resolve_hours"`
	// Transfer: the case moves to another team before resolution.
	Transfer float64 `yaml:"transfer" json:"transfer"`
	// Misclassification: the recorded root cause is another cause of the
	// scenario, chosen uniformly.
	Misclassification float64  `yaml:"misclassification" json:"misclassification"`
	Outcomes          []Weight `yaml:"outcomes" json:"outcomes"`
}

// Range is [Min, Max].
type Range struct {
	Min float64 `yaml:"min" json:"min"`
	Max float64 `yaml:"max" json:"max"`
}

// Outcomes of a resolution, as scenarios name them.
var outcomeNames = []string{"upheld", "partly_upheld", "rejected"}

// Load reads and checks a scenario file.
func Load(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	return Parse(data)
}

// Parse reads and checks a scenario; unknown fields are errors.
func Parse(data []byte) (Scenario, error) {
	var s Scenario
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField()).Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	if err := s.Check(); err != nil {
		return Scenario{}, err
	}
	return s, nil
}

// StartTime is the first simulated day at midnight UTC.
func (s Scenario) StartTime() time.Time {
	t, _ := time.Parse(time.DateOnly, s.Start)
	return t.UTC()
}

func probability(name string, p float64) error {
	if p < 0 || p > 1 {
		return fmt.Errorf("scenario: %s %v is not a probability", name, p)
	}
	return nil
}

// Check reports what is wrong with the scenario.
func (s Scenario) Check() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("scenario: name required"))
	}
	if _, err := time.Parse(time.DateOnly, s.Start); err != nil {
		errs = append(errs, fmt.Errorf("scenario: start %q is not a date (YYYY-MM-DD)", s.Start))
	}
	if s.Days < 1 {
		errs = append(errs, errors.New("scenario: days must be at least 1"))
	}
	if s.Customers < 1 {
		errs = append(errs, errors.New("scenario: customers must be at least 1"))
	}
	if len(s.Channels) == 0 {
		errs = append(errs, errors.New("scenario: at least one channel"))
	}
	if len(s.Weekly) != 0 && len(s.Weekly) != 7 {
		errs = append(errs, errors.New("scenario: weekly has 7 factors, Monday first"))
	}
	if len(s.Causes) == 0 {
		errs = append(errs, errors.New("scenario: at least one cause"))
	}
	causes := map[string]bool{}
	for _, c := range s.Causes {
		if causes[c.Code] {
			errs = append(errs, fmt.Errorf("scenario: cause %s twice", c.Code))
		}
		causes[c.Code] = true
		for _, r := range c.Rates {
			if r.Product == "" || r.PerDay < 0 {
				errs = append(errs, fmt.Errorf("scenario: cause %s: a rate needs a product and a rate not below 0", c.Code))
			}
		}
	}
	known := func(what, cause string) {
		if !causes[cause] {
			errs = append(errs, fmt.Errorf("scenario: %s names cause %q, not among the causes", what, cause))
		}
	}
	for i, f := range s.Faults {
		known(fmt.Sprintf("fault %d", i+1), f.Cause)
		if f.Factor <= 0 || f.Days < 1 || f.Start < 0 || f.Product == "" {
			errs = append(errs, fmt.Errorf("scenario: fault %d needs a product, a factor above 0, a start and days", i+1))
		}
	}
	for i, d := range s.Drifts {
		known(fmt.Sprintf("drift %d", i+1), d.Cause)
	}
	for i, st := range s.Storms {
		known(fmt.Sprintf("storm %d", i+1), st.Cause)
		if _, err := time.Parse("15:04", st.At); err != nil || st.Complaints < 1 || st.Minutes < 1 || st.Product == "" {
			errs = append(errs, fmt.Errorf("scenario: storm %d needs a product, at (HH:MM), complaints and minutes", i+1))
		}
	}
	for i, a := range s.Actions {
		known(fmt.Sprintf("action %d", i+1), a.Cause)
		if a.Completed < a.Opened || a.TrueFactor < 0 || a.Owner == "" {
			errs = append(errs, fmt.Errorf("scenario: action %d needs an owner, completion not before opening and a true factor not below 0", i+1))
		}
	}
	b := s.Behaviour
	for name, p := range map[string]float64{
		"repeat_contact": b.RepeatContact, "channel_switch": b.ChannelSwitch, "information_request": b.InformationRequest,
		"information_answered": b.InformationAnswered, "survey_answer": b.SurveyAnswer, "not_resolved": b.NotResolved,
		"transfer": s.Agents.Transfer, "misclassification": s.Agents.Misclassification, "vulnerable_share": s.VulnerableShare,
	} {
		if err := probability(name, p); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Agents.ResolveHours.Min < 3 || s.Agents.ResolveHours.Max < s.Agents.ResolveHours.Min {
		errs = append(errs, errors.New("scenario: agents resolve_hours needs 3 <= min <= max"))
	}
	for _, o := range s.Agents.Outcomes {
		if !slices.Contains(outcomeNames, o.Name) {
			errs = append(errs, fmt.Errorf("scenario: outcome %q is none of %v", o.Name, outcomeNames))
		}
	}
	if len(s.Agents.Outcomes) == 0 {
		errs = append(errs, errors.New("scenario: agents need at least one outcome"))
	}
	return errors.Join(errs...)
}
