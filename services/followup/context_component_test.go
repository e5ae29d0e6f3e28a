package followup_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

func TestARoundTakesTheComplaintsContextFromTheSettlementAlone(t *testing.T) {
	c := start(t)
	id := uuid.NewString()
	// No complaint or case stream: the settlement carries all the round needs.
	c.deliver(c.append("redress", id, "compensation", &complaintsv1.RedressSettled{ComplaintId: id, Resolution: 1, Outcome: "issued",
		CustomerId: "cust-3", Reference: "CMP-3", Product: "mobile", Team: "billing", RootCause: "billing.late-fee"}))
	f, err := c.app.Followup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Context; got.CustomerID != "cust-3" || got.Reference != "CMP-3" || got.Product != "mobile" ||
		got.Team != "billing" || got.RootCause != "billing.late-fee" {
		t.Fatalf("round context %+v, want the settlement's", got)
	}
}
