package complaintsv1

import "strings"

// API spellings of the catalogue's enums: "partly_upheld", "account_credit".
// These are the names the HTTP APIs and reports use.

// APIName spells an outcome as the APIs do; "" for unspecified.
func (o Outcome) APIName() string {
	if o == Outcome_OUTCOME_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(o.String(), "OUTCOME_"))
}

// ParseOutcome reads an outcome's API name; false if it names none.
func ParseOutcome(s string) (Outcome, bool) {
	v, ok := Outcome_value["OUTCOME_"+strings.ToUpper(s)]
	if !ok || v == 0 || s != strings.ToLower(s) {
		return Outcome_OUTCOME_UNSPECIFIED, false
	}
	return Outcome(v), true
}

// APIName spells a redress kind as the APIs do; "" for unspecified.
func (k RedressKind) APIName() string {
	if k == RedressKind_REDRESS_KIND_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(k.String(), "REDRESS_KIND_"))
}
