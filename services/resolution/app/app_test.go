package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Folding the same events again (a redelivery) changes no row.
func TestQueueFoldingIsIdempotent(t *testing.T) {
	const id = "0193e6a0-0000-7000-8000-000000000001"
	events := []proto.Message{
		&complaintsv1.CaseOpened{ComplaintId: id, Product: "tv", OpenedAt: timestamppb.Now()},
		&complaintsv1.CaseAssigned{ComplaintId: id, Team: "a"},
		&complaintsv1.CaseTransferred{ComplaintId: id, ToTeam: "b", Transfers: 1},
		&complaintsv1.CaseAssigned{ComplaintId: id, Team: "b", Agent: "x"},
		&complaintsv1.InformationRequested{ComplaintId: id, InformationRequests: 1},
		&complaintsv1.CaseEscalated{ComplaintId: id, Tier: 2},
	}
	once, twice := NewQueues(), NewQueues()
	for _, e := range events {
		once.Evolve(id, e)
		twice.Evolve(id, e)
		twice.Evolve(id, e)
	}
	a, _ := once.Row(id)
	b, _ := twice.Row(id)
	if a.Transfers != 1 || a.InformationRequests != 1 || a.Tier != 2 || a.Status != "awaiting_customer" || a.Team != "b" || a.Agent != "x" {
		t.Fatalf("row %+v", a)
	}
	if a.Transfers != b.Transfers || a.InformationRequests != b.InformationRequests || a.Tier != b.Tier || a.Status != b.Status {
		t.Fatalf("folded twice %+v, once %+v", b, a)
	}
}

func TestEffortIsCountedByKindAndTeam(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	counter := newEffortCounter(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))

	countEffort(context.Background(), counter, "a", []proto.Message{
		&complaintsv1.CaseTransferred{ToTeam: "b"}, &complaintsv1.CaseAssigned{}, &complaintsv1.InformationRequested{},
		&complaintsv1.CaseReopened{Team: "b"}, &complaintsv1.CaseEscalated{},
	})
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != EffortMetric {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				kind, _ := dp.Attributes.Value("kind")
				got[kind.AsString()] += dp.Value
			}
		}
	}
	for _, kind := range []string{"transfer", "information_request", "reopen", "escalation"} {
		if got[kind] != 1 {
			t.Errorf("%s counted %d times: %v", kind, got[kind], got)
		}
	}
}

// Paging through a queue gives every case once, in due order.
func TestPagingThroughAQueueGivesEveryCaseOnceInOrder(t *testing.T) {
	q := NewQueues()
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for i := range 500 {
		id := fmt.Sprintf("0193e6a0-0000-7000-8000-%012d", i)
		q.Evolve(id, &complaintsv1.CaseOpened{ComplaintId: id, OpenedAt: timestamppb.New(base)})
		q.Evolve(id, &complaintsv1.CaseAssigned{Team: "a"})
		q.Evolve(id, &complaintsv1.ComplaintAcknowledged{RespondBy: timestamppb.New(base.Add(time.Duration((i*7919)%500) * time.Hour))})
	}
	for i := range 500 {
		for j := range 500 {
			if (j*7919)%500 == i {
				want = append(want, fmt.Sprintf("0193e6a0-0000-7000-8000-%012d", j))
			}
		}
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := q.Queue(QueueFilter{Team: "a", Limit: 7, Cursor: cursor})
		if err != nil || pages > 100 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, r := range p.Rows {
			got = append(got, r.ComplaintID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged %d cases, want %d in due order", len(got), len(want))
	}
}
