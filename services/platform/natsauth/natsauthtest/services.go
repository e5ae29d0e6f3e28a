package natsauthtest

import "github.com/complaintflow/complaintflow/services/platform/natsauth"

// Services are declarations shaped like the complaint services' own, for
// the platform's own tests, which cannot import the services: a test
// package declares them (natsauth.Declare) before it reads the matrix. The
// services' real declarations are in their own packages (declarations.go),
// and the matrix derived from them is checked against a golden copy in
// services/system.
var Services = []natsauth.Service{
	{Name: "intake", Category: "complaint", Durables: []string{"intake-indexes-customers"},
		Serves: []string{"complaints.intake.submit", "complaints.intake.show"}, Vault: true},
	{Name: "resolution", Category: "case", Durables: []string{"resolution-lifecycle"}, Projections: []string{"resolution-queue"},
		Retired: []string{"resolution-opens-cases", "resolution-clocks", "resolution-reopens-cases",
			"resolution-escalates-breaches", "resolution-queues"},
		Serves: []string{"complaints.resolution.show", "complaints.resolution.assign", "complaints.resolution.claim",
			"complaints.resolution.escalate", "complaints.resolution.review", "complaints.resolution.request-information",
			"complaints.resolution.answer", "complaints.resolution.contact", "complaints.resolution.resolve",
			"complaints.resolution.reopen", "complaints.resolution.queue"}},
	{Name: "compensation", Category: "redress", Durables: []string{"compensation-decides-redress"},
		Projections: []string{"compensation-redress-ledger", "compensation-redress-awaiting"}},
	{Name: "followup", Category: "followup", Durables: []string{"followup-requests-surveys"},
		Projections: []string{"followup-silent-customers"}, Serves: []string{"complaints.followup.answer"}},
	{Name: "prevention", Category: "prevention",
		Projections: []string{"prevention-facts", "prevention-spike-detector", "prevention-intake-watch", "prevention-issues-and-actions"}},
}

// PaymentSystems is a declaration shaped like the payment simulator's
// (natsauth.DeclarePayments): it confirms issuances and reads the redress
// events.
var PaymentSystems = natsauth.Client{Calls: []string{"complaints.compensation.confirm"}, Reads: "complaints.events.redress.*"}
