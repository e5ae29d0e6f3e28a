package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
	"github.com/complaintflow/complaintflow/tools/internal/systemtest"
)

var sample = client.SubmitRequest{
	Customer:       client.Customer{ID: "c-1", Name: "Ann Lee", Email: "ann@example.com"},
	Channel:        "web",
	Product:        "broadband",
	Description:    "No service for 3 days",
	DesiredOutcome: "refund for the days without service",
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientWalksTheWholeLifecycle(t *testing.T) {
	c := systemtest.Client(t, systemtest.Start(t), 4)
	ctx := testContext(t)
	var poll client.Backoff

	sub, err := c.Submit(ctx, sample, "tools-client-1")
	if err != nil {
		t.Fatal(err)
	}
	if sub.ID == "" || sub.Reference == "" || sub.Status != client.StatusAcknowledged ||
		sub.Acknowledgement.Message == "" || sub.Acknowledgement.RespondBy.IsZero() || sub.Replayed {
		t.Fatalf("submission answer incomplete: %+v", sub)
	}
	again, err := c.Submit(ctx, sample, "tools-client-1")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != sub.ID || !again.Replayed {
		t.Fatalf("retry with the same key answered %+v, want %s replayed", again, sub.ID)
	}
	id := sub.ID

	cs, err := client.WaitFor(ctx, poll, func(ctx context.Context) (client.Case, error) { return c.Case(ctx, id) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cs.ComplaintID != id || cs.Status != "open" || cs.Team != "network-support" || cs.Product != "broadband" || cs.OpenedAt.IsZero() {
		t.Fatalf("case: %+v", cs)
	}
	if cs, err = c.Assign(ctx, id, client.AssignRequest{Team: "customer-care", Agent: "a-1"}); err != nil {
		t.Fatal(err)
	}
	if cs.Team != "customer-care" || cs.Transfers != 1 {
		t.Fatalf("after transfer: %+v", cs)
	}
	if cs, err = c.Resolve(ctx, id, client.ResolveRequest{
		Outcome: client.OutcomeUpheld, RootCause: "network.outage", Summary: "Exchange fault fixed", Agent: "a-1",
	}); err != nil {
		t.Fatal(err)
	}
	if cs.Status != "resolved" || cs.Outcome != client.OutcomeUpheld || cs.RootCause != "network.outage" || cs.ResolvedAt == nil {
		t.Fatalf("after resolution: %+v", cs)
	}

	red, err := client.WaitFor(ctx, poll, func(ctx context.Context) (client.Redress, error) { return c.Redress(ctx, id) },
		func(r client.Redress) bool { return r.Status == "issued" })
	if err != nil {
		t.Fatal(err)
	}
	if red.Kind != "account_credit" || red.AmountMinor != 2500 || red.Currency != "GBP" || red.IssueID == "" || red.PolicyRule == "" {
		t.Fatalf("redress: %+v", red)
	}

	fu, err := client.WaitFor(ctx, poll, func(ctx context.Context) (client.FollowUp, error) { return c.FollowUp(ctx, id) }, client.SurveyOut)
	if err != nil {
		t.Fatal(err)
	}
	if fu.Status != client.FollowUpAwaitingAnswer {
		t.Fatalf("survey: %+v", fu)
	}
	if fu, err = c.Answer(ctx, id, client.AnswerRequest{
		CSAT: client.Ptr[int32](5), Effort: client.Ptr[int32](2), Resolved: client.Ptr(true), Comment: "Thanks",
	}); err != nil {
		t.Fatal(err)
	}
	// Answered with the customer's token: the status only. Staff read the scores.
	if fu.Status != client.FollowUpClosed {
		t.Fatalf("answer: %+v", fu)
	}
	if fu, err = c.FollowUp(ctx, id); err != nil {
		t.Fatal(err)
	}
	if fu.CSAT != 5 || fu.Effort != 2 || fu.Resolved == nil || !*fu.Resolved || fu.Comment != "Thanks" {
		t.Fatalf("follow-up after the answer: %+v", fu)
	}

	view, err := client.WaitFor(ctx, poll, func(ctx context.Context) (client.Complaint, error) { return c.Complaint(ctx, id) },
		func(v client.Complaint) bool { return v.Status == client.StatusClosed })
	if err != nil {
		t.Fatal(err)
	}
	if view.Customer != sample.Customer || view.Product != "broadband" || view.ClosedAt == nil ||
		view.Case == nil || view.Case.Team != "customer-care" || view.Case.Outcome != client.OutcomeUpheld ||
		view.Redress == nil || view.Redress.Kind != "account_credit" ||
		view.FollowUp == nil || view.FollowUp.CSAT != 5 {
		t.Fatalf("closed view: %+v", view)
	}

	tl, err := c.Timeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for i, s := range tl.Steps {
		if i > 0 && s.Position <= tl.Steps[i-1].Position {
			t.Fatalf("timeline out of log order: %+v", tl.Steps)
		}
		if s.EventID == "" || s.RecordedAt.IsZero() || len(s.Data) == 0 {
			t.Fatalf("timeline step incomplete: %+v", s)
		}
		types[s.Type] = s.Service
	}
	for typ, svc := range map[string]string{
		"ComplaintReceived": "intake", "CaseOpened": "resolution", "CaseResolved": "resolution",
		"RedressIssued": "compensation", "SurveyAnswered": "followup", "ComplaintClosed": "followup",
	} {
		if types[typ] != svc {
			t.Fatalf("timeline lacks %s by %s: %v", typ, svc, types)
		}
	}
	for _, s := range tl.Steps {
		if s.Type == "ComplaintReceived" && strings.Contains(string(s.Data), "Ann Lee") {
			t.Fatalf("timeline shows personal data: %s", s.Data)
		}
	}

	report, err := client.WaitFor(ctx, poll, func(ctx context.Context) (client.RootCauseReport, error) { return c.RootCauseReport(ctx) },
		func(r client.RootCauseReport) bool { return r.Total == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Causes) != 1 || report.Causes[0].RootCause != "network.outage" || report.Causes[0].Cumulative != 1 {
		t.Fatalf("report: %+v", report)
	}
	codes, err := c.RootCauses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rc := range codes {
		found = found || rc.Code == "network.outage" && rc.Description != ""
	}
	if !found {
		t.Fatalf("taxonomy lacks network.outage: %+v", codes)
	}
}

func TestClientReturnsProblemsNamingTheField(t *testing.T) {
	c := systemtest.Client(t, systemtest.Start(t), 4)
	ctx := testContext(t)

	bad := sample
	bad.Customer.Email = "nope"
	bad.Channel = "pigeon"
	_, err := c.Submit(ctx, bad, "")
	p, ok := client.AsProblem(err)
	if !ok || p.Status != http.StatusBadRequest || p.Type != client.TypeValidation {
		t.Fatalf("bad submission: %v", err)
	}
	if _, ok := p.Field("customer.email"); !ok {
		t.Fatalf("problem does not name customer.email: %+v", p)
	}
	if _, ok := p.Field("channel"); !ok {
		t.Fatalf("problem does not name channel: %+v", p)
	}
	if !strings.Contains(err.Error(), "customer.email") {
		t.Fatalf("error text does not name the field: %v", err)
	}

	if _, err := c.Complaint(ctx, "does-not-exist"); !client.IsNotFound(err) {
		t.Fatalf("unknown complaint: %v", err)
	}
	if _, err := c.Case(ctx, "does-not-exist"); !client.IsNotFound(err) {
		t.Fatalf("unknown case: %v", err)
	}

	_, err = c.Resolve(ctx, "x", client.ResolveRequest{Outcome: "maybe", RootCause: "bob"})
	if p, ok := client.AsProblem(err); !ok || p.Status != 400 {
		t.Fatalf("bad resolution: %v", err)
	} else if _, ok := p.Field("outcome"); !ok {
		t.Fatalf("problem does not name outcome: %+v", p)
	} else if _, ok := p.Field("root_cause"); !ok {
		t.Fatalf("problem does not name root_cause: %+v", p)
	}

	_, err = c.Answer(ctx, "x", client.AnswerRequest{CSAT: client.Ptr[int32](3), Resolved: client.Ptr(true)})
	if p, ok := client.AsProblem(err); !ok || p.Status != 400 {
		t.Fatalf("answer without effort: %v", err)
	} else if _, ok := p.Field("effort"); !ok {
		t.Fatalf("problem does not name effort: %+v", p)
	}

	if _, err := c.Submit(ctx, sample, "tools-client-reuse"); err != nil {
		t.Fatal(err)
	}
	other := sample
	other.Description = "A different problem"
	_, err = c.Submit(ctx, other, "tools-client-reuse")
	if p, ok := client.AsProblem(err); !ok || p.Status != http.StatusUnprocessableEntity || p.Type != client.TypeIdempotent {
		t.Fatalf("reused key: %v", err)
	} else if _, ok := p.Field("Idempotency-Key"); !ok {
		t.Fatalf("problem does not name Idempotency-Key: %+v", p)
	}
}

func TestAnswerThatIsNotAProblemKeepsItsStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("upstream went away"))
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, 1).Complaint(testContext(t), "x")
	p, ok := client.AsProblem(err)
	if !ok || p.Status != http.StatusBadGateway || p.Title != "Bad Gateway" || p.Detail != "upstream went away" {
		t.Fatalf("non-problem answer: %#v", err)
	}
}

func TestWaitForPollsUntilThePredicateHolds(t *testing.T) {
	ctx := testContext(t)
	calls := 0
	got, err := client.WaitFor(ctx, client.Backoff{Min: time.Millisecond, Max: 2 * time.Millisecond},
		func(context.Context) (int, error) {
			calls++
			if calls <= 2 {
				return 0, &client.Problem{Status: http.StatusNotFound, Title: "Not found"}
			}
			if calls == 3 {
				return 0, &client.Problem{Status: http.StatusServiceUnavailable, Title: "Service Unavailable"}
			}
			return calls, nil
		},
		func(n int) bool { return n >= 5 })
	if err != nil || got != 5 || calls != 5 {
		t.Fatalf("got %d after %d calls, err %v", got, calls, err)
	}
}

func TestWaitForStopsOnAnErrorThatWillNotGoAway(t *testing.T) {
	calls := 0
	conflict := &client.Problem{Status: http.StatusConflict, Title: "Conflict"}
	_, err := client.WaitFor(testContext(t), client.Backoff{}, func(context.Context) (int, error) {
		calls++
		return 0, conflict
	}, nil)
	if !errors.Is(err, conflict) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestWaitForEndsWithTheContextAndSaysWhatItLastSaw(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := client.WaitFor(ctx, client.Backoff{Min: time.Millisecond, Max: time.Millisecond}, func(context.Context) (int, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return 0, &client.Problem{Status: http.StatusNotFound, Title: "Not found", Detail: "no case yet"}
	}, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "no case yet") {
		t.Fatalf("err %v", err)
	}
}
