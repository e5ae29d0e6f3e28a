package adapters

import (
	"context"
	"errors"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Complaints reads what follow-up needs of a complaint from intake's and
// resolution's streams (complaint-<id>, case-<id>): the customer, product
// and reference from ComplaintReceived; the team and root cause of the
// latest resolution (or the team the case is assigned to) from the case.
// It implements app.Complaints.
type Complaints struct{ Log eventlog.Log }

// Context reads a complaint's context. A stream not (yet) there leaves its
// fields empty: a follow-up is never held up by what it only reports.
func (c Complaints) Context(ctx context.Context, complaintID string) (domain.Context, error) {
	var out domain.Context
	for _, category := range []string{"complaint", "case"} {
		events, err := c.Log.ReadStream(ctx, eventlog.StreamName(category, complaintID), eventlog.FromStart)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		for _, e := range events {
			switch e.Type {
			case receivedType, assignedType, resolvedType:
			default:
				continue
			}
			m, err := es.Decode(e)
			if err != nil {
				return out, err
			}
			switch m := m.(type) {
			case *complaintsv1.ComplaintReceived:
				out.CustomerID, out.Product, out.Reference = m.CustomerId, m.Product, m.Reference
			case *complaintsv1.CaseAssigned:
				out.Team = m.Team
			case *complaintsv1.CaseResolved:
				out.RootCause = m.RootCause
				if m.Team != "" {
					out.Team = m.Team
				}
				if m.Product != "" {
					out.Product = m.Product
				}
			}
		}
	}
	return out, nil
}

var (
	receivedType = es.TypeOf(&complaintsv1.ComplaintReceived{})
	assignedType = es.TypeOf(&complaintsv1.CaseAssigned{})
	resolvedType = es.TypeOf(&complaintsv1.CaseResolved{})
)
