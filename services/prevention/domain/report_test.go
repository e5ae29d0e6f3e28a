package domain_test

import (
	"testing"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

func TestRootCausesAreRankedMostFrequentFirstWithCumulativeShare(t *testing.T) {
	c := domain.NewRootCauseCounts()
	for _, cause := range []string{"billing.error", "network.outage", "network.outage", "network.outage", "delivery.late", "billing.error"} {
		c.Apply(&complaintsv1.CaseResolved{RootCause: cause})
	}
	c.Apply(&complaintsv1.CaseOpened{})                // not a resolution
	c.Apply(&complaintsv1.CaseResolved{RootCause: ""}) // no cause recorded

	got := c.Pareto()
	want := []domain.CauseShare{
		{RootCause: "network.outage", Complaints: 3, Share: 0.5, Cumulative: 0.5},
		{RootCause: "billing.error", Complaints: 2, Share: 2.0 / 6, Cumulative: 5.0 / 6},
		{RootCause: "delivery.late", Complaints: 1, Share: 1.0 / 6, Cumulative: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d causes, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if c.Total != 6 {
		t.Errorf("total %d, want 6", c.Total)
	}
}
