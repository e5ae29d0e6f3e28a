package writers_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/bus/writers"
)

// goldenWriters and goldenCategories are the writers table as it was written
// out by hand in this package, before it was read from the event catalogue:
// the table derived from the catalogue must say the same.
var goldenWriters = map[string]string{
	"complaint":  "intake",
	"customer":   "intake",
	"case":       "resolution",
	"clock":      "resolution",
	"redress":    "compensation",
	"budget":     "compensation",
	"followup":   "followup",
	"prevention": "prevention",
}

var goldenCategories = map[string][]string{
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

// The table says today what the hand-written table said: the same writer
// for every category, the same categories for every event, the same event
// types for every service.
func TestTheTableIsTheOneWrittenByHand(t *testing.T) {
	if !maps.Equal(writers.ByCategory, goldenWriters) {
		t.Errorf("ByCategory = %v, want %v", writers.ByCategory, goldenWriters)
	}
	for c, s := range goldenWriters {
		if got, ok := writers.Writer(c); !ok || got != s {
			t.Errorf("Writer(%q) = %q, %v, want %q", c, got, ok, s)
		}
	}
	for _, m := range events() {
		if _, ok := goldenCategories[string(m.Name())]; !ok {
			t.Errorf("event %s is not in the hand-written table", m.FullName())
		}
	}
	for name, want := range goldenCategories {
		got, ok := writers.Categories("complaints.v1." + name)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("Categories(%s) = %v, %v, want %v", name, got, ok, want)
		}
	}
	services := map[string]bool{}
	for _, s := range goldenWriters {
		services[s] = true
	}
	for s := range services {
		var want []string
		for name, cats := range goldenCategories {
			if slices.ContainsFunc(cats, func(c string) bool { return goldenWriters[c] == s }) {
				want = append(want, "complaints.v1."+name)
			}
		}
		slices.Sort(want)
		if got := writers.EventTypes(s); !slices.Equal(got, want) {
			t.Errorf("EventTypes(%s) = %v, want %v", s, got, want)
		}
	}
}
