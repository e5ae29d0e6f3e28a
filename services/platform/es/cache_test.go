package es_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// cachedOn is a repository of transfers over log with a cache of its own, as
// one instance of a service holds it.
func cachedOn(log eventlog.Log, size int) *es.Repository[int, string] {
	return &es.Repository[int, string]{Log: log, Category: "case", Service: "test", Decider: transfers, MaxAttempts: 50, Cache: es.NewCache[int](size)}
}

func TestACommandOnACachedAggregateReadsNothing(t *testing.T) {
	eachLog(t, func(t *testing.T, _ *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		repo := cachedOn(log, es.DefaultCacheSize)
		id := uuid.NewString()
		if _, err := repo.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		reads := log.reads.Load()
		for i := 2; i <= 5; i++ {
			res, err := repo.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "k" + string(rune('0'+i))})
			if err != nil || res.State != i || len(res.Events) != 1 {
				t.Fatalf("command %d: state %d, %d events, %v; want %d and 1", i, res.State, len(res.Events), err, i)
			}
		}
		if n := log.reads.Load() - reads; n != 0 {
			t.Errorf("4 commands on an aggregate in memory read its stream %d times, want 0", n)
		}
		if state, _, err := repo.Load(ctx, id); err != nil || state != 5 {
			t.Fatalf("the log holds %d (%v), want 5", state, err)
		}
	})
}

// Two instances, each with its own cache, change one aggregate in turn: each
// command decides on a cache the other has made stale, the exact revision
// refuses it, and the instance reads what is new and decides again.
func TestAStaleCacheIsCorrectedByTheConflict(t *testing.T) {
	eachLog(t, func(t *testing.T, _ *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		a, b := cachedOn(log, es.DefaultCacheSize), cachedOn(log, es.DefaultCacheSize)
		id := uuid.NewString()
		for i := 1; i <= 8; i++ {
			repo := a
			if i%2 == 0 {
				repo = b
			}
			res, err := repo.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id})
			if err != nil || res.State != i {
				t.Fatalf("command %d: state %d, %v; want %d", i, res.State, err, i)
			}
		}
		events, err := log.ReadStream(ctx, "case-"+id, eventlog.FromStart)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range events {
			m, err := es.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			// Each event was decided on the whole aggregate before it.
			if team, want := m.(*complaintsv1.CaseAssigned).Team, "team-"+string(rune('0'+i)); team != want {
				t.Errorf("event %d moved the case to %s, want %s", i, team, want)
			}
		}
		if len(events) != 8 {
			t.Fatalf("the stream holds %d events, want 8", len(events))
		}
	})
}

// toggle is an aggregate that goes back and forth: "open" on an open case
// decides nothing, "close" on a closed one is refused. On a stale cache both
// would be wrong answers that no append would ever check.
var toggle = decider.Decider[bool, string]{
	Initial: func() bool { return false },
	Decide: func(cmd string, open bool) ([]proto.Message, error) {
		switch {
		case cmd == "open" && !open:
			return []proto.Message{&complaintsv1.CaseReopened{ComplaintId: "c"}}, nil
		case cmd == "close" && open:
			return []proto.Message{&complaintsv1.CaseResolved{ComplaintId: "c"}}, nil
		case cmd == "close":
			return nil, errors.New("not open")
		}
		return nil, nil
	},
	Evolve: func(open bool, e proto.Message) bool {
		switch e.(type) {
		case *complaintsv1.CaseReopened:
			return true
		case *complaintsv1.CaseResolved:
			return false
		}
		return open
	},
}

