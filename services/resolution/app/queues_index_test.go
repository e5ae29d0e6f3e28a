package app

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// slowQueue is the queue as the definition says it, every row sorted: what
// the team index must answer.
func slowQueue(q *Queues, f QueueFilter) []string {
	var rows []QueueRow
	for _, r := range q.rows {
		if r.Team == f.Team && r.active() && f.matches(*r) {
			rows = append(rows, *r)
		}
	}
	slices.SortFunc(rows, func(a, b QueueRow) int { return keyOf(a).compare(keyOf(b)) })
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ComplaintID
	}
	return ids
}

func pagedQueue(t *testing.T, q *Queues, f QueueFilter) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		p, err := q.Queue(f)
		if err != nil || pages > 1000 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, r := range p.Rows {
			ids = append(ids, r.ComplaintID)
		}
		if p.NextCursor == "" {
			return ids
		}
		f.Cursor = p.NextCursor
	}
}

// Cases moved between teams, re-dated, re-prioritised, waiting for the
// customer, resolved and reopened in any order: every team's queue, paged
// through its index, is the queue sorted from every row.
func TestTheTeamIndexAnswersAsASortOfEveryRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 52))
	q := NewQueues()
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	teams := []string{"network-support", "billing", "customer-care"}
	id := func(i int) string { return fmt.Sprintf("0193e6a0-0000-7000-8000-%012d", i) }
	for step := range 20000 {
		n := rng.IntN(600)
		at := timestamppb.New(base.Add(time.Duration(rng.IntN(2000)) * time.Hour))
		var m proto.Message
		switch rng.IntN(10) {
		case 0:
			m = &complaintsv1.CaseOpened{ComplaintId: id(n), OpenedAt: at}
		case 1:
			m = &complaintsv1.CaseAssigned{Team: teams[rng.IntN(len(teams))]}
		case 2:
			m = &complaintsv1.CaseTriaged{Priority: int32(1 + rng.IntN(4)), Flags: []string{"vulnerable"}[:rng.IntN(2)]}
		case 3:
			m = &complaintsv1.ComplaintAcknowledged{RespondBy: at}
		case 4:
			m = &complaintsv1.ClockStarted{Clock: FinalResponseClock + "-uk", Due: at}
		case 5:
			m = &complaintsv1.InformationRequested{InformationRequests: 1}
		case 6:
			m = &complaintsv1.InformationProvided{}
		case 7:
			m = &complaintsv1.CaseResolved{}
		case 8:
			if r, ok := q.Row(id(n)); ok {
				r.Status, r.Team = "reopened", teams[rng.IntN(len(teams))]
				q.Put(r)
			}
			continue
		default:
			m = &complaintsv1.CaseClaimed{Agent: fmt.Sprintf("a-%d", rng.IntN(3))}
		}
		q.Evolve(id(n), m)
		if step%2500 != 2499 {
			continue
		}
		for _, team := range teams {
			for _, f := range []QueueFilter{{Team: team, Limit: 13}, {Team: team, Limit: 200, Agent: "a-1"},
				{Team: team, Limit: 5, Flags: []string{"vulnerable"}, Statuses: []string{"open", "reopened"}}} {
				if got, want := pagedQueue(t, q, f), slowQueue(q, f); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("step %d, %+v: paged %d cases, sorted %d\n%v\n%v", step, f, len(got), len(want), got, want)
				}
			}
		}
	}
	for _, team := range teams {
		if n := len(slowQueue(q, QueueFilter{Team: team})); n < 20 {
			t.Fatalf("%s's queue holds %d cases: the test checked too little", team, n)
		}
	}
	// A snapshot restored answers the same.
	data, err := q.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	restored := NewQueues()
	if err := restored.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	for _, team := range teams {
		f := QueueFilter{Team: team, Limit: 50}
		if got, want := pagedQueue(t, restored, f), slowQueue(q, f); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("restored %s: %v, want %v", team, got, want)
		}
	}
}

// BenchmarkAQueuePageOf40000OpenCases reads the first page of one team's
// queue (the default 50) while 40,000 cases are open in it.
func BenchmarkAQueuePageOf40000OpenCases(b *testing.B) {
	q := NewQueues()
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40000 {
		id := fmt.Sprintf("0193e6a0-0000-7000-8000-%012d", i)
		q.Evolve(id, &complaintsv1.CaseOpened{ComplaintId: id, OpenedAt: timestamppb.New(base)})
		q.Evolve(id, &complaintsv1.CaseAssigned{Team: "network-support"})
		q.Evolve(id, &complaintsv1.ClockStarted{Clock: FinalResponseClock, Due: timestamppb.New(base.Add(time.Duration((i*7919)%40000) * time.Minute))})
	}
	for b.Loop() {
		if p, err := q.Queue(QueueFilter{Team: "network-support"}); err != nil || len(p.Rows) != 50 {
			b.Fatalf("%d rows, %v", len(p.Rows), err)
		}
	}
}
