package web

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/complaintflow/complaintflow/services/api"
)

// left says how long until due, or how long since: "2 days 3 hours left",
// "overdue by 5 hours".
func (s *Site) left(due time.Time) string {
	if due.IsZero() {
		return ""
	}
	d := due.Sub(s.cfg.Now())
	if d < 0 {
		return "overdue by " + span(-d)
	}
	return span(d) + " left"
}

func span(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	minutes := int(d % time.Hour / time.Minute)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case days > 0:
		return plural(days, "day") + " " + plural(hours, "hour")
	case hours > 0:
		return plural(hours, "hour") + " " + plural(minutes, "minute")
	default:
		return plural(minutes, "minute")
	}
}

// when is a time as people read it, in UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC")
}

// stepWords say what each step of a timeline was.
var stepWords = map[string]string{
	"ComplaintReceived":        "Complaint received",
	"RepeatContactRecorded":    "The customer got in touch again about it",
	"ComplaintAcknowledged":    "Acknowledged, with a promised response date",
	"CaseOpened":               "Case opened",
	"CaseAssigned":             "Routed to a team",
	"CaseTriaged":              "Triaged: severity and priority set",
	"CaseClaimed":              "Claimed by an agent",
	"CaseTransferred":          "Transferred to another team",
	"CaseEscalated":            "Escalated",
	"CaseReviewed":             "Reviewed",
	"InformationRequested":     "The customer was asked for information",
	"InformationProvided":      "The customer answered",
	"CustomerContacted":        "An agent contacted the customer",
	"CaseReopened":             "Reopened",
	"CaseResolved":             "Resolved",
	"RedressDecided":           "Redress decided",
	"RedressApprovalRequested": "Redress waits for approval",
	"RedressApproved":          "Redress approved",
	"RedressRejected":          "Redress rejected by the approver",
	"RedressIssued":            "Redress issued",
	"SurveyRequested":          "The customer was asked whether it is fixed",
	"SurveyChaserSent":         "The customer was reminded of the survey",
	"SurveyAnswered":           "The customer answered the survey",
	"ComplaintClosed":          "Closed",
	"NotificationRequested":    "A message was sent to the customer",
}

// words is a timeline step in plain words: what happened, and who did it.
func words(st api.Step) string {
	w, ok := stepWords[st.Type]
	if !ok {
		w = spaced(st.Type)
	}
	if st.Actor != "" {
		w += " (" + actorWords(st.Actor) + ")"
	}
	return w
}

func actorWords(actor string) string {
	kind, who, _ := strings.Cut(actor, ":")
	switch kind {
	case "customer":
		return "by the customer"
	case "agent":
		return "by " + who
	case "scheduler":
		return "on schedule"
	case "system":
		return "by " + who
	}
	return actor
}

// spaced turns "ClockBreached" into "Clock breached".
func spaced(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// money is an amount in minor units with its currency: "25.00 GBP".
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return strings.TrimSpace(fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency))
}

// label is a code as words: "distress_and_inconvenience" reads "distress
// and inconvenience", "over-limit" "over limit".
func label(code string) string { return strings.NewReplacer("_", " ", "-", " ").Replace(code) }
