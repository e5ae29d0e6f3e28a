package httpx_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

type customer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type submission struct {
	Customer    customer `json:"customer"`
	Channel     string   `json:"channel"`
	Description string   `json:"description"`
	Attachments []struct {
		FileID string `json:"file_id"`
		Size   int    `json:"size"`
	} `json:"attachments,omitempty"`
	Extra map[string]any `json:"extra,omitempty"`
}

// post runs DecodeJSON on one request and returns its problem.
func post(t *testing.T, contentType string, body []byte) *httpx.Problem {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/complaints", bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	var dst submission
	return httpx.DecodeJSON(httptest.NewRecorder(), r, &dst)
}

func TestDecodeRefusesWhatTheBadInputBatteryFound(t *testing.T) {
	good := `{"customer":{"id":"c-1","name":"Ann","email":"a@example.com"},"channel":"web","description":"No service"}`
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		field, detail           string
	}{
		{"json", "application/json", good, 0, "", ""},
		{"json with charset", "application/json; charset=utf-8", good, 0, "", ""},
		{"text/plain", "text/plain", good, http.StatusUnsupportedMediaType, "", ""},
		{"no content type", "", good, http.StatusUnsupportedMediaType, "", ""},
		{"json-like type", "application/jsonx", good, http.StatusUnsupportedMediaType, "", ""},
		{"invalid UTF-8 in description", "application/json",
			`{"customer":{"id":"c-1"},"description":"bad ` + "\xff\xfe" + ` bytes"}`, 400, "description", "must be valid UTF-8"},
		{"lone surrogate escape", "application/json",
			`{"customer":{"id":"c-1"},"description":"x\udc00y"}`, 400, "description", "must be valid UTF-8"},
		{"a real replacement character is fine", "application/json",
			`{"customer":{"id":"c-1"},"description":"x\ufffd y ` + "\uFFFD" + `"}`, 0, "", ""},
		{"escaped NUL in the customer id", "application/json",
			`{"customer":{"id":"c-1\u0000"},"description":"x"}`, 400, "customer.id", "must not contain NUL characters"},
		{"tab in an id", "application/json",
			`{"customer":{"id":"c-1"},"attachments":[{"file_id":"f\t1"}]}`, 400, "attachments.file_id", "must not contain control characters"},
		{"newline in a description is fine", "application/json",
			`{"customer":{"id":"c-1"},"description":"line 1\nline 2"}`, 0, "", ""},
		{"unknown nested field", "application/json",
			`{"customer":{"id":"c-1","phone":"555"},"description":"x"}`, 400, "customer.phone", "is not a known field"},
		{"unknown field in an array element", "application/json",
			`{"attachments":[{"file_id":"f"},{"file_id":"g","phone":1}]}`, 400, "attachments.phone", "is not a known field"},
		{"unknown top-level field", "application/json", `{"phone":"555"}`, 400, "phone", "is not a known field"},
		{"empty key", "application/json", `{"":""}`, 400, `""`, "is not a known field"},
		{"unknown field under an empty key's neighbour", "application/json", `{"customer":{"":1}}`, 400, `customer.""`, "is not a known field"},
		{"a known name elsewhere does not hide the unknown one", "application/json",
			`{"description":"x","customer":{"description":"y"}}`, 400, "customer.description", "is not a known field"},
		{"free-form map takes any key", "application/json", `{"extra":{"phone":"555"}}`, 0, "", ""},
		{"nested type error", "application/json",
			`{"attachments":[{"size":"big"}]}`, 400, "attachments.size", "must be of JSON type integer"},
		{"nested object where a string goes", "application/json",
			`{"customer":{"id":{"a":1}}}`, 400, "customer.id", "must be of JSON type string"},
		{"trailing data", "application/json", good + good, 400, "", ""},
		{"empty", "application/json", ``, 400, "", ""},
		{"truncated", "application/json", `{"customer":`, 400, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := post(t, tc.contentType, []byte(tc.body))
			if tc.status == 0 {
				if p != nil {
					t.Fatalf("refused: %v", p)
				}
				return
			}
			if p == nil || p.Status != tc.status {
				t.Fatalf("problem %v, want status %d", p, tc.status)
			}
			if tc.field == "" {
				return
			}
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Detail != tc.detail {
				t.Fatalf("errors %+v, want %s: %s", p.Errors, tc.field, tc.detail)
			}
		})
	}
}

