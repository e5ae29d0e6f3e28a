package timer_test

import (
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
)

// The services' real declarations are theirs: these tests run with
// services shaped like them.
func init() {
	natsauth.Declare(natsauthtest.Services...)
	natsauth.DeclarePayments(natsauthtest.PaymentSystems)
}
