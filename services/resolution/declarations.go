package resolution

import (
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// Declaration is resolution's place on NATS, from which the permission
// matrix is derived (natsauth): the cases' streams are its own, the
// lifecycle runs on one durable (Durable, starting where the ones it
// replaced stood), every instance folds its own queue (QueueProjection),
// and other systems work cases by request.
var Declaration = natsauth.Service{
	Name:        app.ServiceName,
	Category:    domain.Category,
	Durables:    []string{Durable},
	Retired:     Replaced,
	Projections: []string{QueueProjection},
	Serves: []string{adapters.SubjectShow, adapters.SubjectAssign, adapters.SubjectClaim, adapters.SubjectEscalate,
		adapters.SubjectReview, adapters.SubjectRequestInformation, adapters.SubjectAnswer, adapters.SubjectContact,
		adapters.SubjectResolve, adapters.SubjectReopen, adapters.SubjectQueue},
}
