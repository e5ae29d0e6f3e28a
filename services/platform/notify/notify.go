// Package notify turns the customer message templates of the policy files
// (templates.yaml) into NotificationRequested events: the messages the company's
// e-mail and SMS systems deliver. It is pure (no I/O), so deciders use it.
//
// Messages are kept in the event log in clear, so a template may use no
// personal data: only the fields its caller passes, which are references,
// dates, products, agent display names and contact routes. A link to the
// customer page carries a placeholder where the delivery system puts the
// complaint's capability token, never the token (ADR 0052).
package notify

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Purposes of customer messages: why a message is sent.
const (
	Acknowledgement    = "acknowledgement"
	InformationRequest = "information-request"
	HoldingResponse    = "holding-response"
	FinalResponse      = "final-response"
	CaseOwner          = "case-owner"
	Survey             = "survey"
	SurveyChaser       = "survey-chaser"
	Reopened           = "reopened"
	RedressIssued      = "redress-issued"
)

// Templates is the templates policy (templates.yaml), shared by every service
// that writes to the customer.
type Templates struct {
	// Version is the file's label as written; label+digest once loaded.
	Version string `yaml:"version"`
	// CustomerPageURL is the customer page's address
	// (https://complaints.example.com/app/complaint); empty, messages carry
	// no link. Templates write {{with customerLink}}…{{.}}…{{end}}.
	CustomerPageURL string              `yaml:"customer_page_url"`
	Templates       map[string]Template `yaml:"templates"`
}

// CustomerTokenPlaceholder stands in a message's link for the complaint's
// capability token, which is never written to the log (ADR 0052): the
// delivery system puts the customer's token in its place (FillCustomerToken)
// when it sends the message, as it puts the customer's address on it.
const CustomerTokenPlaceholder = "{customer_token}"

// CustomerLink is the link templates get as customerLink: the customer
// page with the placeholder for the token; "" when no page is configured.
func (t *Templates) CustomerLink() string {
	if t.CustomerPageURL == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(t.CustomerPageURL, "?") {
		sep = "&"
	}
	return t.CustomerPageURL + sep + "token=" + CustomerTokenPlaceholder
}

// FillCustomerToken is what a delivery system does to a message's text (or
// subject) before sending it: the customer's capability token in place of
// CustomerTokenPlaceholder.
func FillCustomerToken(text, token string) string {
	return strings.ReplaceAll(text, CustomerTokenPlaceholder, url.QueryEscape(token))
}

// Template is one message in text/template syntax. A template named
// "<purpose>.<variant>" (e.g. "final-response.uk-fca") is used for that
// variant (a regime) instead of "<purpose>".
type Template struct {
	Subject string `yaml:"subject"`
	Text    string `yaml:"text"`
	// Channel is the preferred channel: "email", "sms", "letter" or "" for
	// the company's default.
	Channel string `yaml:"channel"`
}

// SetVersion records the loaded version.
func (t *Templates) SetVersion(v string) { t.Version = v }

// Validate checks that every template parses, naming the field in error.
func (t *Templates) Validate() error {
	var errs []error
	if t.CustomerPageURL != "" {
		if u, err := url.Parse(t.CustomerPageURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("customer_page_url: %q is not an http(s) address such as https://complaints.example.com/app/complaint", t.CustomerPageURL))
		}
	}
	names := make([]string, 0, len(t.Templates))
	for name := range t.Templates {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		m := t.Templates[name]
		if strings.TrimSpace(m.Text) == "" {
			errs = append(errs, fmt.Errorf("templates.%s.text: is required", name))
		}
		for field, src := range map[string]string{"text": m.Text, "subject": m.Subject} {
			if _, err := t.parse(src); err != nil {
				errs = append(errs, fmt.Errorf("templates.%s.%s: %v", name, field, err))
			}
		}
		switch m.Channel {
		case "", "email", "sms", "letter":
		default:
			errs = append(errs, fmt.Errorf("templates.%s.channel: %q is not one of email, sms, letter", name, m.Channel))
		}
	}
	return errors.Join(errs...)
}

