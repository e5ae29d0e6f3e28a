package domain

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Routing is the routing policy (routing.yaml): which team a new case goes
// to. Rules are tried in order; the first naming the case's product decides,
// and the default rule decides for a product no rule names.
type Routing struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string        `yaml:"version"`
	Rules   []RoutingRule `yaml:"rules"`
	Default RoutingRule   `yaml:"default"`
}

// Contacts is the contacts policy (contacts.yaml): how a customer reaches
// the team owning their complaint, told when an agent takes their case.
type Contacts struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string             `yaml:"version"`
	Default Contact            `yaml:"default"`
	Teams   map[string]Contact `yaml:"teams"`
}

// SetVersion records the loaded version.
func (c *Contacts) SetVersion(v string) { c.Version = v }

// Validate reports every field in error.
func (c *Contacts) Validate() error {
	var errs []error
	if c.Default.Route == "" {
		errs = append(errs, errors.New("default.route: is required"))
	}
	teams := make([]string, 0, len(c.Teams))
	for team := range c.Teams {
		teams = append(teams, team)
	}
	sort.Strings(teams)
	for _, team := range teams {
		if t := c.Teams[team]; t.Route == "" && t.AgentDisplayName == "" {
			errs = append(errs, fmt.Errorf("teams.%s: sets neither route nor agent_display_name", team))
		}
	}
	return errors.Join(errs...)
}

// Contact is how to reach a team directly.
type Contact struct {
	// Route is the phone number, hours and address, as told to customers.
	Route string `yaml:"route"`
	// AgentDisplayName is the name given for an agent who gives none.
	AgentDisplayName string `yaml:"agent_display_name"`
}

// For returns the contact of a team: its own route, and the default's for
// what it does not set.
func (c Contacts) For(team string) Contact {
	out := c.Teams[team]
	if out.Route == "" {
		out.Route = c.Default.Route
	}
	if out.AgentDisplayName == "" {
		out.AgentDisplayName = c.Default.AgentDisplayName
	}
	if out.AgentDisplayName == "" {
		out.AgentDisplayName = "Your case handler"
	}
	return out
}

// RoutingRule sends the cases of some products to a team.
type RoutingRule struct {
	ID       string   `yaml:"id"`
	Products []string `yaml:"products"`
	Team     string   `yaml:"team"`
}

// SetVersion records the loaded version.
func (r *Routing) SetVersion(v string) { r.Version = v }

// Validate reports every field in error.
func (r *Routing) Validate() error {
	var errs []error
	ids := map[string]string{}
	routed := map[string]string{}
	check := func(at string, rule RoutingRule) {
		switch {
		case rule.ID == "":
			errs = append(errs, errors.New(at+".id: is required"))
		case ids[rule.ID] != "":
			errs = append(errs, fmt.Errorf("%s.id: %q is already the id of %s", at, rule.ID, ids[rule.ID]))
		default:
			ids[rule.ID] = at
		}
		if rule.Team == "" {
			errs = append(errs, errors.New(at+".team: is required"))
		}
	}
	for i, rule := range r.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		check(at, rule)
		if len(rule.Products) == 0 {
			errs = append(errs, errors.New(at+".products: at least one product is required"))
		}
		for j, p := range rule.Products {
			switch {
			case p == "":
				errs = append(errs, fmt.Errorf("%s.products[%d]: is empty", at, j))
			case routed[p] != "":
				errs = append(errs, fmt.Errorf("%s.products[%d]: %q is already routed by rule %q", at, j, p, routed[p]))
			default:
				routed[p] = rule.ID
			}
		}
	}
	check("default", r.Default)
	if len(r.Default.Products) > 0 {
		errs = append(errs, errors.New("default.products: the default rule takes every other product and lists none"))
	}
	return errors.Join(errs...)
}

// Route returns the rule that decides where a case for product goes.
func (r Routing) Route(product string) RoutingRule {
	for _, rule := range r.Rules {
		for _, p := range rule.Products {
			if p == product {
				return rule
			}
		}
	}
	return r.Default
}

// RootCause is one entry of the taxonomy of process causes. Causes name a
// process that failed, never a person.
type RootCause struct {
	Code        string `json:"code" yaml:"code"`
	Description string `json:"description" yaml:"description"`
	// Category groups causes for reports; the code's area ("billing" of
	// "billing.incorrect-charge") when not set.
	Category string `json:"category" yaml:"category"`
}

// CategoryOf returns the category of a cause: its own, or its code's area.
func (c RootCause) CategoryOf() string {
	if c.Category != "" {
		return c.Category
	}
	area, _, _ := strings.Cut(c.Code, ".")
	return area
}

// Taxonomy is the root-cause taxonomy policy (taxonomy.yaml): the causes a
// case may be resolved with.
type Taxonomy struct {
	// Version is the file's label as written; label+digest once loaded.
	Version    string      `yaml:"version"`
	RootCauses []RootCause `yaml:"root_causes"`
}

// SetVersion records the loaded version.
func (t *Taxonomy) SetVersion(v string) { t.Version = v }

// Validate reports every field in error.
func (t *Taxonomy) Validate() error {
	var errs []error
	if len(t.RootCauses) == 0 {
		errs = append(errs, errors.New("root_causes: at least one root cause is required"))
	}
	seen := map[string]bool{}
	for i, c := range t.RootCauses {
		at := fmt.Sprintf("root_causes[%d]", i)
		switch {
		case c.Code == "":
			errs = append(errs, errors.New(at+".code: is required"))
		case seen[c.Code]:
			errs = append(errs, fmt.Errorf("%s.code: %q is listed twice", at, c.Code))
		}
		seen[c.Code] = true
		if c.Description == "" {
			errs = append(errs, errors.New(at+".description: is required"))
		}
	}
	return errors.Join(errs...)
}

// Has reports whether code is in the taxonomy.
func (t Taxonomy) Has(code string) bool {
	for _, c := range t.RootCauses {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Cause returns the entry of code.
func (t Taxonomy) Cause(code string) (RootCause, bool) {
	for _, c := range t.RootCauses {
		if c.Code == code {
			return c, true
		}
	}
	return RootCause{}, false
}

// Sorted returns the root causes ordered by code.
func (t Taxonomy) Sorted() []RootCause {
	out := append([]RootCause(nil), t.RootCauses...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
