// Package writers says which service may write which events: each stream
// category has exactly one writer, and each event type of the catalogue
// belongs to one category. NATS permissions are generated from it, and every
// consumer checks an event against it before acting on it, so a forged event
// is refused even where permissions are misconfigured.
package writers

import (
	"fmt"
	"slices"
	"strings"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// ByCategory names the one service allowed to write each stream category.
var ByCategory = map[string]string{
	"complaint":  "intake",
	"customer":   "intake",
	"case":       "resolution",
	"clock":      "resolution",
	"redress":    "compensation",
	"budget":     "compensation",
	"followup":   "followup",
	"prevention": "prevention",
}

// categoriesOf places every event of the catalogue in the categories whose
// streams may hold it, by the message's short name. Most events belong to one
// category; a customer notification belongs to every category whose service
// talks to the customer. The test beside this file fails when the catalogue
// gains an event that is not placed here.
var categoriesOf = map[string][]string{
	"ComplaintReceived":          {"complaint"},
	"ComplaintAcknowledged":      {"complaint"},
	"RepeatContactRecorded":      {"complaint"},
	"CustomerPersonalDataErased": {"customer"},
	"CustomerComplaintIndexed":   {"customer"},
	"NotificationRequested":      {"complaint", "case", "clock", "redress", "followup"},

	"CaseOpened":           {"case"},
	"CaseAssigned":         {"case"},
	"CaseTriaged":          {"case"},
	"CaseClaimed":          {"case"},
	"CaseTransferred":      {"case"},
	"CaseEscalated":        {"case"},
	"CaseReviewed":         {"case"},
	"InformationRequested": {"case"},
	"InformationProvided":  {"case"},
	"CustomerContacted":    {"case"},
	"CaseReopened":         {"case"},
	"CaseResolved":         {"case"},

	"ClockStarted":  {"clock"},
	"ClockPaused":   {"clock"},
	"ClockResumed":  {"clock"},
	"ClockWarning":  {"clock"},
	"ClockBreached": {"clock"},
	"ClockMet":      {"clock"},
	"ClockStopped":  {"clock"},

	"RedressDecided":           {"redress"},
	"RedressApprovalRequested": {"redress"},
	"RedressApproved":          {"redress"},
	"RedressRejected":          {"redress"},
	"RedressAmended":           {"redress"},
	"RedressApprovalEscalated": {"redress"},
	"RedressIssuanceRequested": {"redress"},
	"RedressIssuanceFailed":    {"redress"},
	"RedressIssued":            {"redress"},
	"RedressSettled":           {"redress"},
	"BudgetReserved":           {"budget"},
	"BudgetReleased":           {"budget"},

	"FollowUpScheduled":    {"followup"},
	"SurveyRequested":      {"followup"},
	"SurveyChaserSent":     {"followup"},
	"SurveyAnswered":       {"followup"},
	"LowSatisfactionAlert": {"followup"},
	"ComplaintClosed":      {"followup"},
	"FollowUpCancelled":    {"followup"},

	"SystemicIssueDetected":     {"prevention"},
	"SystemicIssueClosed":       {"prevention"},
	"PreventiveActionOpened":    {"prevention"},
	"PreventiveActionOverdue":   {"prevention"},
	"PreventiveActionCompleted": {"prevention"},
	"PreventiveActionEvaluated": {"prevention"},
}

// catalogue is the package of every event type name ("complaints.v1.").
var catalogue = string(complaintsv1.File_complaints_v1_events_proto.Package()) + "."

// Categories returns every category whose streams may hold an event type of
// the catalogue; false if the type is not one of the catalogue's events.
func Categories(eventType string) ([]string, bool) {
	name, ok := strings.CutPrefix(eventType, catalogue)
	if !ok {
		return nil, false
	}
	c, ok := categoriesOf[name]
	return c, ok && len(c) > 0
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
	for name, cats := range categoriesOf {
		if slices.ContainsFunc(cats, func(c string) bool { return ByCategory[c] == service }) {
			out = append(out, catalogue+name)
		}
	}
	slices.Sort(out)
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
	typeCategories, ok := Categories(eventType)
	if !ok {
		return forged("not an event type of the catalogue")
	}
	if !slices.Contains(typeCategories, category) {
		return forged("the type belongs to category " + strings.Join(typeCategories, ", "))
	}
	if service != writer {
		return forged("only " + writer + " writes this category")
	}
	return nil
}
