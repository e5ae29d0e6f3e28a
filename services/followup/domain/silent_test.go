package domain_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
)

func closedFor(reason, complaint, team, cause string, at time.Time) *complaintsv1.ComplaintClosed {
	return &complaintsv1.ComplaintClosed{ComplaintId: complaint, Reason: reason, ClosedAt: timestamppb.New(at),
		CustomerId: "cust-" + complaint, Product: "broadband", Team: team, RootCause: cause}
}

func TestTheSilentCustomersReportCountsNoResponseClosuresByTeamAndCause(t *testing.T) {
	s := domain.NewSilentCustomers()
	for _, e := range []*complaintsv1.ComplaintClosed{
		closedFor(domain.ReasonNoResponse, "c1", "network", "network.outage", at),
		closedFor(domain.ReasonCustomerAgreed, "c2", "network", "network.outage", at), // not silent
		closedFor(domain.ReasonNoResponse, "c3", "billing", "billing.error", at.Add(time.Hour)),
		closedFor(domain.ReasonNoResponse, "c4", "network", "network.outage", at.Add(2*time.Hour)),
	} {
		s = domain.EvolveSilent(s, e)
	}
	r := s.Report(domain.SilentQuery{})
	if r.Total != 3 || len(r.Groups) != 2 || r.Groups[0] != (domain.SilentGroup{Team: "network", RootCause: "network.outage", Count: 2}) ||
		len(r.Complaints) != 3 || r.Complaints[0].ComplaintID != "c4" || r.Truncated {
		t.Fatalf("report %+v", r)
	}
	r = s.Report(domain.SilentQuery{Team: "network", Limit: 1})
	if r.Total != 2 || len(r.Complaints) != 1 || r.Complaints[0].ComplaintID != "c4" || !r.Truncated {
		t.Fatalf("network's, limited: %+v", r)
	}
	if r = s.Report(domain.SilentQuery{RootCause: "billing.error"}); r.Total != 1 || r.Complaints[0].CustomerID != "cust-c3" {
		t.Fatalf("billing's: %+v", r)
	}
}

func TestTheSilentCustomersReportListsTheLatestAndCountsThemAll(t *testing.T) {
	s := domain.NewSilentCustomers()
	n := domain.MaxSilentListed + 5
	for i := range n {
		s = domain.EvolveSilent(s, closedFor(domain.ReasonNoResponse, fmt.Sprint("c", i), "network", "network.outage", at.Add(time.Duration(i)*time.Minute)))
	}
	r := s.Report(domain.SilentQuery{Limit: n})
	if r.Total != int64(n) || len(r.Complaints) != domain.MaxSilentListed || !r.Truncated || r.Complaints[0].ComplaintID != fmt.Sprint("c", n-1) {
		t.Fatalf("total %d, listed %d, truncated %v, newest %s", r.Total, len(r.Complaints), r.Truncated, r.Complaints[0].ComplaintID)
	}
}
