// Package page holds what the paged lists of the services share: the
// cursor that names where the next page starts. A cursor is opaque to the
// client: the fields of the last key a page held (its sort fields, then
// its id), joined and encoded base64url, and read back field by field by
// the list that made it.
package page

import (
	"encoding/base64"
	"strings"
)

// sep joins the fields of a cursor. Only the last field may hold it.
const sep = "|"

// Cursor is the cursor of the key whose fields are given, in order.
func Cursor(fields ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, sep)))
}

// Fields are the n fields of cursor c, or false when c is not a cursor of
// n fields. What each field must be is the list's to check.
func Fields(c string, n int) ([]string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, false
	}
	fields := strings.SplitN(string(raw), sep, n)
	if len(fields) != n {
		return nil, false
	}
	return fields, true
}