// Require checks that templates exist for the purposes a service sends and
// render with the sample fields given, so a missing or broken template stops
// the service at start rather than at the first complaint.
func (t *Templates) Require(samples map[string]any) error {
	var errs []error
	for purpose, fields := range samples {
		if _, _, err := t.Render(purpose, "", fields); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Lookup returns the template for a purpose and variant: "<purpose>.<variant>"
// when there is one, else "<purpose>".
func (t *Templates) Lookup(purpose, variant string) (name string, m Template, ok bool) {
	if variant != "" {
		if m, ok := t.Templates[purpose+"."+variant]; ok {
			return purpose + "." + variant, m, true
		}
	}
	m, ok = t.Templates[purpose]
	return purpose, m, ok
}

// Render renders the subject and text of a purpose's template.
func (t *Templates) Render(purpose, variant string, fields any) (subject, text string, err error) {
	name, m, ok := t.Lookup(purpose, variant)
	if !ok {
		return "", "", fmt.Errorf("templates.%s: is required", purpose)
	}
	if subject, err = t.execute(m.Subject, fields); err != nil {
		return "", "", fmt.Errorf("templates.%s.subject: %v", name, err)
	}
	if text, err = t.execute(m.Text, fields); err != nil {
		return "", "", fmt.Errorf("templates.%s.text: %v", name, err)
	}
	return subject, text, nil
}

// Message is what a service wants to tell a customer.
type Message struct {
	ComplaintID string
	CustomerID  string
	Purpose     string
	// Variant selects "<purpose>.<variant>", usually the regime.
	Variant string
	// Step makes the notification id unique and stable: the id of the event
	// or command that caused the message ("resolution-2", a request id...).
	Step   string
	Fields any
	At     time.Time
}

// Request renders a message into the event that asks for its delivery. The
// notification id is derived from complaint, purpose and step, so deciding
// the same step again gives the same id and delivery systems de-duplicate.
func (t *Templates) Request(m Message) (*complaintsv1.NotificationRequested, error) {
	name, tpl, ok := t.Lookup(m.Purpose, m.Variant)
	if !ok {
		return nil, fmt.Errorf("templates.%s: is required", m.Purpose)
	}
	subject, text, err := t.Render(m.Purpose, m.Variant, m.Fields)
	if err != nil {
		return nil, err
	}
	id := m.ComplaintID + ":" + m.Purpose
	if m.Step != "" {
		id += ":" + m.Step
	}
	return &complaintsv1.NotificationRequested{
		NotificationId: id,
		ComplaintId:    m.ComplaintID,
		CustomerId:     m.CustomerID,
		Purpose:        m.Purpose,
		Template:       name,
		Channel:        tpl.Channel,
		Subject:        subject,
		Text:           text,
		RequestedAt:    timestamppb.New(m.At),
		DecidedBy:      &complaintsv1.PolicyRef{Policy: "templates", Version: t.Version, RuleId: name},
	}, nil
}

// funcs are the functions templates may call.
// parse returns the template src, parsed once for each customer page
// address: a message is rendered with every acknowledgement, survey and
// redress, and parsing took most of the rendering's time. A parsed template
// is safe to execute concurrently.
func (t *Templates) parse(src string) (*template.Template, error) {
	key := parsedKey{pageURL: t.CustomerPageURL, src: src}
	if tpl, ok := parsedTemplates.Load(key); ok {
		return tpl.(*template.Template), nil
	}
	link := (&Templates{CustomerPageURL: key.pageURL}).CustomerLink()
	tpl, err := template.New("message").Option("missingkey=error").
		Funcs(template.FuncMap{"customerLink": func() string { return link }}).Parse(src)
	if err != nil {
		return nil, err
	}
	parsedTemplates.Store(key, tpl)
	return tpl, nil
}

// parsedTemplates holds every template parsed, by customer page address and
// source: the few of a policy file, and of each version of it loaded.
var parsedTemplates sync.Map // parsedKey → *template.Template

type parsedKey struct{ pageURL, src string }

func (t *Templates) execute(src string, fields any) (string, error) {
	if src == "" {
		return "", nil
	}
	tpl, err := t.parse(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tpl.Execute(&b, fields); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}
