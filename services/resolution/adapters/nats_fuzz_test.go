package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// fuzzCase is the complaint whose case is open in FuzzNATSRequest's log.
const fuzzCase = "0193e6a0-0000-7000-8000-000000000001"

// natsHandlers handle a request as Serve's endpoints do, from the request's
// data and Idempotency-Key header instead of a micro.Request.
func natsHandlers(a *app.Resolution) map[string]func(ctx context.Context, data []byte, key string) (any, error) {
	cl := func(key string) caller {
		return caller{actor: eventlog.NewActor(eventlog.ActorAgent, "a-1"), key: key, channel: "nats"}
	}
	return map[string]func(context.Context, []byte, string) (any, error){
		SubjectShow: func(ctx context.Context, data []byte, _ string) (any, error) {
			var req idRequest
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return showOp(ctx, a, req.ID)
		},
		SubjectAssign: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsAssign
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return assignOp(ctx, a, cl(key), req.ID, req.AssignRequest)
		},
		SubjectClaim: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsClaim
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return claimOp(ctx, a, cl(key), req.ID, req.ClaimRequest)
		},
		SubjectEscalate: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsEscalate
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return escalateOp(ctx, a, cl(key), req.ID, req.EscalateRequest)
		},
		SubjectReview: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsReview
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return reviewOp(ctx, a, cl(key), req.ID, req.ReviewRequest)
		},
		SubjectRequestInformation: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsRequestInformation
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return requestInformationOp(ctx, a, cl(key), req.ID, req.InformationRequestRequest)
		},
		SubjectAnswer: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsAnswer
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			if req.RequestID == "" {
				return nil, httpx.Invalid(httpx.FieldError{Field: "request_id", Detail: "is required"})
			}
			return answerOp(ctx, a, cl(key), req.ID, req.RequestID, req.InformationAnswer)
		},
		SubjectContact: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsContact
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return contactOp(ctx, a, cl(key), req.ID, req.ContactRequest)
		},
		SubjectResolve: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsResolve
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return resolveOp(ctx, a, cl(key), req.ID, req.ResolveRequest)
		},
		SubjectReopen: func(ctx context.Context, data []byte, key string) (any, error) {
			var req natsReopen
			if p := decodeWithID(data, &req, &req.ID); p != nil {
				return nil, p
			}
			return reopenOp(ctx, a, cl(key), req.ID, req.ReopenRequest)
		},
		SubjectQueue: func(_ context.Context, data []byte, _ string) (any, error) {
			var req natsQueue
			if p := httpx.Decode(bytes.NewReader(data), &req); p != nil {
				return nil, p
			}
			q := queueQuery{Team: req.Team, Status: req.Status, Flag: req.Flag, Agent: req.Agent, Cursor: req.Cursor}
			if req.Priority != 0 {
				q.Priority = strconv.Itoa(req.Priority)
			}
			if req.Limit != 0 {
				q.Limit = strconv.Itoa(req.Limit)
			}
			if req.Unassigned {
				q.Unassigned = "true"
			}
			return queueOp(a, q)
		},
	}
}

