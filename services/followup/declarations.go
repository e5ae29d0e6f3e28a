package followup

import (
	"github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// Declaration is follow-up's place on NATS, from which the permission
// matrix is derived (natsauth): the follow-ups' streams are its own, one
// durable requests the surveys, it keeps the silent customers, and other
// systems hand in a customer's answer by request.
var Declaration = natsauth.Service{
	Name:        app.ServiceName,
	Category:    domain.Category,
	Durables:    []string{adapters.RequestsSurveys},
	Projections: []string{adapters.SilentCustomersProjection},
	Serves:      []string{adapters.SubjectAnswer},
}
