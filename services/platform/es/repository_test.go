package es_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/esdblog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
)

// transfers counts the teams a case went through; each command moves it to
// the next team. It is not idempotent: the same command decided again moves
// the case once more.
var transfers = decider.Decider[int, string]{
	Initial: func() int { return 0 },
	Decide: func(team string, n int) ([]proto.Message, error) {
		if team == "" {
			return nil, errors.New("team required")
		}
		return []proto.Message{&complaintsv1.CaseAssigned{ComplaintId: "c", Team: team + "-" + strconv.Itoa(n)}}, nil
	},
	Evolve: func(n int, e proto.Message) int {
		if _, ok := e.(*complaintsv1.CaseAssigned); ok {
			n++
		}
		return n
	},
}

// logs opens every event log available here, one per subtest: memory and
// JetStream always, EventStoreDB when EVENTSTORE_URL names a server.
var logs = []struct {
	name string
	open func(t *testing.T) eventlog.Log
}{
	{"memory", func(t *testing.T) eventlog.Log {
		l := memlog.New()
		t.Cleanup(func() { _ = l.Close() })
		return l
	}},
	{"jetstream", func(t *testing.T) eventlog.Log {
		nc, _ := natsservertest.JetStreamForTest(t)
		return jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})
	}},
	{"eventstoredb", func(t *testing.T) eventlog.Log {
		url := os.Getenv("EVENTSTORE_URL")
		if url == "" {
			t.Skip("EVENTSTORE_URL not set")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l, err := esdblog.New(ctx, url, esdblog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		return l
	}},
}

// countingLog counts the appends and the stream reads that reach the log.
type countingLog struct {
	eventlog.Log
	appends atomic.Int64
	reads   atomic.Int64
}

func (c *countingLog) ReadStream(ctx context.Context, stream string, after eventlog.Revision) ([]eventlog.RecordedEvent, error) {
	c.reads.Add(1)
	return c.Log.ReadStream(ctx, stream, after)
}

func (c *countingLog) Append(ctx context.Context, stream string, exp eventlog.ExpectedRevision, events ...eventlog.EventData) (eventlog.AppendResult, error) {
	c.appends.Add(1)
	return c.Log.Append(ctx, stream, exp, events...)
}

// eachLog runs test over a repository on every log. Aggregate ids are new
// per run, so a reused server is fine.
func eachLog(t *testing.T, test func(t *testing.T, repo *es.Repository[int, string], log *countingLog)) {
	for _, l := range logs {
		t.Run(l.name, func(t *testing.T) {
			cl := &countingLog{Log: l.open(t)}
			test(t, &es.Repository[int, string]{Log: cl, Category: "case", Service: "test", Decider: transfers, MaxAttempts: 50}, cl)
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConcurrentCommandsOnOneAggregateAllLandOnce(t *testing.T) {
	eachLog(t, func(t *testing.T, repo *es.Repository[int, string], _ *countingLog) {
		ctx := ctxFor(t)
		id := uuid.NewString()
		const n = 10
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := repo.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		state, _, err := repo.Load(ctx, id)
		if err != nil || state != n {
			t.Fatalf("case went through %d teams (%v), want %d: a concurrent command was lost or doubled", state, err, n)
		}
	})
}

// TestARedeliveredCommandAppendsNothingAndReportsTheLog: the decider is not
// idempotent (decided again, it moves the case to "team-1"), but the event
// ids come from the idempotency key, so the second delivery finds its event
// in the stream, appends nothing, and reports the case as the log holds it.
func TestARedeliveredCommandAppendsNothingAndReportsTheLog(t *testing.T) {
	eachLog(t, func(t *testing.T, repo *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		id := uuid.NewString()
		cmd := es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "request-" + id}
		first, err := repo.Handle(ctx, id, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Events) != 1 || first.State != 1 {
			t.Fatalf("first delivery appended %d events and reports state %d, want 1 and 1", len(first.Events), first.State)
		}
		appends := log.appends.Load()

		again, err := repo.Handle(ctx, id, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if n := log.appends.Load() - appends; n != 0 {
			t.Errorf("the second delivery sent %d appends to the log, want none", n)
		}
		if len(again.Events) != 0 || len(again.Recorded) != 0 {
			t.Errorf("the second delivery reports events %v as appended, want none", again.Events)
		}
		if again.State != 1 || again.Revision != first.Revision {
			t.Errorf("the second delivery reports state %d at revision %d, the log holds %d at %d", again.State, again.Revision, first.State, first.Revision)
		}
		events, err := repo.Log.ReadStream(ctx, "case-"+id, eventlog.FromStart)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].ID != first.Recorded[0].ID {
			t.Fatalf("stream holds %d events after a redelivered command, want the first one only", len(events))
		}
		m, err := es.Decode(events[0])
		if err != nil {
			t.Fatal(err)
		}
		if team := m.(*complaintsv1.CaseAssigned).Team; team != "team-0" {
			t.Fatalf("the log holds team %q, want team-0", team)
		}
	})
}

// TestTheSameCommandRacingItselfLandsOnce: several deliveries of one command
// at once. One appends; the others either find its events on a new load
// after their conflict, or send the very same append, which the log
// recognises as a retry (same ids right after the same exact revision).
// Either way every delivery succeeds and the event is in the log once.
func TestTheSameCommandRacingItselfLandsOnce(t *testing.T) {
	eachLog(t, func(t *testing.T, repo *es.Repository[int, string], _ *countingLog) {
		ctx := ctxFor(t)
		id := uuid.NewString()
		cmd := es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "request-" + id}
		// A first step, so that the racing deliveries append with an exact
		// revision rather than NoStream.
		if _, err := repo.Handle(ctx, id, es.Command[string]{Body: "intake", ComplaintID: id}); err != nil {
			t.Fatal(err)
		}
		const n = 8
		results := make([]es.Result[int], n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = repo.Handle(ctx, id, cmd)
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
			if results[i].State != 2 {
				t.Errorf("delivery %d reports state %d, want 2", i, results[i].State)
			}
		}
		state, _, err := repo.Load(ctx, id)
		if err != nil || state != 2 {
			t.Fatalf("case went through %d teams (%v), want 2", state, err)
		}
	})
}

// lostAck writes the first append and then reports it failed, as when the
// acknowledgement is lost on the way back.
type lostAck struct {
	eventlog.Log
	lost atomic.Bool
}

func (l *lostAck) Append(ctx context.Context, stream string, exp eventlog.ExpectedRevision, events ...eventlog.EventData) (eventlog.AppendResult, error) {
	res, err := l.Log.Append(ctx, stream, exp, events...)
	if err == nil && l.lost.CompareAndSwap(false, true) {
		return eventlog.AppendResult{}, errors.New("connection lost before the acknowledgement")
	}
	return res, err
}

func TestACommandRetriedAfterALostAcknowledgementLandsOnce(t *testing.T) {
	eachLog(t, func(t *testing.T, repo *es.Repository[int, string], _ *countingLog) {
		ctx := ctxFor(t)
		repo.Log = &lostAck{Log: repo.Log}
		id := uuid.NewString()
		cmd := es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "request-" + id}
		if _, err := repo.Handle(ctx, id, cmd); err == nil {
			t.Fatal("the lost acknowledgement was not reported")
		}
		res, err := repo.Handle(ctx, id, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != 1 || len(res.Events) != 0 {
			t.Errorf("the retry reports state %d and %d events appended, want 1 and none", res.State, len(res.Events))
		}
		if state, _, err := repo.Load(ctx, id); err != nil || state != 1 {
			t.Fatalf("case went through %d teams (%v), want 1", state, err)
		}
	})
}

func TestDecisionErrorsAreReturnedAndNothingIsAppended(t *testing.T) {
	eachLog(t, func(t *testing.T, repo *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		id := uuid.NewString()
		if _, err := repo.Handle(ctx, id, es.Command[string]{Body: ""}); err == nil {
			t.Fatal("a refused command reported success")
		}
		if _, _, err := repo.Load(ctx, id); !errors.Is(err, es.ErrNotFound) {
			t.Fatalf("load after a refused first command: %v, want ErrNotFound", err)
		}
		if n := log.appends.Load(); n != 0 {
			t.Fatalf("a refused command sent %d appends", n)
		}
	})
}

// A cached repository reads only what others appended since its last
// command, and still decides on the whole aggregate: here another process
// (an uncached repository on the same log) moves the case between its
// commands, and concurrent commands through the cache all land once.
func TestACachedRepositoryCatchesUpWithOtherWriters(t *testing.T) {
	eachLog(t, func(t *testing.T, other *es.Repository[int, string], log *countingLog) {
		ctx := ctxFor(t)
		cached := &es.Repository[int, string]{Log: log, Category: "case", Service: "test", Decider: transfers, MaxAttempts: 50, Cache: es.NewCache[int](es.DefaultCacheSize)}
		id := uuid.NewString()
		for i := range 3 {
			res, err := cached.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id})
			if err != nil || res.State != 2*i+1 {
				t.Fatalf("cached command %d: state %d, %v; want %d", i, res.State, err, 2*i+1)
			}
			if _, err := other.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id}); err != nil {
				t.Fatal(err)
			}
		}
		// A retried command with the same key appends nothing, from the cache too.
		key := es.Command[string]{Body: "team", ComplaintID: id, IdempotencyKey: "once"}
		first, err := cached.Handle(ctx, id, key)
		if err != nil || first.State != 7 {
			t.Fatalf("keyed command: %d, %v", first.State, err)
		}
		again, err := cached.Handle(ctx, id, key)
		if err != nil || len(again.Events) != 0 || again.State != 7 {
			t.Fatalf("retried keyed command: %+v, %v", again, err)
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = cached.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id})
			}()
			go func() {
				defer wg.Done()
				_, _ = other.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id})
			}()
		}
		wg.Wait()
		state, _, err := other.Load(ctx, id)
		if err != nil || state != 27 {
			t.Fatalf("case went through %d teams (%v), want 27", state, err)
		}
		res, err := cached.Handle(ctx, id, es.Command[string]{Body: "team", ComplaintID: id})
		if err != nil || res.State != 28 {
			t.Fatalf("the cache is behind the log: %d, %v", res.State, err)
		}
	})
}
