// Package writers says which service may write which events: each stream
// category has exactly one writer, and each event type of the catalogue
// belongs to one category. NATS permissions are generated from it, and every
// consumer checks an event against it before acting on it, so a forged event
// is refused even where permissions are misconfigured.
package writers

import (
	"fmt"
	"strings"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// ByCategory names the one service allowed to write each stream category.
var ByCategory = map[string]string{
	"complaint":  "intake",
	"case":       "resolution",
	"redress":    "compensation",
	"followup":   "followup",
	"prevention": "prevention",
}

// categoryOf places every event of the catalogue in its category, by the
// message's short name. The test beside this file fails when the catalogue
// gains an event that is not placed here.
var categoryOf = map[string]string{
	"ComplaintReceived":     "complaint",
	"ComplaintAcknowledged": "complaint",

	"CaseOpened":   "case",
	"CaseAssigned": "case",
	"CaseResolved": "case",

	"RedressDecided": "redress",
	"RedressIssued":  "redress",

	"SurveyRequested": "followup",
	"SurveyAnswered":  "followup",
	"ComplaintClosed": "followup",
}

// catalogue is the package of every event type name ("complaints.v1.").
var catalogue = string(complaintsv1.File_complaints_v1_events_proto.Package()) + "."

// Category returns the category of an event type of the catalogue (its
// protobuf full name, "complaints.v1.CaseResolved"); false if the type is
// not one of the catalogue's events.
func Category(eventType string) (string, bool) {
	name, ok := strings.CutPrefix(eventType, catalogue)
	if !ok {
		return "", false
	}
	c, ok := categoryOf[name]
	return c, ok
}

// Writer returns the service allowed to write a category; false if the
// category is unknown.
func Writer(category string) (string, bool) {
	s, ok := ByCategory[category]
	return s, ok
}

// EventTypes lists the event types a service may write, as full names.
func EventTypes(service string) []string {
	var out []string
	for name, cat := range categoryOf {
		if ByCategory[cat] == service {
			out = append(out, catalogue+name)
		}
	}
	return out
}

// ForgedError says why an event does not come from the service allowed to
// write it.
type ForgedError struct {
	Category, EventType, Service string
	Reason                       string
}

func (e *ForgedError) Error() string {
	return fmt.Sprintf("forged event: %s (category %q, type %q, service %q)", e.Reason, e.Category, e.EventType, e.Service)
}

// Check accepts an event only if its stream category, its type and the
// service that says it wrote it all agree with this table: the category has
// a writer, the type belongs to that category, and the service is that
// writer.
func Check(category, eventType, service string) error {
	forged := func(reason string) error {
		return &ForgedError{Category: category, EventType: eventType, Service: service, Reason: reason}
	}
	writer, ok := ByCategory[category]
	if !ok {
		return forged("no service writes this category")
	}
	typeCategory, ok := Category(eventType)
	if !ok {
		return forged("not an event type of the catalogue")
	}
	if typeCategory != category {
		return forged("the type belongs to category " + typeCategory)
	}
	if service != writer {
		return forged("only " + writer + " writes this category")
	}
	return nil
}
