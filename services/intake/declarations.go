package intake

import (
	"github.com/complaintflow/complaintflow/services/intake/adapters"
	"github.com/complaintflow/complaintflow/services/intake/app"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// Declaration is intake's place on NATS, from which the permission matrix
// is derived (natsauth): the complaints' streams are its own, its one
// durable indexes each customer's complaints, other systems submit and
// show complaints by request, and it alone holds the personal-data keys.
var Declaration = natsauth.Service{
	Name:     app.ServiceName,
	Category: domain.Category,
	Durables: []string{adapters.IndexesCustomers},
	Serves:   []string{adapters.SubjectSubmit, adapters.SubjectShow},
	Vault:    true,
}
