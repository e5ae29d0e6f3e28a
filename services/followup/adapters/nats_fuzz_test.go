package adapters

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/followup/app"
	"github.com/complaintflow/complaintflow/services/followup/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

// FuzzAnswerRequest decodes, validates and records arbitrary answer request
// data and Idempotency-Key headers as the complaints.followup.answer handler
// does, over an event log in memory holding no survey: no panic, and every
// answer is a client-error problem (a validation problem names its fields),
// never an internal error.
func FuzzAnswerRequest(f *testing.F) {
	l, err := policy.Load[domain.Policy]("", domain.PolicyName)
	if err != nil {
		f.Fatal(err)
	}
	log := memlog.New()
	f.Cleanup(func() { _ = log.Close() })
	a := app.New(app.Ports{
		Followups: &es.Repository[domain.Followup, domain.Command]{Log: log, Category: domain.Category, Service: app.ServiceName,
			Decider: domain.NewDecider(domain.Rules{Policy: l.Value})},
		Complaints: Complaints{Log: log},
	})

	f.Add([]byte(`{"complaint_id":"0193e6a0-0000-7000-8000-000000000001","csat":4,"effort":2,"nps":9,"resolved":true,"comment":"thanks"}`), "survey-1")
	f.Add([]byte(`{"complaint_id":"0193e6a0-0000-7000-8000-000000000001","csat":1,"effort":7,"resolved":false,"reason":"still slow"}`), "")
	f.Add([]byte(`{"complaint_id":"0193e6a0-0000-7000-8000-000000000001","csat":5,"effort":1,"resolved":true,"reason":"but"}`), "")
	f.Add([]byte(`{"complaint_id":"a.b*","csat":0,"effort":8,"nps":11}`), "")
	f.Add([]byte(`{"csat":3,"effort":3,"resolved":true}`), "")
	f.Add([]byte(`{"complaint_id":"c","csat":"4","resolved":"yes"}`), "")
	f.Add([]byte(`{"complaint_id":"c","csat":4.5,"effort":1e99,"resolved":null}`), "")
	f.Add([]byte(`{"complaint_id":"c","mood":"fine"}`), "")
	f.Add([]byte(`{} {}`), "")
	f.Add([]byte(`[`), "")
	f.Add([]byte(``), "")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		var msg api.AnswerMessage
		if p := httpx.DecodeBytes(data, &msg); p != nil {
			checkProblem(t, p, SubjectAnswer)
			return
		}
		var v httpx.Validator
		v.Required(msg.ComplaintID, "complaint_id")
		if p := v.Problem(); p != nil {
			checkProblem(t, p, SubjectAnswer)
			return
		}
		ans, p := validAnswer(api.AnswerRequest{CSAT: msg.CSAT, Effort: msg.Effort, NPS: msg.NPS, Resolved: msg.Resolved,
			Reason: msg.Reason, Comment: msg.Comment}, key)
		if p != nil {
			checkProblem(t, p, SubjectAnswer)
			return
		}
		if ans.CSAT < 1 || ans.CSAT > 5 || ans.Effort < 1 || ans.Effort > 7 || (ans.NPS != nil && (*ans.NPS < 0 || *ans.NPS > 10)) ||
			(ans.Resolved && ans.Reason != "") || len(key) > MaxIdempotencyKey {
			t.Fatalf("accepted an invalid answer %+v (key %q)", ans, key)
		}
		out, err := a.RecordAnswer(ctx, msg.ComplaintID, eventlog.NewActor(eventlog.ActorAgent, "a-1"), key, ans)
		if err == nil {
			t.Fatalf("recorded %+v with no survey sent: %q", out, data)
		}
		checkProblem(t, err, SubjectAnswer)
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
