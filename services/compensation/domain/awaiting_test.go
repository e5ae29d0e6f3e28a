package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
)

// The list follows a redress through its approval: requested, escalated,
// amended, and gone once approved; a decision of an older resolution
// changes nothing of the newer one.
func TestTheAwaitingListFollowsARedressThroughItsApproval(t *testing.T) {
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	a := domain.NewAwaiting()
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressDecided{ComplaintId: "c1", Resolution: 2, ApprovalRequired: true,
		ApprovalReason: "over-limit", ResolvedBy: "agent-7", DecidedAt: timestamppb.New(at), Reference: "CMP-1",
		Items: []*complaintsv1.RedressItem{{Kind: complaintsv1.RedressKind_REDRESS_KIND_APOLOGY},
			{Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 7000, Currency: "GBP"}}})
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressApprovalRequested{ComplaintId: "c1", Resolution: 2, ApproverRole: "approver",
		EscalateAt: timestamppb.New(at.Add(48 * time.Hour))})
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressApprovalEscalated{ComplaintId: "c1", Resolution: 2, ToRole: "admin", Level: 1})
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressApproved{ComplaintId: "c1", Resolution: 1})
	r, ok := a.Redress["c1"]
	if !ok {
		t.Fatal("the redress left the list on an older resolution's approval")
	}
	if total, cur := r.Total(); total != 7000 || cur != "GBP" || r.Kind() != "refund" || r.ApproverRole != "admin" || !r.EscalateAt.IsZero() || r.ResolvedBy != "agent-7" {
		t.Fatalf("listed %+v", r)
	}
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressAmended{ComplaintId: "c1", Resolution: 2,
		Items: []*complaintsv1.RedressItem{{Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 4000, Currency: "GBP"}}})
	if total, _ := a.Redress["c1"].Total(); total != 4000 {
		t.Fatalf("amended total %d, want 4000", total)
	}
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressApproved{ComplaintId: "c1", Resolution: 2})
	if len(a.Redress) != 0 {
		t.Fatalf("still listed after approval: %+v", a.Redress)
	}
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressDecided{ComplaintId: "c2", Resolution: 1, ApprovalRequired: true})
	a = domain.EvolveAwaiting(a, &complaintsv1.RedressDecided{ComplaintId: "c2", Resolution: 2})
	if len(a.Redress) != 0 {
		t.Fatalf("a later decision needing no approval left %+v", a.Redress)
	}
}
