package notify_test

import (
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// With the customer page configured, the acknowledgement, the information
// request and the survey carry its link with the token's placeholder, never
// a token; without it they carry no link.
func TestMessagesCarryTheCustomerPagesLinkWithAPlaceholderForTheToken(t *testing.T) {
	fields := map[string]any{"Reference": "CMP-1", "Product": "broadband", "RespondBy": "Friday", "Question": "Which month?", "Chaser": 1}
	purposes := []string{notify.Acknowledgement, notify.InformationRequest, notify.Survey, notify.SurveyChaser}
	tpl := defaults(t)
	for _, p := range purposes {
		if _, text, err := tpl.Render(p, "", fields); err != nil || strings.Contains(text, "token") || strings.Contains(text, "http") {
			t.Errorf("%s without a customer page: %q, %v", p, text, err)
		}
	}
	tpl.CustomerPageURL = "https://complaints.example.com/app/complaint"
	link := "https://complaints.example.com/app/complaint?token=" + notify.CustomerTokenPlaceholder
	for _, p := range purposes {
		_, text, err := tpl.Render(p, "", fields)
		if err != nil || !strings.Contains(text, link) {
			t.Errorf("%s: %q, %v; want the link %s", p, text, err, link)
		}
		sent := notify.FillCustomerToken(text, "eyJ.a-b_c.d")
		if !strings.Contains(sent, "https://complaints.example.com/app/complaint?token=eyJ.a-b_c.d") || strings.Contains(sent, notify.CustomerTokenPlaceholder) {
			t.Errorf("%s as sent: %q", p, sent)
		}
	}
}

func TestACustomerPageThatIsNotAnAddressIsRefused(t *testing.T) {
	for _, bad := range []string{"complaints.example.com", "ftp://x/y", "https:///app", "https://x/app#frag"} {
		file := "version: \"t\"\ncustomer_page_url: \"" + bad + "\"\ntemplates:\n  survey:\n    text: hi\n"
		if _, err := policy.Parse[notify.Templates]("templates", "test", []byte(file)); err == nil || !strings.Contains(err.Error(), "customer_page_url") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
