package compensation

import (
	"github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// Declaration is compensation's place on NATS, from which the permission
// matrix is derived (natsauth): the redress streams are its own, one
// durable decides redress, and it keeps the redress ledger and the redress
// awaiting approval. It serves no documented request: its confirmations
// (adapters.SubjectConfirm) are the payment systems' alone.
var Declaration = natsauth.Service{
	Name:        app.ServiceName,
	Category:    domain.Category,
	Durables:    []string{adapters.DecidesRedress},
	Projections: []string{adapters.LedgerProjection, adapters.AwaitingProjection},
}
