package domain

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/regime"
)

// Policy is the data intake decides with.
type Policy struct {
	// Regimes are the regimes policy, its clocks bound to their calendars
	// (regime.Load): when the final response is due, which the
	// acknowledgement promises. Resolution's final-response clock computes
	// the same due time from the same policy.
	Regimes   regime.Regimes
	Templates notify.Templates
	Products  Products
	Contacts  Contacts
}

// CheckRegime says whether the policy knows regime ("" for its default).
func (p Policy) CheckRegime(regime string) error {
	if _, ok := p.Regimes.Named(regime); !ok {
		return fmt.Errorf("regime %q is not in regimes.yaml (known: %v)", regime, p.Regimes.Names())
	}
	return nil
}

// AcknowledgementSample is what the acknowledgement template is checked with
// at start: the fields intake passes it.
var AcknowledgementSample = AcknowledgementFields{Reference: "CMP-0000000", Product: "broadband", RespondBy: "Friday 4 December 2026"}

// AcknowledgementFields are what the acknowledgement template may use: no
// personal data, since the message is kept in the log in clear.
type AcknowledgementFields struct {
	Reference, Product string
	// RespondBy is the due time, already formatted for the regime.
	RespondBy string
}

// Products is the product taxonomy (products.yaml): the products a complaint
// may be about, in categories.
type Products struct {
	Version    string            `yaml:"version"`
	Categories []ProductCategory `yaml:"categories"`
}

// ProductCategory is one category of products.
type ProductCategory struct {
	Code        string   `yaml:"code"`
	Description string   `yaml:"description"`
	Products    []string `yaml:"products"`
}

var code = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// SetVersion records the loaded version.
func (p *Products) SetVersion(v string) { p.Version = v }

// Validate reports every field in error.
func (p *Products) Validate() error {
	var errs []error
	if len(p.Categories) == 0 {
		errs = append(errs, errors.New("categories: at least one category is required"))
	}
	seenCat, seenProduct := map[string]bool{}, map[string]string{}
	for i, c := range p.Categories {
		at := fmt.Sprintf("categories[%d]", i)
		switch {
		case !code.MatchString(c.Code):
			errs = append(errs, fmt.Errorf("%s.code: %q must be lower-case words joined by hyphens", at, c.Code))
		case seenCat[c.Code]:
			errs = append(errs, fmt.Errorf("%s.code: %q is already defined", at, c.Code))
		}
		seenCat[c.Code] = true
		if len(c.Products) == 0 {
			errs = append(errs, fmt.Errorf("%s.products: at least one product is required", at))
		}
		for j, pr := range c.Products {
			switch {
			case !code.MatchString(pr) || len(pr) > 100:
				errs = append(errs, fmt.Errorf("%s.products[%d]: %q must be lower-case words joined by hyphens", at, j, pr))
			case seenProduct[pr] != "":
				errs = append(errs, fmt.Errorf("%s.products[%d]: %q is already in category %q", at, j, pr, seenProduct[pr]))
			}
			seenProduct[pr] = c.Code
		}
	}
	return errors.Join(errs...)
}

// CategoryOf returns the category of a product; false for a product the
// taxonomy does not list.
func (p Products) CategoryOf(product string) (string, bool) {
	for _, c := range p.Categories {
		for _, pr := range c.Products {
			if pr == product {
				return c.Code, true
			}
		}
	}
	return "", false
}

// Contacts is the repeat-contact policy (recontact.yaml).
type Contacts struct {
	Version string `yaml:"version"`
	// RecontactWindow: a new complaint about the same product within this
	// long after the customer's earlier one closed is linked to it.
	RecontactWindow time.Duration `yaml:"recontact_window"`
}

// SetVersion records the loaded version.
func (c *Contacts) SetVersion(v string) { c.Version = v }

// Validate reports every field in error.
func (c *Contacts) Validate() error {
	if c.RecontactWindow < 0 {
		return errors.New("recontact_window: must not be negative")
	}
	return nil
}
