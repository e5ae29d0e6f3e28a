package prevention_test

import (
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/regime"
	"github.com/complaintflow/complaintflow/services/prevention"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// The regulatory report's "closed within 3 business days" counts in the
// regime's calendar: over Christmas in England and Wales the 25th and the
// 28th (Boxing Day's substitute) are not business days.
func TestTheThirdBusinessDayIsCountedInTheRegimesCalendar(t *testing.T) {
	p, err := regime.Load("")
	if err != nil {
		t.Fatal(err)
	}
	in3 := prevention.AnsweredIn3BusinessDays(p)
	received := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC) // a Thursday
	for _, c := range []struct {
		regime        string
		resolved      time.Time
		want, mondays bool
	}{
		{"uk-fca", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), true, false},
		{"uk-fca", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), false, false},
		{"uk-fca", time.Date(2026, 12, 29, 18, 0, 0, 0, time.UTC), true, true},
	} {
		f := &domain.Fact{Regime: c.regime, ReceivedAt: received, ResolvedAt: c.resolved}
		if got := in3(f); got != c.want {
			t.Errorf("%s resolved %s: within 3 business days %v, want %v", c.regime, c.resolved, got, c.want)
		}
		if got := domain.MondayToFriday(f); got != c.mondays {
			t.Errorf("%s resolved %s: Monday to Friday %v, want %v", c.regime, c.resolved, got, c.mondays)
		}
	}
}
