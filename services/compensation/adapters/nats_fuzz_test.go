package adapters

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// FuzzConfirmRequest decodes, validates and records arbitrary confirmation
// request data as the complaints.compensation.confirm handler does, over an
// event log in memory holding no redress: no panic, and every answer is a
// client-error problem (a validation problem names its fields), never an
// internal error.
func FuzzConfirmRequest(f *testing.F) {
	l, err := policy.Load[domain.Policy]("", domain.PolicyName)
	if err != nil {
		f.Fatal(err)
	}
	log := memlog.New()
	f.Cleanup(func() { _ = log.Close() })
	a := app.New(app.Ports{
		Redresses: &es.Repository[domain.Redress, domain.Command]{Log: log, Category: domain.Category, Service: app.ServiceName, Decider: domain.NewDecider(l.Value)},
		Budgets:   &es.Repository[domain.Budget, domain.BudgetCommand]{Log: log, Category: domain.BudgetCategory, Service: app.ServiceName, Decider: domain.NewBudgetDecider()},
		Streams:   log,
	}, app.Policy{Policy: l.Value, Source: l.Source})

	f.Add([]byte(`{"complaint_id":"0193e6a0-0000-7000-8000-000000000001","issuance_id":"0193e6a0-0000-7000-8000-0000000000a1","status":"issued","external_reference":"PAY-1","attempt":1}`))
	f.Add([]byte(`{"complaint_id":"0193e6a0-0000-7000-8000-000000000001","issuance_id":"0193e6a0-0000-7000-8000-0000000000a1","status":"failed","reason":"account closed"}`))
	f.Add([]byte(`{"complaint_id":"0193e6a0-0000-7000-8000-000000000001","issuance_id":"i-1","status":"failed","reason":" "}`))
	f.Add([]byte(`{"complaint_id":"a.b","issuance_id":"*","status":"paid","attempt":-1}`))
	f.Add([]byte(`{"complaint_id":"c","issuance_id":"i","status":"issued","reason":"\u0000\u202e"}`))
	f.Add([]byte(`{"complaint_id":1,"status":true}`))
	f.Add([]byte(`{"complaint_id":"c","amount":5}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		var req api.IssuanceConfirmation
		var err error
		if p := httpx.DecodeBytes(data, &req); p != nil {
			err = p
		} else {
			var out api.IssuanceConfirmed
			out, err = confirm(ctx, a, req, eventlog.NewActor(eventlog.ActorSystem, "payments"))
			if err == nil {
				t.Fatalf("confirmed %+v with no redress decided: %q", out, data)
			}
		}
		checkProblem(t, err, SubjectConfirm)
	})
}

// checkProblem checks that err is answered as a client-error problem,
// naming a field when it is a validation problem, as natsreply.Problem
// sends it.
func checkProblem(t *testing.T, err error, subject string) {
	t.Helper()
	reply := httpx.ProblemFor(context.Background(), err, subject)
	if reply.Status < 400 || reply.Status > 499 || reply.Title == "" || reply.Type == "" {
		t.Fatalf("%v is not answered as a client-error problem: %+v", err, reply)
	}
	if reply.Type == httpx.TypeValidation {
		if len(reply.Errors) == 0 {
			t.Fatalf("validation problem names no field: %+v", reply)
		}
		for _, fe := range reply.Errors {
			if fe.Field == "" || fe.Detail == "" {
				t.Fatalf("validation problem with an unnamed field: %+v", reply)
			}
		}
	} else if reply.Detail == "" {
		t.Fatalf("problem without detail: %+v", reply)
	}
	if _, err := json.Marshal(reply); err != nil {
		t.Fatalf("problem reply does not marshal: %v", err)
	}
}
