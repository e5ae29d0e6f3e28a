package complaintsv1

import "testing"

func TestOutcomeNamesRoundTrip(t *testing.T) {
	for _, o := range []Outcome{Outcome_OUTCOME_UPHELD, Outcome_OUTCOME_PARTLY_UPHELD, Outcome_OUTCOME_REJECTED} {
		got, ok := ParseOutcome(o.APIName())
		if !ok || got != o {
			t.Errorf("%v: parsed %q as %v, %v", o, o.APIName(), got, ok)
		}
	}
	for _, bad := range []string{"", "unspecified", "UPHELD", "maybe"} {
		if _, ok := ParseOutcome(bad); ok {
			t.Errorf("ParseOutcome(%q) accepted", bad)
		}
	}
	if got := RedressKind_REDRESS_KIND_ACCOUNT_CREDIT.APIName(); got != "account_credit" {
		t.Errorf("redress kind name %q", got)
	}
}
