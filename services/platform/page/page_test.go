package page_test

import (
	"slices"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/page"
)

func TestACursorGivesBackItsFields(t *testing.T) {
	c := page.Cursor("1700000000", "2", "c-1")
	got, ok := page.Fields(c, 3)
	if !ok || !slices.Equal(got, []string{"1700000000", "2", "c-1"}) {
		t.Fatalf("Fields(%q, 3) = %q, %v", c, got, ok)
	}
	if _, ok := page.Fields(c, 4); ok {
		t.Error("a cursor of 3 fields read as one of 4")
	}
	if got, ok := page.Fields(c, 2); !ok || got[1] != "2|c-1" {
		t.Errorf("the last field keeps the rest: %q, %v", got, ok)
	}
	for _, bad := range []string{"", "%%%", "not base64!"} {
		if _, ok := page.Fields(bad, 3); ok {
			t.Errorf("%q read as a cursor", bad)
		}
	}
}
