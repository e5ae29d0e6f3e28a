package compensation_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// decideOn appends ev to the case's stream and hands it to the consumer.
func (c *component) decideOn(ev *complaintsv1.CaseResolved) {
	c.t.Helper()
	ctx := context.Background()
	data, err := es.Encode(uuid.NewString(), ev, eventlog.Metadata{ComplaintID: ev.ComplaintId, Service: "resolution",
		Actor: eventlog.NewActor(eventlog.ActorAgent, "agent-7")})
	if err != nil {
		c.t.Fatal(err)
	}
	stream := eventlog.StreamName("case", ev.ComplaintId)
	if _, err := c.log.Append(ctx, stream, eventlog.Any(), data); err != nil {
		c.t.Fatal(err)
	}
	recorded, err := c.log.ReadStream(ctx, stream, eventlog.FromStart)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := adapters.OnCaseResolved(c.app)(ctx, recorded[len(recorded)-1]); err != nil {
		c.t.Fatal(err)
	}
}

// refundOf is the refund the redress decided for a complaint.
func (c *component) refundOf(complaintID string) *complaintsv1.RedressDecided {
	c.t.Helper()
	for _, e := range c.redressEvents(complaintID) {
		m, err := es.Decode(e)
		if err != nil {
			c.t.Fatal(err)
		}
		if d, ok := m.(*complaintsv1.RedressDecided); ok {
			return d
		}
	}
	c.t.Fatalf("no redress decided for %s", complaintID)
	return nil
}

func TestRedressIsDecidedFromWhatTheResolutionCarries(t *testing.T) {
	c := start(t, "")
	id := uuid.NewString()
	// No complaint stream at all: the resolution alone is enough.
	c.decideOn(&complaintsv1.CaseResolved{ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, Product: "broadband",
		RootCause: "billing.proration-error", RootCauseCategory: "billing", Resolution: 1, Reference: "CMP-7", CustomerId: "cust-7",
		DisputedAmountMinor: proto.Int64(4200), DisputedCurrency: "GBP"})
	d := c.refundOf(id)
	if d.PolicyRule != "upheld-billing" || d.Items[0].AmountMinor != 4200 || d.DisputedAmountMinor != 4200 ||
		d.CustomerId != "cust-7" || d.Reference != "CMP-7" {
		t.Fatalf("decided %v, want the whole 42.00 in dispute refunded to cust-7 under upheld-billing", d)
	}
}

func TestAResolutionRecordedBeforeItCarriedTheAmountReadsTheComplaintsReceipt(t *testing.T) {
	c := start(t, "")
	id := uuid.NewString()
	received, err := es.Encode(uuid.NewString(), &complaintsv1.ComplaintReceived{ComplaintId: id, CustomerId: "cust-8", Reference: "CMP-8",
		Product: "broadband", DisputedAmountMinor: 6100, Currency: "GBP"}, eventlog.Metadata{ComplaintID: id, Service: "intake"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.log.Append(context.Background(), eventlog.StreamName("complaint", id), eventlog.Any(), received); err != nil {
		t.Fatal(err)
	}
	c.decideOn(&complaintsv1.CaseResolved{ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, Product: "broadband",
		RootCause: "billing.proration-error", RootCauseCategory: "billing", Resolution: 1})
	d := c.refundOf(id)
	if d.Items[0].AmountMinor != 6100 || d.CustomerId != "cust-8" || d.Reference != "CMP-8" {
		t.Fatalf("decided %v, want the 61.00 of the receipt refunded to cust-8", d)
	}
}
