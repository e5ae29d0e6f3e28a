package writers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/bus/writers"
)

// allowed is the writer table written out by hand: the one service that may
// write each category, and the event types of that category (short names).
var allowed = map[string]struct {
	service string
	types   []string
}{
	"complaint":  {"intake", []string{"ComplaintReceived", "ComplaintAcknowledged"}},
	"case":       {"resolution", []string{"CaseOpened", "CaseAssigned", "CaseResolved"}},
	"redress":    {"compensation", []string{"RedressDecided", "RedressIssued"}},
	"followup":   {"followup", []string{"SurveyRequested", "SurveyAnswered", "ComplaintClosed"}},
	"prevention": {"prevention", nil},
}

// FuzzCheck runs the writer check on arbitrary category, type and service:
// no panic, a refusal is a *ForgedError naming the three, and nothing is
// accepted that the table above does not allow.
func FuzzCheck(f *testing.F) {
	f.Add("case", "complaints.v1.CaseResolved", "resolution")
	f.Add("case", "complaints.v1.CaseResolved", "intake")
	f.Add("complaint", "complaints.v1.CaseOpened", "intake")
	f.Add("redress", "complaints.v1.RedressIssued", "compensation")
	f.Add("prevention", "complaints.v1.ComplaintClosed", "prevention")
	f.Add("followup", "complaints.v1.ComplaintClosed", "followup ")
	f.Add("Case", "complaints.v1.caseResolved", "Resolution")
	f.Add("", "", "")
	f.Add("case", "CaseOpened", "resolution")
	f.Fuzz(func(t *testing.T, category, eventType, service string) {
		err := writers.Check(category, eventType, service)
		want, known := allowed[category]
		ok := known && service == want.service && hasType(want.types, eventType)
		if err == nil {
			if !ok {
				t.Fatalf("accepted %s writing %q to category %q, which the table does not allow", service, eventType, category)
			}
			return
		}
		if ok {
			t.Fatalf("refused an allowed event (%q, %q, %q): %v", category, eventType, service, err)
		}
		var forged *writers.ForgedError
		if !errors.As(err, &forged) || forged.Category != category || forged.EventType != eventType ||
			forged.Service != service || forged.Reason == "" {
			t.Fatalf("refusal is not a complete *ForgedError: %#v", err)
		}
	})
}

func hasType(types []string, eventType string) bool {
	name, ok := strings.CutPrefix(eventType, "complaints.v1.")
	if !ok {
		return false
	}
	for _, t := range types {
		if t == name {
			return true
		}
	}
	return false
}
