// Package testkit holds what the tests of every module share. Only tests
// import it: no service or tool links it into a binary.
package testkit

import (
	"fmt"
	"testing"
	"time"
)

// Patience is how long Eventually and EventuallyNil wait before they fail
// the test. It is generous on purpose: a condition that does come true
// returns as soon as it does, so only a test that is failing anyway waits
// this long, and a slow machine fails no test.
const Patience = 30 * time.Second

// patience is Patience, shortened by this package's own tests to see a
// failure without waiting for it.
var patience = Patience

// Eventually calls cond until it returns true and fails t, naming what it
// waited for, if that has not happened within Patience.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyNil(t, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("timed out waiting for %s", what)
	})
}

// EventuallyNil calls cond until it returns nil and fails t with the last
// error it returned if that has not happened within Patience: the error
// says what was seen instead.
//
// cond runs on the test's goroutine, so it may itself call t.Fatal for an
// error that no amount of waiting will mend.
func EventuallyNil(t testing.TB, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(patience)
	pause := 5 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %v", patience, err)
		}
		time.Sleep(pause)
		// Quick at first, then no busier than ten calls a second: some
		// conditions start a process or ask a server over HTTP.
		pause = min(2*pause, 100*time.Millisecond)
	}
}