// FuzzNATSRequest handles arbitrary request data and Idempotency-Key
// headers on each of resolution's subjects, over an event log in memory
// holding one open case, as Serve's endpoints do: no panic, and every
// refusal is a client-error problem (a validation problem names its
// fields), never an internal error.
func FuzzNATSRequest(f *testing.F) {
	p := domain.Policy{}
	var err error
	load := func(name string, into func() error) {
		if err == nil {
			if err = into(); err != nil {
				f.Fatalf("%s: %v", name, err)
			}
		}
	}
	load("routing", func() error { l, err := policy.Load[domain.Routing]("", "routing"); p.Routing = l.Value; return err })
	load("taxonomy", func() error { l, err := policy.Load[domain.Taxonomy]("", "taxonomy"); p.Taxonomy = l.Value; return err })
	load("triage", func() error { l, err := policy.Load[domain.Triage]("", "triage"); p.Triage = l.Value; return err })
	load("contacts", func() error { l, err := policy.Load[domain.Contacts]("", "contacts"); p.Contacts = l.Value; return err })
	load("templates", func() error {
		l, err := policy.Load[notify.Templates]("", "templates")
		p.Templates = &l.Value
		return err
	})
	log := memlog.New()
	f.Cleanup(func() { _ = log.Close() })
	a := app.New(app.Deps{Log: log, Policy: p})
	ctx := context.Background()
	if err := a.OpenCase(ctx, &complaintsv1.ComplaintReceived{ComplaintId: fuzzCase, CustomerId: "cust-1", Reference: "CMP-1",
		Product: "broadband", Channel: "web", Description: "it does not work", Regime: "uk-fca"}, fuzzCase); err != nil {
		f.Fatal(err)
	}
	handlers := natsHandlers(a)
	for _, s := range Subjects {
		if handlers[s] == nil {
			f.Fatalf("no handler for %s", s)
		}
	}

	add := func(subject, data, key string) { f.Add(uint8(slices.Index(Subjects, subject)), []byte(data), key) }
	add(SubjectShow, `{"id":"`+fuzzCase+`"}`, "")
	add(SubjectShow, `{"id":"a.b >"}`, "")
	add(SubjectAssign, `{"id":"`+fuzzCase+`","team":"billing","agent":"a-1","agent_display_name":"Sam","reason":"billing question"}`, "k-1")
	add(SubjectAssign, `{"id":"`+fuzzCase+`","team":""}`, "")
	add(SubjectClaim, `{"id":"`+fuzzCase+`","agent":"a-1"}`, "")
	add(SubjectClaim, `{"id":"`+fuzzCase+`"}`, "")
	add(SubjectEscalate, `{"id":"`+fuzzCase+`","reason":"customer is vulnerable"}`, "")
	add(SubjectEscalate, `{"id":"`+fuzzCase+`","reason":"   "}`, "")
	add(SubjectReview, `{"id":"`+fuzzCase+`","reviewer":"lead-1","notes":"ok"}`, "")
	add(SubjectRequestInformation, `{"id":"`+fuzzCase+`","question":"Which router do you have?"}`, "")
	add(SubjectAnswer, `{"id":"`+fuzzCase+`","request_id":"r-1","answer":"the white one","channel":"chat"}`, "")
	add(SubjectAnswer, `{"id":"`+fuzzCase+`","request_id":"","answer":"x","channel":"pigeon"}`, "")
	add(SubjectContact, `{"id":"`+fuzzCase+`","agent":"a-1","channel":"phone","summary":"called back"}`, "")
	add(SubjectContact, `{"id":"`+fuzzCase+`","channel":"telepathy"}`, "")
	add(SubjectResolve, `{"id":"`+fuzzCase+`","outcome":"upheld","root_cause":"network.outage","summary":"fixed","agent":"a-1"}`, "")
	add(SubjectResolve, `{"id":"`+fuzzCase+`","outcome":"maybe","root_cause":"someone"}`, "")
	add(SubjectReopen, `{"id":"`+fuzzCase+`","reason":"still broken"}`, "")
	add(SubjectReopen, `{"id":"0193e6a0-0000-7000-8000-000000000009","reason":"x"}`, "")
	add(SubjectQueue, `{"team":"billing","status":"open,reopened","priority":2,"flag":"vulnerable","limit":50}`, "")
	add(SubjectQueue, `{"team":"billing","agent":"a-1","unassigned":true,"cursor":"!!","priority":9,"limit":-1}`, "")
	add(SubjectQueue, `{"team":"billing","status":"closed"}`, "")
	add(SubjectAssign, `{"id":1,"team":["x"]}`, "")
	add(SubjectClaim, `{"id":"x","colour":"red"}`, "")
	add(SubjectShow, `{} {}`, "")
	add(SubjectQueue, `[`, "")
	add(SubjectShow, ``, "")
	f.Fuzz(func(t *testing.T, n uint8, data []byte, key string) {
		subject := Subjects[int(n)%len(Subjects)]
		out, err := handlers[subject](ctx, data, key)
		if err != nil {
			checkProblem(t, err, subject)
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("%s: reply does not marshal: %v", subject, err)
		}
		if len(key) > MaxIdempotencyKey && subject != SubjectShow && subject != SubjectQueue {
			t.Fatalf("%s: accepted an Idempotency-Key of %d characters", subject, len(key))
		}
	})
}

// checkProblem checks that err is answered as a client-error problem,
// naming a field when it is a validation problem, as natsreply.Problem
// sends it.
func checkProblem(t *testing.T, err error, subject string) {
	t.Helper()
	reply := httpx.ProblemFor(context.Background(), err, subject)
	if reply.Status < 400 || reply.Status > 499 || reply.Title == "" || reply.Type == "" {
		t.Fatalf("%s: %v is not answered as a client-error problem: %+v", subject, err, reply)
	}
	if reply.Type == httpx.TypeValidation {
		if len(reply.Errors) == 0 {
			t.Fatalf("%s: validation problem names no field: %+v", subject, reply)
		}
		for _, fe := range reply.Errors {
			if fe.Field == "" || fe.Detail == "" {
				t.Fatalf("%s: validation problem with an unnamed field: %+v", subject, reply)
			}
		}
	} else if reply.Detail == "" {
		t.Fatalf("%s: problem without detail: %+v", subject, reply)
	}
	if _, err := json.Marshal(reply); err != nil {
		t.Fatalf("%s: problem reply does not marshal: %v", subject, err)
	}
}
