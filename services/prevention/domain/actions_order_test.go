package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

func TestActionsAreListedToDoBySoonestDueThenDoneByLatestCompletion(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2026, 3, n, 12, 0, 0, 0, time.UTC) }
	key := func(id string, s domain.ActionStatus, due, completed time.Time) domain.ActionListKey {
		return domain.ActionListKeyOf(id, s, due, completed)
	}
	// In the order a process owner works down.
	want := []domain.ActionListKey{
		key("b", domain.ActionOverdue, d(1), time.Time{}),
		key("a", domain.ActionOpen, d(2), time.Time{}),
		key("c", domain.ActionOverdue, d(2), time.Time{}),
		key("z", domain.ActionOpen, d(9), time.Time{}),
		// Done: the due date no longer counts, the completion does.
		key("y", domain.ActionCompleted, d(1), d(8)),
		key("m", domain.ActionCompleted, d(3), d(5)),
		key("n", domain.ActionEvaluated, d(2), d(5)),
		key("a2", domain.ActionEvaluated, d(9), d(4)),
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, domain.ActionListKey.Compare)
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n%v\nwant\n%v", got, want)
	}
	for i, k := range want {
		if k.Compare(k) != 0 {
			t.Errorf("%v is not in its own place", k)
		}
		if i > 0 && (want[i-1].Compare(k) >= 0 || k.Compare(want[i-1]) <= 0) {
			t.Errorf("%v and %v compare out of order", want[i-1], k)
		}
	}
}

func TestAnActionStatusIsNamedAsItIsWritten(t *testing.T) {
	for _, s := range []domain.ActionStatus{domain.ActionOpen, domain.ActionOverdue, domain.ActionCompleted, domain.ActionEvaluated} {
		if got := domain.ActionStatusNamed(s.String()); got != s {
			t.Errorf("%q names %v, want %v", s.String(), got, s)
		}
	}
	for _, name := range []string{"", "unknown", "Open", "done"} {
		if got := domain.ActionStatusNamed(name); got != domain.ActionUnknown {
			t.Errorf("%q names %v", name, got)
		}
	}
	if domain.ActionOpen.Done() || domain.ActionOverdue.Done() || !domain.ActionCompleted.Done() || !domain.ActionEvaluated.Done() {
		t.Error("open and overdue are to do, completed and evaluated done")
	}
}
