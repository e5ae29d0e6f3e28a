package httpx_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// FuzzDecode feeds the body decoder arbitrary bytes: it must never panic,
// must answer a 4xx problem or nothing, and what it accepts must hold only
// valid UTF-8 without NUL, and ids without control characters.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"customer":{"id":"c-1","name":"Ann","email":"a@example.com"},"channel":"web","description":"No service"}`,
		`{"customer":{"id":"c-1","phone":"555"}}`,
		`{"attachments":[{"file_id":"f","size":1},{"size":"x"}]}`,
		`{"description":"x\udc00y\ufffd"}`,
		`{"customer":{"id":"\u0000"}}`,
		`{"extra":{"a":[1,{"b":null}]}}`,
		"{\"description\":\"\xff\"}",
		`[]`, `null`, `{}{}`, `{"customer":`,
		`{"customer":{"ID":"c\u0001"}}`,
		`{"Customer":{"Id":"c\n"},"attachments":[{"File_ID":"f\t"}]}`,
		`{"customer":{"id":"c-1","iD":"c\u007f"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst submission
		p := httpx.DecodeBytes(body, &dst)
		if p != nil {
			if p.Status < 400 || p.Status > 499 {
				t.Fatalf("status %d for %q", p.Status, body)
			}
			for _, fe := range p.Errors {
				if fe.Field == "" || !utf8.ValidString(fe.Field) && !strings.Contains(fe.Detail, "known field") {
					t.Fatalf("field error %+v for %q", fe, body)
				}
			}
			return
		}
		b, err := json.Marshal(dst)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{dst.Customer.ID, dst.Customer.Name, dst.Customer.Email, dst.Channel, dst.Description} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("accepted %q from %q", s, body)
			}
		}
		if strings.ContainsFunc(dst.Customer.ID, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("accepted id %q from %q (%s)", dst.Customer.ID, body, b)
		}
	})
}