func TestADecisionThatAppendsNothingOnAStaleCacheIsCheckedAgainstTheLog(t *testing.T) {
	eachLog(t, func(t *testing.T, _ *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		repo := func() *es.Repository[bool, string] {
			return &es.Repository[bool, string]{Log: log, Category: "case", Service: "test", Decider: toggle, Cache: es.NewCache[bool](es.DefaultCacheSize)}
		}
		a, b := repo(), repo()
		id := uuid.NewString()
		if _, err := a.Handle(ctx, id, es.Command[string]{Body: "open", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Handle(ctx, id, es.Command[string]{Body: "close", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		// a still holds the case open.
		res, err := a.Handle(ctx, id, es.Command[string]{Body: "open", ComplaintID: id})
		if err != nil || len(res.Events) != 1 || !res.State {
			t.Fatalf("open on a case another instance closed: %d events, open %v, %v; want it reopened", len(res.Events), res.State, err)
		}
		if _, err := b.Handle(ctx, id, es.Command[string]{Body: "open", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		// b holds the case open (it decided nothing on it), a closes it.
		if _, err := a.Handle(ctx, id, es.Command[string]{Body: "close", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		res, err = b.Handle(ctx, id, es.Command[string]{Body: "close", ComplaintID: id})
		if err == nil || res.State {
			t.Fatalf("close on a case another instance closed: open %v, %v; want refused on the closed case", res.State, err)
		}
		if open, _, err := a.Load(ctx, id); err != nil || open {
			t.Fatalf("the log holds the case open %v (%v), want closed", open, err)
		}
	})
}

// A command is delivered again to an instance whose cache is behind the log:
// whether its events are right after the cache's revision or further on,
// nothing is recorded twice.
func TestACommandRetriedOnAStaleCacheRecordsNothingTwice(t *testing.T) {
	eachLog(t, func(t *testing.T, _ *es.Repository[int, string], log *countingLog) {
		for _, between := range []int{0, 1} {
			for _, after := range []int{0, 1} {
				ctx := ctxFor(t)
				a, b := cachedOn(log, es.DefaultCacheSize), cachedOn(log, es.DefaultCacheSize)
				id := uuid.NewString()
				plain := es.Command[string]{Body: "team", ComplaintID: id}
				keyed := es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "once-" + id}
				if _, err := a.Handle(ctx, id, plain); err != nil {
					t.Fatal(err)
				}
				for range between {
					if _, err := b.Handle(ctx, id, plain); err != nil {
						t.Fatal(err)
					}
				}
				first, err := b.Handle(ctx, id, keyed)
				if err != nil || len(first.Events) != 1 {
					t.Fatalf("first delivery: %+v, %v", first, err)
				}
				for range after {
					if _, err := b.Handle(ctx, id, plain); err != nil {
						t.Fatal(err)
					}
				}
				// a's cache is at the first event.
				if _, err := a.Handle(ctx, id, keyed); err != nil {
					t.Fatalf("second delivery: %v", err)
				}
				res, err := a.Handle(ctx, id, plain)
				want := 2 + between + after + 1
				if err != nil || res.State != want {
					t.Fatalf("%d between, %d after: a then reports state %d (%v), want %d", between, after, res.State, err, want)
				}
				events, err := log.ReadStream(ctx, "case-"+id, eventlog.FromStart)
				if err != nil {
					t.Fatal(err)
				}
				if len(events) != want {
					t.Fatalf("%d between, %d after: the stream holds %d events, want %d: the retried command was recorded twice", between, after, len(events), want)
				}
			}
		}
	})
}

func TestACachedCommandRetriedAfterALostAnswerLandsOnce(t *testing.T) {
	eachLog(t, func(t *testing.T, _ *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		id := uuid.NewString()
		repo := cachedOn(log, es.DefaultCacheSize)
		if _, err := repo.Handle(ctx, id, es.Command[string]{Body: "intake", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		repo.Log = &lostAck{Log: log}
		cmd := es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "request-" + id}
		if _, err := repo.Handle(ctx, id, cmd); err == nil {
			t.Fatal("the lost answer was not reported")
		}
		res, err := repo.Handle(ctx, id, cmd)
		if err != nil || res.State != 2 || len(res.Events) != 0 {
			t.Fatalf("the retry reports state %d and %d events appended (%v), want 2 and none", res.State, len(res.Events), err)
		}
		if state, _, err := repo.Load(ctx, id); err != nil || state != 2 {
			t.Fatalf("case went through %d teams (%v), want 2", state, err)
		}
	})
}

func TestTheCacheKeepsAtMostItsBound(t *testing.T) {
	eachLog(t, func(t *testing.T, _ *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		repo := cachedOn(log, 2)
		ids := make([]string, 5)
		for i := range ids {
			ids[i] = uuid.NewString()
			if _, err := repo.Handle(ctx, ids[i], es.Command[string]{Body: "team", ComplaintID: ids[i]}); err != nil {
				t.Fatal(err)
			}
			if n := repo.Cache.Len(); n > 2 {
				t.Fatalf("the cache holds %d aggregates, at most 2 allowed", n)
			}
		}
		if n := repo.Cache.Len(); n != 2 {
			t.Fatalf("the cache holds %d aggregates, want 2", n)
		}
		// The first aggregate was let go: it is read again, whole.
		reads := log.reads.Load()
		res, err := repo.Handle(ctx, ids[0], es.Command[string]{Body: "team", ComplaintID: ids[0]})
		if err != nil || res.State != 2 {
			t.Fatalf("command on an aggregate let go: state %d, %v; want 2", res.State, err)
		}
		if log.reads.Load() == reads {
			t.Fatal("an aggregate let go was decided on without reading it")
		}
		// The last one is still held.
		reads = log.reads.Load()
		if _, err := repo.Handle(ctx, ids[4], es.Command[string]{Body: "team", ComplaintID: ids[4]}); err != nil {
			t.Fatal(err)
		}
		if n := log.reads.Load() - reads; n != 0 {
			t.Errorf("the most recently used aggregate was read %d times, want 0", n)
		}
	})
}
