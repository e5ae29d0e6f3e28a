package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

func defaults(t *testing.T) *notify.Templates {
	t.Helper()
	l, err := policy.Load[notify.Templates]("../policy/defaults", "templates")
	if err != nil {
		t.Fatal(err)
	}
	return &l.Value
}

func TestTheDefaultTemplatesRenderEveryPurpose(t *testing.T) {
	tpl := defaults(t)
	fields := map[string]any{
		"Reference": "CMP-1", "Product": "broadband", "RespondBy": "Friday", "AgentName": "Sam",
		"Team": "billing", "Contact": "billing@example.com", "Question": "Which month?",
		"Due": "Friday", "Outcome": "upheld", "Summary": "We refunded you.", "Description": "a refund", "Chaser": 1,
	}
	for _, p := range []string{notify.Acknowledgement, notify.CaseOwner, notify.InformationRequest, notify.HoldingResponse,
		notify.FinalResponse, notify.Reopened, notify.RedressIssued, notify.Survey, notify.SurveyChaser} {
		if _, text, err := tpl.Render(p, "", fields); err != nil || text == "" {
			t.Errorf("%s: %q, %v", p, text, err)
		}
	}
}

func TestARegimeVariantCarriesTheRegulatorsWording(t *testing.T) {
	tpl := defaults(t)
	fields := map[string]any{"Reference": "CMP-1", "Product": "loan", "Outcome": "rejected", "Summary": "."}
	n, err := tpl.Request(notify.Message{ComplaintID: "c1", CustomerID: "u1", Purpose: notify.FinalResponse, Variant: "uk-fca", Step: "1", Fields: fields, At: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(n.Text, "Financial Ombudsman") || n.Template != "final-response.uk-fca" || n.NotificationId != "c1:final-response:1" {
		t.Fatalf("got %+v", n)
	}
	n, err = tpl.Request(notify.Message{ComplaintID: "c1", Purpose: notify.FinalResponse, Variant: "no-such-regime", Fields: fields})
	if err != nil || n.Template != "final-response" || strings.Contains(n.Text, "Ombudsman") {
		t.Fatalf("fallback: %+v, %v", n, err)
	}
}

func TestAMissingFieldOrTemplateIsAnError(t *testing.T) {
	tpl := defaults(t)
	if _, _, err := tpl.Render(notify.Survey, "", map[string]any{}); err == nil || !strings.Contains(err.Error(), "templates.survey") {
		t.Fatalf("missing field: %v", err)
	}
	if _, _, err := tpl.Render("no-such-purpose", "", nil); err == nil {
		t.Fatal("missing template accepted")
	}
	bad := notify.Templates{Templates: map[string]notify.Template{"x": {Text: "{{.A", Channel: "pigeon"}}}
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "templates.x.text") || !strings.Contains(err.Error(), "templates.x.channel") {
		t.Fatalf("validate: %v", err)
	}
}

// The acknowledgement as intake renders it with every complaint
// (go test -run '^$' -bench Render ./notify/).
func BenchmarkRenderTheAcknowledgement(b *testing.B) {
	l, err := policy.Load[notify.Templates]("../policy/defaults", "templates")
	if err != nil {
		b.Fatal(err)
	}
	tpl := &l.Value
	tpl.CustomerPageURL = "https://complaints.example.com/app/complaint"
	fields := map[string]any{"Reference": "CMP-1", "Product": "broadband", "RespondBy": "Friday 18 December 2026"}
	b.ReportAllocs()
	for b.Loop() {
		if _, text, err := tpl.Render(notify.Acknowledgement, "", fields); err != nil || text == "" {
			b.Fatal(text, err)
		}
	}
}
