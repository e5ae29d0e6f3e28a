package domain_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// given folds the events into the report, as the projection does.
func given(events ...proto.Message) domain.RootCauses { return domain.Fold(events...) }

func resolved(cause string) *complaintsv1.CaseResolved {
	return &complaintsv1.CaseResolved{RootCause: cause}
}

func thenPareto(t *testing.T, r domain.RootCauses, want ...domain.CauseShare) {
	t.Helper()
	if diff := cmp.Diff(want, r.Pareto(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Pareto differs (-want +got):\n%s", diff)
	}
}

func TestRootCausesAreRankedMostFrequentFirstWithCumulativeShare(t *testing.T) {
	r := given(resolved("billing.error"), resolved("network.outage"), resolved("network.outage"),
		resolved("network.outage"), resolved("delivery.late"), resolved("billing.error"))
	thenPareto(t, r,
		domain.CauseShare{RootCause: "network.outage", Complaints: 3, Share: 0.5, Cumulative: 0.5},
		domain.CauseShare{RootCause: "billing.error", Complaints: 2, Share: 2.0 / 6, Cumulative: 5.0 / 6},
		domain.CauseShare{RootCause: "delivery.late", Complaints: 1, Share: 1.0 / 6, Cumulative: 1},
	)
	if r.Total != 6 {
		t.Errorf("total %d, want 6", r.Total)
	}
}

func TestOnlyResolutionsWithACauseCount(t *testing.T) {
	r := given(&complaintsv1.CaseOpened{}, resolved(""), &complaintsv1.RedressDecided{PolicyRule: "x"}, resolved("billing.error"))
	thenPareto(t, r, domain.CauseShare{RootCause: "billing.error", Complaints: 1, Share: 1, Cumulative: 1})
	if r.Total != 1 {
		t.Errorf("total %d, want 1", r.Total)
	}
}

func TestAnEmptyReportHasNoCauses(t *testing.T) {
	thenPareto(t, given())
}

func TestTiesAreOrderedByCode(t *testing.T) {
	thenPareto(t, given(resolved("b"), resolved("a")),
		domain.CauseShare{RootCause: "a", Complaints: 1, Share: 0.5, Cumulative: 0.5},
		domain.CauseShare{RootCause: "b", Complaints: 1, Share: 0.5, Cumulative: 1},
	)
}

func TestACloneIsNotChangedByLaterEvents(t *testing.T) {
	r := given(resolved("a"))
	snap := r.Clone()
	r = domain.Evolve(r, resolved("a"))
	if snap.ByCause["a"] != 1 || snap.Total != 1 || r.ByCause["a"] != 2 {
		t.Fatalf("clone %+v, report %+v", snap, r)
	}
}
