package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/platform/policy"
)

var at = time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)

const id = "0193e6a0-0000-7000-8000-000000000002"

// defaultPolicy is the embedded redress.yaml, as the service loads it.
func defaultPolicy(t *testing.T) domain.Policy {
	t.Helper()
	l, err := policy.Load[domain.Policy]("", domain.PolicyName)
	if err != nil {
		t.Fatal(err)
	}
	return l.Value
}

// parse reads a redress policy file's content.
func parse(t *testing.T, yaml string) domain.Policy {
	t.Helper()
	l, err := policy.Parse[domain.Policy](domain.PolicyName, "test", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return l.Value
}

const uk = "GBP"

var (
	upheld   = complaintsv1.Outcome_OUTCOME_UPHELD
	partly   = complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD
	rejected = complaintsv1.Outcome_OUTCOME_REJECTED
)

func decide(outcome complaintsv1.Outcome, product, cause, category string, disputed int64) domain.DecideRedress {
	return domain.DecideRedress{Facts: domain.Facts{ComplaintID: id, Outcome: outcome, Product: product, RootCause: cause,
		RootCauseCategory: category, DisputedMinor: disputed, Currency: uk, SeverityPriority: 3},
		Resolution: 1, ResolvedBy: "a-7", ResolverActor: "agent:a-7", CustomerID: "c-1", BudgetPeriod: "2026-03", At: at}
}

func events(t *testing.T, p domain.Policy, given []proto.Message, cmd domain.Command) []proto.Message {
	t.Helper()
	cmd = planned(p, cmd)
	evs, err := decidertest.For(t, domain.NewDecider(p)).Given(given...).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// planned gives a DecideRedress the plan of p for its facts, as the
// application does before deciding.
func planned(p domain.Policy, cmd domain.Command) domain.Command {
	if d, ok := cmd.(domain.DecideRedress); ok {
		d.Plan, _ = p.Plan(d.Facts, d.Resolution)
		return d
	}
	return cmd
}

func items(t *testing.T, evs []proto.Message) []*complaintsv1.RedressItem {
	t.Helper()
	d, ok := evs[0].(*complaintsv1.RedressDecided)
	if !ok {
		t.Fatalf("first event %T, want RedressDecided", evs[0])
	}
	return d.Items
}

func TestRuleMatchingByCauseFamilyAndProductGivesEveryItemOfTheRule(t *testing.T) {
	p := defaultPolicy(t)
	evs := events(t, p, nil, decide(upheld, "broadband", "network.outage", "network", 0))
	its := items(t, evs)
	if len(its) != 3 || its[0].Kind != complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT || its[0].AmountMinor != 2500 ||
		its[0].Currency != uk || its[0].Relief != "monetary" || its[0].Category != "financial-loss" || its[0].ItemId != "1-0" ||
		its[1].Kind != complaintsv1.RedressKind_REDRESS_KIND_APOLOGY || its[1].Relief != "non-monetary" || its[1].Category != "non-financial" ||
		its[2].Kind != complaintsv1.RedressKind_REDRESS_KIND_GUARANTEE_OF_CHANGE {
		t.Fatalf("items %v", its)
	}
	d := evs[0].(*complaintsv1.RedressDecided)
	if d.PolicyRule != "upheld-broadband-outage" || d.DecidedBy.GetVersion() != p.Version || d.ApprovalRequired {
		t.Fatalf("decided %v", d)
	}
	// Within the limit: the credit is requested at once, with a stable id.
	req, ok := evs[1].(*complaintsv1.RedressIssuanceRequested)
	if len(evs) != 2 || !ok || req.IssuanceId != domain.IssuanceID(id, "1-0") || req.Attempt != 1 || req.CustomerId != "c-1" {
		t.Fatalf("events %v", evs)
	}
}

func TestComputedShareIsRaisedToTheMinimumAndCapped(t *testing.T) {
	p := defaultPolicy(t)
	for _, c := range []struct {
		disputed, want int64
	}{{0, 1000}, {3000, 3000}, {80000, 20000}} {
		its := items(t, events(t, p, nil, decide(upheld, "mobile", "billing.proration-error", "billing", c.disputed)))
		if its[0].Kind != complaintsv1.RedressKind_REDRESS_KIND_REFUND || its[0].AmountMinor != c.want || its[0].Basis == "" {
			t.Fatalf("disputed %d: refund %v, want %d", c.disputed, its[0], c.want)
		}
		if its[1].Kind != complaintsv1.RedressKind_REDRESS_KIND_FEE_WAIVER || its[1].AmountMinor != 1500 {
			t.Fatalf("fee waiver %v", its[1])
		}
	}
	// Half the disputed amount, capped at 100.00.
	its := items(t, events(t, p, nil, decide(partly, "mobile", "service.delay", "service", 30000)))
	if its[0].Kind != complaintsv1.RedressKind_REDRESS_KIND_GOODWILL_GESTURE || its[0].AmountMinor != 10000 || !its[0].Goodwill {
		t.Fatalf("goodwill %v", its[0])
	}
}

func TestGoodwillOnARejectedComplaintIsFlaggedGoodwill(t *testing.T) {
	p := defaultPolicy(t)
	its := items(t, events(t, p, nil, decide(rejected, "mobile", "service.delay", "service", 60000)))
	if its[0].Kind != complaintsv1.RedressKind_REDRESS_KIND_VOUCHER || !its[0].Goodwill || its[0].Category != "goodwill" {
		t.Fatalf("voucher %v", its[0])
	}
}

func TestAdditionalRuleAddsDistressPaymentForAVulnerableCustomer(t *testing.T) {
	p := defaultPolicy(t)
	cmd := decide(upheld, "broadband", "network.outage", "network", 0)
	cmd.Facts.Vulnerable = true
	its := items(t, events(t, p, nil, cmd))
	if len(its) != 4 || its[0].Kind != complaintsv1.RedressKind_REDRESS_KIND_DISTRESS_AND_INCONVENIENCE ||
		its[0].Category != "distress-and-inconvenience" || its[0].RuleId != "vulnerable-distress" || its[1].RuleId != "upheld-broadband-outage" {
		t.Fatalf("items %v", its)
	}
}

func TestApologyOnlySettlesAtOnce(t *testing.T) {
	p := defaultPolicy(t)
	evs := events(t, p, nil, decide(rejected, "mobile", "service.delay", "service", 0))
	s, ok := evs[1].(*complaintsv1.RedressSettled)
	if len(evs) != 2 || !ok || s.Resolution != 1 || s.Outcome != "nothing-to-issue" {
		t.Fatalf("events %v", evs)
	}
}

func TestAResolutionNoRuleFitsEarnsNothingAndIsSettled(t *testing.T) {
	p := parse(t, "version: t\nrules:\n  - {id: r, outcome: upheld, kind: apology}\n")
	evs := events(t, p, nil, decide(rejected, "x", "y.z", "y", 0))
	d, s := evs[0].(*complaintsv1.RedressDecided), evs[1].(*complaintsv1.RedressSettled)
	if len(evs) != 2 || len(d.Items) != 0 || d.PolicyRule != "" || s.Outcome != "nothing-to-issue" {
		t.Fatalf("events %v", evs)
	}
}

func TestPolicyErrorsNameTheField(t *testing.T) {
	_, err := policy.Parse[domain.Policy](domain.PolicyName, "test", []byte(`version: t
approval: {escalate_after: soon}
rules:
  - id: r
    items:
      - {kind: refund, share_percent: 50, min_minor: 900, cap_minor: 100}
      - {kind: apology, amount_minor: 5}
`))
	for _, want := range []string{"approval.escalate_after", "rules[0].items[0].min_minor", "rules[0].items[1].kind"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v does not name %s", err, want)
		}
	}
}

const smallLimits = `version: t
currency: GBP
auto_approve_limit_minor: 1000
approval:
  levels: [{role: approver, limit_minor: 5000}, {role: admin, limit_minor: 100000}]
  escalate_after: 1h
issuance: {max_attempts: 2, retry_after: 1m}
rules:
  - id: big
    outcome: upheld
    items: [{kind: refund, amount_minor: 4000}, {kind: apology}]
`

// awaiting is a redress decided above the limit, waiting for an approver.
func awaiting(t *testing.T, p domain.Policy) []proto.Message {
	return events(t, p, nil, decide(upheld, "mobile", "service.delay", "service", 0))
}

func TestAboveTheLimitWaitsForAnApproverAndEscalatesByTimer(t *testing.T) {
	p := parse(t, smallLimits)
	given := awaiting(t, p)
	req, ok := given[1].(*complaintsv1.RedressApprovalRequested)
	if len(given) != 2 || !ok || req.ApproverRole != "approver" || req.TotalMinor != 4000 || req.Reason != "over-limit" ||
		!req.EscalateAt.AsTime().Equal(at.Add(time.Hour)) || !given[0].(*complaintsv1.RedressDecided).ApprovalRequired {
		t.Fatalf("events %v", given)
	}
	d := domain.NewDecider(p)
	// A stale firing does nothing; the expected one escalates to admin.
	decidertest.For(t, d).Given(given...).When(domain.EscalateApproval{Due: at, At: at.Add(time.Hour)}).ThenNothing()
	decidertest.For(t, d).Given(given...).When(domain.EscalateApproval{Due: at.Add(time.Hour), At: at.Add(time.Hour)}).
		Then(&complaintsv1.RedressApprovalEscalated{ComplaintId: id, Resolution: 1, ToRole: "admin", Level: 1,
			EscalatedAt: timestamppb.New(at.Add(time.Hour))}).
		ThenState(func(t testing.TB, r domain.Redress) {
			if r.ApproverRole != "admin" || !r.EscalateAt.IsZero() || r.Status != domain.AwaitingApproval {
				t.Fatalf("state %+v", r)
			}
		})
}

func TestFourEyesRefusesTheResolverAsApprover(t *testing.T) {
	p := parse(t, smallLimits)
	d := domain.NewDecider(p)
	for _, who := range []struct{ actor, subject string }{{"agent:a-7", "a-7"}, {"agent:x", "a-7"}} {
		decidertest.For(t, d).Given(awaiting(t, p)...).
			When(domain.DecideApproval{Decision: domain.Approve, Approver: who.actor, Subject: who.subject, RoleLimit: 5000, At: at}).
			ThenError(domain.ErrFourEyes)
	}
}

func TestApprovalRequestsIssuanceAndRejectionSettlesWithNothing(t *testing.T) {
	p := parse(t, smallLimits)
	d := domain.NewDecider(p)
	evs, err := decidertest.For(t, d).Given(awaiting(t, p)...).
		When(domain.DecideApproval{Decision: domain.Approve, Approver: "agent:boss", Subject: "boss", RoleLimit: 5000, At: at}).Events()
	if err != nil || len(evs) != 2 {
		t.Fatalf("%v %v", evs, err)
	}
	if _, ok := evs[1].(*complaintsv1.RedressIssuanceRequested); !ok {
		t.Fatalf("events %v", evs)
	}
	decidertest.For(t, d).Given(awaiting(t, p)...).
		When(domain.DecideApproval{Decision: domain.Approve, Approver: "agent:boss", Subject: "boss", RoleLimit: 3000, At: at}).
		ThenError(domain.ErrOverRoleLimit)
	decidertest.For(t, d).Given(awaiting(t, p)...).
		When(domain.DecideApproval{Decision: domain.Reject, Reason: "duplicate of an earlier refund", Approver: "agent:boss", Subject: "boss", RoleLimit: 5000, At: at}).
		Then(&complaintsv1.RedressRejected{ComplaintId: id, Resolution: 1, RejectedBy: "agent:boss", Reason: "duplicate of an earlier refund", RejectedAt: timestamppb.New(at)},
			// The settlement carries what the follow-up needs from the resolution.
			&complaintsv1.RedressSettled{ComplaintId: id, Resolution: 1, SettledAt: timestamppb.New(at), Outcome: "rejected",
				CustomerId: "c-1", Product: "mobile", RootCause: "service.delay"}).
		ThenState(func(t testing.TB, r domain.Redress) {
			if r.Status != domain.Rejected {
				t.Fatalf("status %v", r.Status)
			}
		})
}

func TestAmendReplacesTheItems(t *testing.T) {
	p := parse(t, smallLimits)
	evs, err := decidertest.For(t, domain.NewDecider(p)).Given(awaiting(t, p)...).
		When(domain.DecideApproval{Decision: domain.Amend, Reason: "half is fair", Approver: "agent:boss", Subject: "boss", RoleLimit: 5000, At: at,
			Items: []*complaintsv1.RedressItem{{Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 2000}}}).Events()
	if err != nil || len(evs) != 3 {
		t.Fatalf("%v %v", evs, err)
	}
	am := evs[0].(*complaintsv1.RedressAmended)
	req := evs[2].(*complaintsv1.RedressIssuanceRequested)
	if am.Items[0].Currency != uk || am.Items[0].ItemId != "1-0" || req.Item.AmountMinor != 2000 {
		t.Fatalf("events %v", evs)
	}
}

func TestBudgetExhaustedWaitsForApproval(t *testing.T) {
	p := defaultPolicy(t)
	cmd := decide(upheld, "broadband", "network.outage", "network", 0)
	cmd.BudgetExhausted = true
	evs := events(t, p, nil, cmd)
	req, ok := evs[1].(*complaintsv1.RedressApprovalRequested)
	if len(evs) != 2 || !ok || req.Reason != "budget-exhausted" || evs[0].(*complaintsv1.RedressDecided).ApprovalReason != "budget-exhausted" {
		t.Fatalf("events %v", evs)
	}
}

func TestBudgetRefusesAReservationItCannotTake(t *testing.T) {
	d := domain.NewBudgetDecider()
	first := domain.Reserve{Period: "2026-03", Category: "goodwill", ReservationID: "a/1", AmountMinor: 800, LimitMinor: 1000, At: at}
	given, err := decidertest.For(t, d).When(first).Events()
	if err != nil {
		t.Fatal(err)
	}
	second := first
	second.ReservationID, second.AmountMinor = "b/1", 300
	decidertest.For(t, d).Given(given...).When(second).ThenError(domain.ErrBudgetExhausted)
	decidertest.For(t, d).Given(given...).When(first).ThenNothing() // the same reservation again
	second.Override = true
	decidertest.For(t, d).Given(given...).When(second).ThenState(func(t testing.TB, b domain.Budget) {
		if b.UsedMinor != 1100 || b.OverBudgetMinor != 100 {
			t.Fatalf("budget %+v", b)
		}
	})
	decidertest.For(t, d).Given(given...).When(domain.Release{ReservationID: "a/1", At: at}).ThenState(func(t testing.TB, b domain.Budget) {
		if b.UsedMinor != 0 {
			t.Fatalf("budget %+v", b)
		}
	})
}

func TestConfirmationsAreRecordedOnceAndFailuresRetriedThenEscalated(t *testing.T) {
	p := parse(t, smallLimits)
	d := domain.NewDecider(p)
	approved, _ := decidertest.For(t, d).Given(awaiting(t, p)...).
		When(domain.DecideApproval{Decision: domain.Approve, Approver: "agent:boss", Subject: "boss", RoleLimit: 5000, At: at}).Events()
	given := append(awaiting(t, p), approved...)
	iid := domain.IssuanceID(id, "1-0")
	issued := domain.ConfirmIssuance{IssuanceID: iid, Issued: true, ExternalReference: "PAY-1", At: at}
	evs, err := decidertest.For(t, d).Given(given...).When(issued).Events()
	if err != nil || len(evs) != 2 {
		t.Fatalf("%v %v", evs, err)
	}
	if s := evs[1].(*complaintsv1.RedressSettled); s.TotalMinor != 4000 || s.Outcome != "issued" {
		t.Fatalf("settled %v", s)
	}
	decidertest.For(t, d).Given(append(given, evs...)...).When(issued).ThenNothing()
	decidertest.For(t, d).Given(given...).When(domain.ConfirmIssuance{IssuanceID: "nope", Issued: true, At: at}).ThenError(domain.ErrNoSuchIssuance)

	failed := domain.ConfirmIssuance{IssuanceID: iid, Reason: "account closed", At: at}
	f1, _ := decidertest.For(t, d).Given(given...).When(failed).Events()
	fe := f1[0].(*complaintsv1.RedressIssuanceFailed)
	if fe.Escalated || !fe.RetryAt.AsTime().Equal(at.Add(time.Minute)) {
		t.Fatalf("failed %v", fe)
	}
	given = append(given, f1...)
	decidertest.For(t, d).Given(given...).When(failed).ThenNothing()
	decidertest.For(t, d).Given(given...).When(domain.RetryIssuance{IssuanceID: iid, Due: at, At: at}).ThenNothing()
	r2, _ := decidertest.For(t, d).Given(given...).When(domain.RetryIssuance{IssuanceID: iid, Due: at.Add(time.Minute), At: at}).Events()
	if rq := r2[0].(*complaintsv1.RedressIssuanceRequested); rq.IssuanceId != iid || rq.Attempt != 2 {
		t.Fatalf("retry %v", rq)
	}
	given = append(given, r2...)
	f2, _ := decidertest.For(t, d).Given(given...).When(failed).Events()
	if fe := f2[0].(*complaintsv1.RedressIssuanceFailed); !fe.Escalated || fe.RetryAt != nil {
		t.Fatalf("second failure %v", fe)
	}
}

func TestARedeliveredResolutionDecidesNothing(t *testing.T) {
	p := defaultPolicy(t)
	given := events(t, p, nil, decide(upheld, "broadband", "network.outage", "network", 0))
	decidertest.For(t, domain.NewDecider(p)).Given(given...).When(decide(upheld, "broadband", "network.outage", "network", 0)).ThenNothing()
	next := decide(upheld, "broadband", "network.outage", "network", 0)
	next.Resolution = 2
	evs := events(t, p, given, next)
	if r := evs[1].(*complaintsv1.RedressIssuanceRequested); r.IssuanceId != domain.IssuanceID(id, "2-0") {
		t.Fatalf("second resolution %v", r)
	}
}

func TestDescribeSaysWhatWasIssued(t *testing.T) {
	got := domain.Describe([]*complaintsv1.RedressItem{
		{Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, AmountMinor: 2505, Currency: "GBP"},
		{Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 1000, Currency: "EUR"},
		{Kind: complaintsv1.RedressKind_REDRESS_KIND_VOUCHER, AmountMinor: 500, Currency: "JPY"},
	})
	if want := "an account credit of 25.05 GBP, a refund of 10.00 EUR and a voucher of 500 JPY"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
