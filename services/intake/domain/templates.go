package domain

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// Templates is the customer message templates policy (templates.yaml). The
// file is shared by every service; intake uses "acknowledgement".
type Templates struct {
	// Version is the file's label as written; label+digest once loaded.
	Version   string                     `yaml:"version"`
	Templates map[string]MessageTemplate `yaml:"templates"`
}

// MessageTemplate is one message in text/template syntax.
type MessageTemplate struct {
	Subject string `yaml:"subject"`
	Text    string `yaml:"text"`
	Channel string `yaml:"channel"`
}

// AcknowledgementTemplate names the template of the acknowledgement.
const AcknowledgementTemplate = "acknowledgement"

// AcknowledgementFields are what the acknowledgement template may use: no
// personal data, since the message is kept in the log in clear.
type AcknowledgementFields struct {
	Reference, Product string
	// RespondBy is the due time, already formatted for the regime.
	RespondBy string
}

// SetVersion records the loaded version.
func (t *Templates) SetVersion(v string) { t.Version = v }

// Validate checks that the templates intake uses exist and render.
func (t *Templates) Validate() error {
	var errs []error
	for name, m := range t.Templates {
		if _, err := template.New(name).Option("missingkey=error").Parse(m.Text); err != nil {
			errs = append(errs, fmt.Errorf("templates.%s.text: %v", name, err))
		}
	}
	ack, ok := t.Templates[AcknowledgementTemplate]
	if !ok {
		return errors.Join(append(errs, errors.New("templates.acknowledgement: is required"))...)
	}
	if _, err := render(ack, AcknowledgementFields{Reference: "CMP-0000000", Product: "broadband", RespondBy: "Friday 4 December 2026"}); err != nil {
		errs = append(errs, fmt.Errorf("templates.acknowledgement.text: %v", err))
	}
	return errors.Join(errs...)
}

func render(m MessageTemplate, data any) (string, error) {
	tpl, err := template.New("message").Option("missingkey=error").Parse(m.Text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
