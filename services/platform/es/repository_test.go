package es_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

// transfers counts the teams a case went through; each command moves it to
// the next team.
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

func repository(t *testing.T) *es.Repository[int, string] {
	t.Helper()
	nc, _ := natsserver.JetStreamForTest(t)
	l := jetstreamlog.OpenForTest(t, nc, jetstreamlog.Options{})
	return &es.Repository[int, string]{Log: l, Category: "case", Service: "test", Decider: transfers, MaxAttempts: 50}
}

func TestConcurrentCommandsOnOneAggregateAllLandOnce(t *testing.T) {
	repo := repository(t)
	ctx := context.Background()
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := repo.Handle(ctx, "c1", es.Command[string]{Body: "team", ComplaintID: "c1"})
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
	state, _, err := repo.Load(ctx, "c1")
	if err != nil || state != n {
		t.Fatalf("case went through %d teams (%v), want %d: a concurrent command was lost or doubled", state, err, n)
	}
}

func TestARetriedCommandWithItsIdempotencyKeyAppendsNothingNew(t *testing.T) {
	repo := repository(t)
	ctx := context.Background()
	cmd := es.Command[string]{Body: "team", ComplaintID: "c2", IdempotencyKey: "request-1"}
	first, err := repo.Handle(ctx, "c2", cmd)
	if err != nil {
		t.Fatal(err)
	}
	// The retry decides the same event with the same id; the log keeps one.
	if _, err := repo.Handle(ctx, "c2", cmd); err != nil {
		t.Fatal(err)
	}
	events, err := repo.Log.ReadStream(ctx, "case-c2", eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ID != first.Recorded[0].ID {
		t.Fatalf("stream holds %d events after a retried command, want the first one only", len(events))
	}
}

func TestDecisionErrorsAreReturnedAndNothingIsAppended(t *testing.T) {
	repo := repository(t)
	ctx := context.Background()
	if _, err := repo.Handle(ctx, "c3", es.Command[string]{Body: ""}); err == nil {
		t.Fatal("a refused command reported success")
	}
	if _, _, err := repo.Load(ctx, "c3"); !errors.Is(err, es.ErrNotFound) {
		t.Fatalf("load after a refused first command: %v, want ErrNotFound", err)
	}
}
