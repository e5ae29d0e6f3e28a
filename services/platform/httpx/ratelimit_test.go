package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// clock is a time that moves only when the test says so.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestBucketsRefuseACallerOverItsRateAndNoOther(t *testing.T) {
	c := newClock()
	b := httpx.NewBuckets(c.now)
	r := httpx.Rate{PerSecond: 2, Burst: 3}
	for i := range 3 {
		if _, ok := b.Take("a", r); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	if wait, ok := b.Take("a", r); ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: ok %v, wait %v; want refused for 500ms", ok, wait)
	}
	if _, ok := b.Take("b", r); !ok {
		t.Fatal("another caller was refused with the first")
	}
	c.advance(499 * time.Millisecond)
	if wait, ok := b.Take("a", r); ok || wait != time.Millisecond {
		t.Fatalf("1ms before a token is back: ok %v, wait %v", ok, wait)
	}
	c.advance(time.Millisecond)
	if _, ok := b.Take("a", r); !ok {
		t.Fatal("after 500ms at 2 a second a request is allowed again")
	}
	if _, ok := b.Take("a", r); ok {
		t.Fatal("the refused requests were counted: a second one passed")
	}
}

func TestBucketsKeepEachCallerAtItsOwnRate(t *testing.T) {
	c := newClock()
	b := httpx.NewBuckets(c.now)
	tight, loose := httpx.Rate{PerSecond: 1, Burst: 1}, httpx.Rate{PerSecond: 1, Burst: 100}
	if _, ok := b.Take("customer:c1", tight); !ok {
		t.Fatal("first request refused")
	}
	if _, ok := b.Take("customer:c1", tight); ok {
		t.Fatal("a customer with a burst of one sent two at once")
	}
	for i := range 100 {
		if _, ok := b.Take("system:web-form", loose); !ok {
			t.Fatalf("system request %d refused", i)
		}
	}
}

func TestBucketsKeepADrainingBucketAcrossASweep(t *testing.T) {
	c := newClock()
	b := httpx.NewBuckets(c.now)
	// One request every two minutes: a minute after the first, the bucket
	// holds half a request, and a sweep must not forget it was emptied.
	r := httpx.Rate{PerSecond: 1.0 / 120, Burst: 1}
	if _, ok := b.Take("a", r); !ok {
		t.Fatal("first request refused")
	}
	c.advance(61 * time.Second)
	if _, ok := b.Take("other", r); !ok {
		t.Fatal("another caller refused")
	}
	if wait, ok := b.Take("a", r); ok || wait != 59*time.Second {
		t.Fatalf("after the sweep: ok %v, wait %v; want refused for 59s", ok, wait)
	}
	c.advance(10 * time.Minute)
	if _, ok := b.Take("a", r); !ok {
		t.Fatal("a refilled bucket (or its replacement) refused")
	}
}

func TestUnlimitedRateRefusesNothing(t *testing.T) {
	b := httpx.NewBuckets(newClock().now)
	for i := range 1000 {
		if _, ok := b.Take("a", httpx.Rate{PerSecond: -1}); !ok {
			t.Fatalf("request %d refused with limiting off", i)
		}
	}
}

func TestRateOrTakesTheDefaultForZero(t *testing.T) {
	def := httpx.Rate{PerSecond: 5, Burst: 50}
	for in, want := range map[httpx.Rate]httpx.Rate{
		{}:                         def,
		{PerSecond: 2}:             {PerSecond: 2, Burst: 50},
		{Burst: 7}:                 {PerSecond: 5, Burst: 7},
		{PerSecond: -1}:            {PerSecond: -1, Burst: 50},
		{PerSecond: 0.5, Burst: 3}: {PerSecond: 0.5, Burst: 3},
	} {
		if got := in.Or(def); got != want {
			t.Errorf("%+v.Or(%+v) = %+v, want %+v", in, def, got, want)
		}
	}
}

func TestRefuseOverRateAnswers429ProblemWithRetryAfterInWholeSeconds(t *testing.T) {
	for wait, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2", 59 * time.Second: "59"} {
		w := httptest.NewRecorder()
		httpx.RefuseOverRate(w, httptest.NewRequest(http.MethodGet, "/v1/cases/c1", nil), wait, "a customer (1 a second, 20 at once)")
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != want || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("wait %v: %d, Retry-After %q, %q", wait, w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"))
		}
		var p httpx.Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Type != httpx.TypeRateLimited || p.Status != http.StatusTooManyRequests ||
			p.Detail != "over the request rate of a customer (1 a second, 20 at once); retry after "+want+" s" {
			t.Fatalf("problem %+v, %v", p, err)
		}
	}
}
