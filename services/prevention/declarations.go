package prevention

import (
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// Declaration is prevention's place on NATS, from which the permission
// matrix is derived (natsauth): the systemic issues' streams are its own,
// and it reads the log only with projections (no durable): the facts, the
// spike detector, the intake watch, the issues and actions.
var Declaration = natsauth.Service{
	Name:     app.ServiceName,
	Category: domain.AggregateCategory,
	Projections: []string{adapters.FactsProjection, adapters.DetectorProjection, adapters.IntakeWatchProjection,
		adapters.ActionViewsProjection},
}
