package paysim

import (
	compdomain "github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Declaration is what the company's payment systems do on NATS, as the
// simulator does it: they confirm redress issuances (SubjectConfirm) and
// read the redress events, where issuances are requested, with consumers
// of their own. The payment systems' user (natsauth.Payments) may do this
// and nothing else (natsauth.DeclarePayments).
var Declaration = natsauth.Client{Calls: []string{SubjectConfirm}, Reads: natswire.CategorySubject(compdomain.Category)}
