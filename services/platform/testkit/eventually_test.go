package testkit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	testkit.Eventually(t, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("called %d times, want 3", calls)
	}
}

func TestEventuallyNilReturnsOnceTheConditionIsNil(t *testing.T) {
	calls := 0
	testkit.EventuallyNil(t, func() error {
		calls++
		if calls < 4 {
			return fmt.Errorf("call %d", calls)
		}
		return nil
	})
	if calls != 4 {
		t.Fatalf("called %d times, want 4", calls)
	}
}

// recorder fails like a test without ending the goroutine, so that the
// failure of a condition that never holds can be read.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

func failure(t *testing.T, wait func(testing.TB)) (msg string) {
	t.Helper()
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != r {
			t.Fatalf("the wait ended with %v, want a failure", p)
		}
		msg = r.failed
	}()
	wait(r)
	return ""
}

// A condition that never holds fails the test with the last thing seen.
func TestAConditionThatNeverHoldsFailsWithWhatWasSeen(t *testing.T) {
	testkit.ShortenPatience(t, 50*time.Millisecond)
	t.Run("bool", func(t *testing.T) {
		msg := failure(t, func(tb testing.TB) { testkit.Eventually(tb, "the queue to drain", func() bool { return false }) })
		if !strings.Contains(msg, "the queue to drain") {
			t.Fatalf("failed with %q, want it to name what it waited for", msg)
		}
	})
	t.Run("error", func(t *testing.T) {
		calls := 0
		msg := failure(t, func(tb testing.TB) {
			testkit.EventuallyNil(tb, func() error { calls++; return fmt.Errorf("projection at %d", calls) })
		})
		if want := fmt.Sprintf("projection at %d", calls); calls < 2 || !strings.Contains(msg, want) {
			t.Fatalf("failed with %q, want the last error %q", msg, want)
		}
	})
}