// answer has an id at the top, ids in array elements and an embedded
// struct, as the services' request bodies do.
type answer struct {
	ComplaintID string `json:"complaint_id"`
	Items       []struct {
		ItemID string `json:"item_id"`
	} `json:"items,omitempty"`
	Meta
	Free map[string]any `json:"free,omitempty"`
	Any  any            `json:"any,omitempty"`
}

type Meta struct {
	RequestID string `json:"request_id,omitempty"`
}

// encoding/json fills a field from a key that matches its name only when
// case is ignored; the id checks are keyed on the exact name, so such a key
// would smuggle a control character into an id. Keys must match exactly.
func TestDecodeMatchesKeysExactly(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		dst        func() any
		field      string
	}{
		{"upper-case id in a nested object", `{"customer":{"ID":"c\u0001"}}`, sub, "customer.ID"},
		{"mixed-case id at the top", `{"Complaint_ID":"x\n"}`, ans, "Complaint_ID"},
		{"a harmless value under a folded key is refused too", `{"complaint_id":"c-1","Complaint_Id":"c-2"}`, ans, "Complaint_Id"},
		{"folded parent key", `{"Customer":{"id":"c-1"}}`, sub, "Customer"},
		{"folded key in an array element", `{"items":[{"item_id":"a"},{"Item_ID":"b\t"}]}`, ans, "items.Item_ID"},
		{"folded key of an embedded struct", `{"Request_ID":"r\u0002"}`, ans, "Request_ID"},
		{"folded key in a nested array element", `{"attachments":[{"File_Id":"f"}]}`, sub, "attachments.File_Id"},
		{"the first of a folded and an unknown key", `{"CHANNEL":"web","phone":"1"}`, sub, "CHANNEL"},
		{"exact keys pass", `{"complaint_id":"c-1","items":[{"item_id":"a"}],"request_id":"r"}`, ans, ""},
		{"free-form map keys keep their case", `{"free":{"ID":"x","Id":{"A":1}},"any":{"ID":[{"X":1}]}}`, ans, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := httpx.DecodeBytes([]byte(tc.body), tc.dst())
			if tc.field == "" {
				if p != nil {
					t.Fatalf("refused: %+v", p)
				}
				return
			}
			if p == nil || p.Status != http.StatusBadRequest || p.Type != httpx.TypeValidation || len(p.Errors) != 1 ||
				p.Errors[0].Field != tc.field || p.Errors[0].Detail != "is not a known field" {
				t.Fatalf("problem %+v, want 400 naming %s as not a known field", p, tc.field)
			}
		})
	}
	// The HTTP path refuses the same way.
	if p := post(t, "application/json", []byte(`{"customer":{"ID":"c\u0001"}}`)); p == nil || len(p.Errors) != 1 || p.Errors[0].Field != "customer.ID" {
		t.Fatalf("DecodeJSON: %+v", p)
	}
}

func sub() any { return &submission{} }
func ans() any { return &answer{} }

func TestDecodeBoundsTheBody(t *testing.T) {
	big := `{"description":"` + strings.Repeat("a", httpx.MaxBodyBytes) + `"}`
	if p := post(t, "application/json", []byte(big)); p == nil || p.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("problem %v, want 413", p)
	}
	if p := httpx.Decode(strings.NewReader(big), &submission{}); p == nil || p.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("Decode: problem %v, want 413", p)
	}
}

func TestValidatorChecksTextOutsideTheBody(t *testing.T) {
	var v httpx.Validator
	v.CheckText("fine\nline", "comment")
	v.CheckText("c-1\x01", "complaint_id")
	v.CheckID("a\x7fb", "path.id")
	v.CheckText("\xff", "comment")
	p := v.Problem()
	if p == nil || len(p.Errors) != 3 || p.Errors[0].Field != "complaint_id" || p.Errors[1].Field != "path.id" || p.Errors[2].Detail != "must be valid UTF-8" {
		t.Fatalf("problem %+v", p)
	}
}

func TestPathIDRefusesControlCharacters(t *testing.T) {
	mux := http.NewServeMux()
	var got *httpx.Problem
	mux.HandleFunc("GET /v1/cases/{id}", func(w http.ResponseWriter, r *http.Request) { _, got = httpx.PathID(r, "id") })
	for path, bad := range map[string]bool{"/v1/cases/c-1": false, "/v1/cases/c%00": true, "/v1/cases/c%0A1": true, "/v1/cases/%FF": true} {
		got = nil
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		if (got != nil) != bad || bad && (got.Status != 400 || got.Errors[0].Field != "id") {
			t.Errorf("%s: %+v", path, got)
		}
	}
}
