package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

var (
	at  = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	pol = domain.Policy{
		Routing: domain.Routing{Version: "r1+aaaaaaaaaaaa", Rules: []domain.RoutingRule{
			{ID: "network-products", Products: []string{"broadband", "tv"}, Team: "network-support"},
			{ID: "billing-products", Products: []string{"billing"}, Team: "billing"},
		}, Default: domain.RoutingRule{ID: "default-team", Team: "customer-care"}},
		Contacts: domain.Contacts{Version: "c1+dddddddddddd", Default: domain.Contact{Route: "0800 000"}, Teams: map[string]domain.Contact{"billing": {Route: "0800 222"}}},
		Taxonomy: domain.Taxonomy{Version: "t1+bbbbbbbbbbbb", RootCauses: []domain.RootCause{
			{Code: "network.outage", Description: "The network failed", Category: "network"},
			{Code: "billing.incorrect-charge", Description: "Wrong amount charged"},
		}},
		Triage: domain.Triage{Version: "g1+cccccccccccc", MaxTier: 3,
			Default: domain.TriageRule{ID: "standard", Severity: "low", Priority: 4},
			Rules: []domain.TriageRule{
				{ID: "legal", Keywords: []string{"lawyer", "legal action"}, Flags: []string{"legal"}, Severity: "high", Priority: 2, Review: true},
				{ID: "large", MinDisputedAmountMinor: 100000, Flags: []string{"high-value"}, Severity: "medium", Priority: 3},
				{ID: "vulnerable", Vulnerable: true, Severity: "medium", Priority: 1},
				{ID: "payments", ProductCategories: []string{"payments"}, Flags: []string{"regulatory"}, Review: true},
			}},
		Templates: templates(),
	}
	decider = domain.NewDecider(pol)
)

func templates() *notify.Templates {
	l, err := policy.Load[notify.Templates]("", "templates")
	if err != nil {
		panic(err)
	}
	return &l.Value
}

const id = "0193e6a0-0000-7000-8000-000000000001"

func opened() *complaintsv1.CaseOpened {
	return &complaintsv1.CaseOpened{ComplaintId: id, Product: "broadband", Channel: "web", OpenedAt: timestamppb.New(at),
		CustomerId: "cust-1", Reference: "CMP-1", Regime: "uk-fca", DisputedAmountMinor: proto.Int64(0)}
}

func triaged() *complaintsv1.CaseTriaged {
	return &complaintsv1.CaseTriaged{ComplaintId: id, Severity: "low", Priority: 4, TriagedAt: timestamppb.New(at),
		DecidedBy: &complaintsv1.PolicyRef{Policy: "triage", Version: "g1+cccccccccccc", RuleId: "standard"}}
}

func routed() *complaintsv1.CaseAssigned {
	return &complaintsv1.CaseAssigned{ComplaintId: id, Team: "network-support", AssignedBy: domain.RoutingTableAssigner, AssignedAt: timestamppb.New(at),
		DecidedBy: &complaintsv1.PolicyRef{Policy: "routing", Version: "r1+aaaaaaaaaaaa", RuleId: "network-products"}}
}

func openCase(c domain.Complaint) domain.OpenCase {
	c.Product = "broadband"
	return domain.OpenCase{ComplaintID: id, CustomerID: "cust-1", Reference: "CMP-1", Regime: "uk-fca", Product: "broadband", Channel: "web", Complaint: c, At: at}
}

func events(t *testing.T, o *decidertest.Outcome[domain.Case, domain.CaseCommand]) []proto.Message {
	t.Helper()
	ev, err := o.Events()
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func notification(t *testing.T, m proto.Message, purpose, template string) *complaintsv1.NotificationRequested {
	t.Helper()
	n, ok := m.(*complaintsv1.NotificationRequested)
	if !ok || n.Purpose != purpose || n.Template != template || n.CustomerId != "cust-1" || n.ComplaintId != id || !strings.Contains(n.Subject+n.Text, "CMP-1") {
		t.Fatalf("notification %v, want %s (%s)", m, purpose, template)
	}
	return n
}

func TestAReceivedComplaintOpensACaseTriagedAndRoutedByProduct(t *testing.T) {
	decidertest.For(t, decider).
		When(openCase(domain.Complaint{Description: "my line is down"})).
		Then(opened(), triaged(), routed()).
		ThenState(func(t testing.TB, c domain.Case) {
			if c.Status != domain.Open || c.Team != "network-support" || c.Transfers != 0 || c.Tier != 1 || c.ReviewRequired {
				t.Errorf("state %+v", c)
			}
		})
}

func TestAProductWithoutARouteGoesToTheDefaultTeam(t *testing.T) {
	cmd := openCase(domain.Complaint{})
	cmd.Product = "pet insurance"
	events, err := decidertest.For(t, decider).When(cmd).Events()
	if err != nil {
		t.Fatal(err)
	}
	a := events[2].(*complaintsv1.CaseAssigned)
	if a.Team != "customer-care" || a.DecidedBy.GetRuleId() != "default-team" {
		t.Fatalf("routed to %q by %v, want the default team by its rule", a.Team, a.DecidedBy)
	}
}

func TestOpeningTwiceChangesNothing(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), triaged(), routed()).When(openCase(domain.Complaint{})).ThenNothing()
}

func TestTriageRules(t *testing.T) {
	cases := []struct {
		name      string
		complaint domain.Complaint
		want      *complaintsv1.CaseTriaged
	}{
		{"an ordinary complaint takes the default", domain.Complaint{Description: "the engineer never came"}, triaged()},
		{"a legal keyword flags legal and requires a review", domain.Complaint{Description: "My LAWYER will hear of this!"},
			&complaintsv1.CaseTriaged{Severity: "high", Priority: 2, Flags: []string{"legal"}, ReviewRequired: true, DecidedBy: &complaintsv1.PolicyRef{RuleId: "legal"}}},
		{"a phrase matches whole words only", domain.Complaint{Description: "I will take legal action"},
			&complaintsv1.CaseTriaged{Severity: "high", Priority: 2, Flags: []string{"legal"}, ReviewRequired: true, DecidedBy: &complaintsv1.PolicyRef{RuleId: "legal"}}},
		{"a word inside another word does not match", domain.Complaint{Description: "the lawyers' lounge... no: lawyerly"}, triaged()},
		{"a disputed amount over the threshold", domain.Complaint{DisputedAmountMinor: 100000},
			&complaintsv1.CaseTriaged{Severity: "medium", Priority: 3, Flags: []string{"high-value"}, DecidedBy: &complaintsv1.PolicyRef{RuleId: "large"}}},
		{"a disputed amount under it", domain.Complaint{DisputedAmountMinor: 99999}, triaged()},
		{"a vulnerable customer: flagged, most urgent", domain.Complaint{Vulnerable: true},
			&complaintsv1.CaseTriaged{Severity: "medium", Priority: 1, VulnerableCustomer: true, Flags: []string{"vulnerable"}, DecidedBy: &complaintsv1.PolicyRef{RuleId: "vulnerable"}}},
		{"a product category", domain.Complaint{ProductCategory: "payments"},
			&complaintsv1.CaseTriaged{Severity: "low", Priority: 4, Flags: []string{"regulatory"}, ReviewRequired: true, DecidedBy: &complaintsv1.PolicyRef{RuleId: "payments"}}},
		{"every matching rule applies: highest severity, most urgent priority, all flags",
			domain.Complaint{Description: "lawyer", DisputedAmountMinor: 500000, Vulnerable: true},
			&complaintsv1.CaseTriaged{Severity: "high", Priority: 1, VulnerableCustomer: true, Flags: []string{"high-value", "legal", "vulnerable"},
				ReviewRequired: true, DecidedBy: &complaintsv1.PolicyRef{RuleId: "legal,large,vulnerable"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := events(t, decidertest.For(t, decider).When(openCase(tc.complaint)))
			got := ev[1].(*complaintsv1.CaseTriaged)
			want := tc.want
			if got.Severity != want.Severity || got.Priority != want.Priority || got.VulnerableCustomer != want.VulnerableCustomer ||
				strings.Join(got.Flags, ",") != strings.Join(want.Flags, ",") || got.ReviewRequired != want.ReviewRequired ||
				got.DecidedBy.GetRuleId() != want.DecidedBy.GetRuleId() || got.DecidedBy.GetPolicy() != "triage" || got.DecidedBy.GetVersion() != "g1+cccccccccccc" {
				t.Fatalf("triaged %v, want %v", got, want)
			}
		})
	}
}

func TestTriagePolicyNamesEveryFieldInError(t *testing.T) {
	tr := domain.Triage{MaxTier: -1, Default: domain.TriageRule{Keywords: []string{"x"}}, Rules: []domain.TriageRule{
		{ID: "a", Severity: "dire", Priority: 7},
		{ID: "a", Keywords: []string{""}, MinDisputedAmountMinor: -1},
	}}
	err := tr.Validate()
	for _, want := range []string{
		"max_tier: must be at least 1",
		"default.id: is required",
		"default.severity: is required",
		"default.priority: must be 1 (most urgent) to 4",
		"default: the default applies when no rule does",
		`rules[0].severity: "dire" is not one of low, medium, high, critical`,
		"rules[0].priority: must be 1",
		"rules[0]: names no condition",
		`rules[1].id: "a" is already the id of rules[0]`,
		"rules[1].keywords[0]: has no letter or digit",
		"rules[1].min_disputed_amount_minor: must not be negative",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := pol.Triage.Validate(); err != nil {
		t.Errorf("valid triage refused: %v", err)
	}
}

func TestAssigningToAnotherTeamIsATransferWithAReason(t *testing.T) {
	o := decidertest.For(t, decider).Given(opened(), triaged(), routed()).
		When(domain.AssignCase{Team: "billing", Reason: "it is a billing error", By: "agent:agent-7", At: at})
	o.Then(
		&complaintsv1.CaseTransferred{ComplaintId: id, FromTeam: "network-support", ToTeam: "billing", Reason: "it is a billing error",
			TransferredBy: "agent:agent-7", TransferredAt: timestamppb.New(at), Transfers: 1},
		&complaintsv1.CaseAssigned{ComplaintId: id, Team: "billing", AssignedBy: "agent:agent-7", AssignedAt: timestamppb.New(at)},
	).ThenState(func(t testing.TB, c domain.Case) {
		if c.Team != "billing" || c.Transfers != 1 || c.Status != domain.Open {
			t.Errorf("state %+v", c)
		}
	})
}

func TestATransferWithoutAReasonIsUnspecified(t *testing.T) {
	ev := events(t, decidertest.For(t, decider).Given(opened(), triaged(), routed()).When(domain.AssignCase{Team: "billing", At: at}))
	if tr := ev[0].(*complaintsv1.CaseTransferred); tr.Reason != domain.DefaultTransferReason {
		t.Fatalf("reason %q", tr.Reason)
	}
}

func TestAssigningAnAgentTellsTheCustomerWhoOwnsTheComplaintAndHowToReachThem(t *testing.T) {
	o := decidertest.For(t, decider).Given(opened(), triaged(), routed()).
		When(domain.AssignCase{Team: "billing", Agent: "agent-7", DisplayName: "Sam", By: "agent:lead", At: at})
	ev := events(t, o)
	if len(ev) != 3 {
		t.Fatalf("events %v", ev)
	}
	a := ev[1].(*complaintsv1.CaseAssigned)
	if a.Agent != "agent-7" || a.AgentDisplayName != "Sam" {
		t.Fatalf("assigned %v", a)
	}
	n := notification(t, ev[2], notify.CaseOwner, "case-owner")
	if !strings.Contains(n.Text, "Sam") || !strings.Contains(n.Text, "0800 222") || n.NotificationId != id+":case-owner:1" {
		t.Fatalf("case-owner message %v", n)
	}
	o.ThenState(func(t testing.TB, c domain.Case) {
		if c.Agent != "agent-7" || c.Owners != 1 || c.Transfers != 1 {
			t.Errorf("state %+v", c)
		}
	})
}

func TestAssigningAnAgentWithoutANameGivesThePolicysName(t *testing.T) {
	ev := events(t, given2(t).When(domain.AssignCase{Team: "network-support", Agent: "agent-7", At: at}))
	if len(ev) != 2 || ev[0].(*complaintsv1.CaseAssigned).AgentDisplayName != "Your case handler" {
		t.Fatalf("events %v", ev)
	}
	if n := notification(t, ev[1], notify.CaseOwner, "case-owner"); !strings.Contains(n.Text, "0800 000") {
		t.Fatalf("default contact route missing: %s", n.Text)
	}
}

func given2(t *testing.T, more ...proto.Message) *decidertest.Spec[domain.Case, domain.CaseCommand] {
	return decidertest.For(t, decider).Given(append([]proto.Message{opened(), triaged(), routed()}, more...)...)
}

func TestContactsPolicyNamesEveryFieldInError(t *testing.T) {
	c := domain.Contacts{Teams: map[string]domain.Contact{"billing": {}}}
	err := c.Validate()
	for _, want := range []string{"default.route: is required", "teams.billing: sets neither route nor agent_display_name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := pol.Contacts.Validate(); err != nil {
		t.Errorf("valid contacts refused: %v", err)
	}
}

func TestAssigningToTheSameTeamAndAgentChangesNothing(t *testing.T) {
	given2(t).When(domain.AssignCase{Team: "network-support", At: at}).ThenNothing()
	claimed := &complaintsv1.CaseClaimed{ComplaintId: id, Agent: "agent-7"}
	given2(t, claimed).When(domain.AssignCase{Team: "network-support", Agent: "agent-7", At: at}).ThenNothing()
}

func TestAssignmentNeedsAnOpenCaseAndATeam(t *testing.T) {
	decidertest.For(t, decider).When(domain.AssignCase{Team: "billing", At: at}).ThenError(domain.ErrCaseNotOpen)
	given2(t).When(domain.AssignCase{At: at}).ThenError(domain.ErrTeamRequired)
}

func TestClaimingTakesTheCaseAndTellsTheCustomer(t *testing.T) {
	o := given2(t).When(domain.ClaimCase{Agent: "agent-7", DisplayName: "Sam from Network", At: at})
	ev := events(t, o)
	if c := ev[0].(*complaintsv1.CaseClaimed); c.Agent != "agent-7" || c.AgentDisplayName != "Sam from Network" {
		t.Fatalf("claimed %v", c)
	}
	notification(t, ev[1], notify.CaseOwner, "case-owner")
	claimed := ev[0]
	given2(t, claimed).When(domain.ClaimCase{Agent: "agent-7", At: at}).ThenNothing()
	given2(t, claimed).When(domain.ClaimCase{Agent: "agent-8", At: at}).ThenError(domain.ErrClaimedByAnother)
	given2(t).When(domain.ClaimCase{At: at}).ThenError(domain.ErrAgentRequired)
	given2(t, resolved(1)).When(domain.ClaimCase{Agent: "agent-8", At: at}).ThenError(domain.ErrResolvedCaseChanged)
}

func TestEscalationGoesATierUpToThePolicysTop(t *testing.T) {
	given2(t).When(domain.EscalateCase{Reason: "customer in distress", By: "agent:agent-7", At: at}).
		Then(&complaintsv1.CaseEscalated{ComplaintId: id, Tier: 2, Reason: "customer in distress", EscalatedBy: "agent:agent-7", EscalatedAt: timestamppb.New(at)})
	top := &complaintsv1.CaseEscalated{ComplaintId: id, Tier: 3}
	given2(t, top).When(domain.EscalateCase{Reason: "again", At: at}).ThenError(domain.ErrTopTier)
	given2(t).When(domain.EscalateCase{At: at}).ThenError(domain.ErrEscalationUnexplained)
	given2(t, resolved(1)).When(domain.EscalateCase{Reason: "x", At: at}).ThenError(domain.ErrResolvedCaseChanged)
}

func TestABreachedClockEscalatesUnlessResolvedOrAtTheTop(t *testing.T) {
	given2(t).When(domain.EscalateCase{Clock: "final-response", By: "system:resolution", At: at}).
		Then(&complaintsv1.CaseEscalated{ComplaintId: id, Tier: 2, Reason: "the final-response clock breached", Clock: "final-response",
			EscalatedBy: "system:resolution", EscalatedAt: timestamppb.New(at)})
	given2(t, resolved(1)).When(domain.EscalateCase{Clock: "final-response", At: at}).ThenNothing()
	given2(t, &complaintsv1.CaseEscalated{ComplaintId: id, Tier: 3}).When(domain.EscalateCase{Clock: "final-response", At: at}).ThenNothing()
}

func TestAClosingWindowEscalatesNothing(t *testing.T) {
	given2(t).When(domain.EscalateCase{Clock: "summary-resolution", Window: true, By: "system:resolution", At: at}).ThenNothing()
	given2(t, resolved(1)).When(domain.EscalateCase{Clock: "summary-resolution", Window: true, At: at}).ThenNothing()
}

func reviewRequired() *complaintsv1.CaseTriaged {
	t := triaged()
	t.Flags, t.ReviewRequired, t.Severity, t.Priority = []string{"legal"}, true, "high", 2
	return t
}

func TestAFlaggedCaseIsResolvedOnlyAfterItsReview(t *testing.T) {
	flagged := decidertest.For(t, decider).Given(opened(), reviewRequired(), routed())
	flagged.When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).ThenError(domain.ErrReviewPending)
	reviewed := &complaintsv1.CaseReviewed{ComplaintId: id, Reviewer: "approver-1", Notes: "ok", ReviewedAt: timestamppb.New(at)}
	decidertest.For(t, decider).Given(opened(), reviewRequired(), routed()).
		When(domain.ReviewCase{Reviewer: "approver-1", Notes: "ok", At: at}).Then(reviewed)
	decidertest.For(t, decider).Given(opened(), reviewRequired(), routed(), reviewed).
		When(domain.ReviewCase{Reviewer: "approver-2", At: at}).ThenNothing()
	ev := events(t, decidertest.For(t, decider).Given(opened(), reviewRequired(), routed(), reviewed).
		When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")))
	if _, ok := ev[0].(*complaintsv1.CaseResolved); !ok {
		t.Fatalf("events %v", ev)
	}
	given2(t).When(domain.ReviewCase{Reviewer: "approver-1", At: at}).ThenError(domain.ErrNoReviewRequired)
	flagged.When(domain.ReviewCase{At: at}).ThenError(domain.ErrReviewerRequired)
}

func asked(n int32, rid string) *complaintsv1.InformationRequested {
	return &complaintsv1.InformationRequested{ComplaintId: id, RequestId: rid, Question: "Which address?", RequestedBy: "agent:agent-7",
		RequestedAt: timestamppb.New(at), InformationRequests: n}
}

func TestAnInformationRequestAsksTheCustomerAndWaits(t *testing.T) {
	o := given2(t).When(domain.RequestInformation{RequestID: "r1", Question: "Which address?", By: "agent:agent-7", At: at})
	ev := events(t, o)
	if !proto.Equal(ev[0], asked(1, "r1")) {
		t.Fatalf("asked %v", ev[0])
	}
	if n := notification(t, ev[1], notify.InformationRequest, "information-request"); !strings.Contains(n.Text, "Which address?") {
		t.Fatalf("message %v", n)
	}
	o.ThenState(func(t testing.TB, c domain.Case) {
		if r, ok := c.OpenRequest(); c.Status != domain.AwaitingCustomer || !ok || r.ID != "r1" {
			t.Errorf("state %+v", c)
		}
	})
	given2(t, asked(1, "r1")).When(domain.RequestInformation{RequestID: "r1", Question: "Which address?", At: at}).ThenNothing()
	given2(t, asked(1, "r1")).When(domain.RequestInformation{RequestID: "r2", Question: "And?", At: at}).ThenError(domain.ErrRequestOpen)
	given2(t).When(domain.RequestInformation{RequestID: "r1", Question: " ", At: at}).ThenError(domain.ErrQuestionRequired)
	given2(t, resolved(1)).When(domain.RequestInformation{RequestID: "r1", Question: "?", At: at}).ThenError(domain.ErrResolvedCaseChanged)
}

func TestTheCustomersAnswerResumesTheCase(t *testing.T) {
	answered := &complaintsv1.InformationProvided{ComplaintId: id, RequestId: "r1", Answer: "12 High St", Channel: "web", ProvidedAt: timestamppb.New(at)}
	given2(t, asked(1, "r1")).When(domain.ProvideInformation{RequestID: "r1", Answer: "12 High St", Channel: "web", At: at}).
		Then(answered).
		ThenState(func(t testing.TB, c domain.Case) {
			if _, open := c.OpenRequest(); c.Status != domain.Open || open {
				t.Errorf("state %+v", c)
			}
		})
	given2(t, asked(1, "r1"), answered).When(domain.ProvideInformation{RequestID: "r1", Answer: "12 High St", At: at}).ThenNothing()
	given2(t, asked(1, "r1"), answered).When(domain.ProvideInformation{RequestID: "r1", Answer: "other", At: at}).ThenError(domain.ErrRequestAnswered)
	given2(t, asked(1, "r1")).When(domain.ProvideInformation{RequestID: "r9", Answer: "x", At: at}).ThenError(domain.ErrUnknownRequest)
	given2(t, asked(1, "r1")).When(domain.ProvideInformation{RequestID: "r1", At: at}).ThenError(domain.ErrAnswerRequired)
}

func TestTheFirstHumanContactIsMarked(t *testing.T) {
	contacted := &complaintsv1.CustomerContacted{ComplaintId: id, Agent: "agent-7", Channel: "phone", Summary: "called", ContactedAt: timestamppb.New(at), FirstHumanContact: true}
	given2(t).When(domain.RecordContact{Agent: "agent-7", Channel: "phone", Summary: "called", At: at}).Then(contacted)
	ev := events(t, given2(t, contacted).When(domain.RecordContact{Agent: "agent-7", Channel: "email", At: at}))
	if ev[0].(*complaintsv1.CustomerContacted).FirstHumanContact {
		t.Fatal("a second contact is marked first")
	}
	given2(t).When(domain.RecordContact{Channel: "phone", At: at}).ThenError(domain.ErrAgentRequired)
	given2(t).When(domain.RecordContact{Agent: "a", At: at}).ThenError(domain.ErrChannelRequired)
}

func resolve(outcome complaintsv1.Outcome, cause string) domain.ResolveCase {
	return domain.ResolveCase{Outcome: outcome, RootCause: cause, Summary: "line fault fixed", Agent: "agent-7", At: at}
}

func resolved(round int32) *complaintsv1.CaseResolved {
	return &complaintsv1.CaseResolved{
		ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage",
		Summary: "line fault fixed", ResolvedBy: "agent-7", ResolvedAt: timestamppb.New(at), Product: "broadband",
		DecidedBy:              &complaintsv1.PolicyRef{Policy: "taxonomy", Version: "t1+bbbbbbbbbbbb", RuleId: "network.outage"},
		FirstContactResolution: round == 1, Team: "network-support", RootCauseCategory: "network", Resolution: round, SeverityPriority: 4,
		Reference: "CMP-1", CustomerId: "cust-1", DisputedAmountMinor: proto.Int64(0),
	}
}

func TestTheAmountInDisputeTravelsFromTheOpeningToTheResolution(t *testing.T) {
	cmd := openCase(domain.Complaint{DisputedAmountMinor: 12000})
	cmd.DisputedCurrency = "GBP"
	o := decidertest.For(t, decider).Given().When(cmd)
	if got := events(t, o)[0].(*complaintsv1.CaseOpened); got.GetDisputedAmountMinor() != 12000 || got.DisputedCurrency != "GBP" {
		t.Fatalf("opened %v, want the amount in dispute 12000 GBP", got)
	}
	withAmount := opened()
	withAmount.DisputedAmountMinor, withAmount.DisputedCurrency = proto.Int64(12000), "GBP"
	o = decidertest.For(t, decider).Given(withAmount, triaged(), routed()).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage"))
	want := resolved(1)
	want.DisputedAmountMinor, want.DisputedCurrency = proto.Int64(12000), "GBP"
	if got := events(t, o)[0]; !proto.Equal(got, want) {
		t.Fatalf("resolved %v\nwant %v", got, want)
	}
	// A case opened before its opening carried the amount does not claim
	// to know it: redress then reads it from the complaint's receipt.
	legacy := opened()
	legacy.DisputedAmountMinor = nil
	o = decidertest.For(t, decider).Given(legacy, triaged(), routed()).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage"))
	if got := events(t, o)[0].(*complaintsv1.CaseResolved); got.DisputedAmountMinor != nil {
		t.Fatalf("resolved %v claims an amount in dispute its case never knew", got)
	}
}

func TestResolvingRecordsOutcomeRootCauseAndSendsTheRegimesFinalResponse(t *testing.T) {
	o := given2(t).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage"))
	ev := events(t, o)
	if !proto.Equal(ev[0], resolved(1)) {
		t.Fatalf("resolved %v\nwant %v", ev[0], resolved(1))
	}
	if n := notification(t, ev[1], notify.FinalResponse, "final-response.uk-fca"); n.NotificationId != id+":final-response:resolution-1" {
		t.Fatalf("final response %v", n)
	}
	o.ThenState(func(t testing.TB, c domain.Case) {
		if c.Status != domain.Resolved || c.RootCause != "network.outage" || c.Resolutions != 1 || c.ResolvedTeam != "network-support" {
			t.Errorf("state %+v", c)
		}
	})
}

func TestARootCauseWithoutACategoryTakesItsArea(t *testing.T) {
	ev := events(t, given2(t).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "billing.incorrect-charge")))
	if c := ev[0].(*complaintsv1.CaseResolved).RootCauseCategory; c != "billing" {
		t.Fatalf("category %q", c)
	}
}

func TestFirstContactResolutionIsDerived(t *testing.T) {
	fcr := func(t *testing.T, history ...proto.Message) bool {
		ev := events(t, given2(t, history...).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")))
		return ev[0].(*complaintsv1.CaseResolved).FirstContactResolution
	}
	contact := &complaintsv1.CustomerContacted{ComplaintId: id, Agent: "a", Channel: "phone", FirstHumanContact: true}
	if !fcr(t) || !fcr(t, contact) {
		t.Error("resolved at once, or at the first contact, is not first-contact resolution")
	}
	for name, history := range map[string][]proto.Message{
		"transfer":            {&complaintsv1.CaseTransferred{ComplaintId: id, ToTeam: "billing", Transfers: 1}, &complaintsv1.CaseAssigned{ComplaintId: id, Team: "billing"}},
		"information request": {asked(1, "r1")},
		"escalation":          {&complaintsv1.CaseEscalated{ComplaintId: id, Tier: 2}},
		"second contact":      {contact, contact},
		"reopen":              {resolved(1), reopened(1)},
	} {
		if fcr(t, history...) {
			t.Errorf("after a %s: first-contact resolution", name)
		}
	}
}

func TestResolutionRules(t *testing.T) {
	decidertest.For(t, decider).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).ThenError(domain.ErrCaseNotOpen)
	given2(t).When(resolve(complaintsv1.Outcome_OUTCOME_UNSPECIFIED, "network.outage")).ThenError(domain.ErrOutcomeRequired)
	given2(t).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "the-engineer-was-lazy")).ThenError(domain.ErrUnknownRootCause)
	given2(t, resolved(1)).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).ThenNothing()
	given2(t, resolved(1)).When(resolve(complaintsv1.Outcome_OUTCOME_REJECTED, "network.outage")).ThenError(domain.ErrAlreadyResolved)
	given2(t, resolved(1)).When(domain.AssignCase{Team: "billing", At: at}).ThenError(domain.ErrResolvedCaseMoved)
}

func reopened(n int32) *complaintsv1.CaseReopened {
	return &complaintsv1.CaseReopened{ComplaintId: id, Reason: "still broken", ReopenedBy: "customer:cust-1", Team: "network-support",
		ReopenedAt: timestamppb.New(at), Reopens: n}
}

func TestReopeningGoesBackToTheTeamThatResolvedIt(t *testing.T) {
	o := given2(t, resolved(1)).When(domain.ReopenCase{Reason: "still broken", By: "customer:cust-1", At: at})
	ev := events(t, o)
	if !proto.Equal(ev[0], reopened(1)) {
		t.Fatalf("reopened %v", ev[0])
	}
	notification(t, ev[1], notify.Reopened, "reopened")
	o.ThenState(func(t testing.TB, c domain.Case) {
		if c.Status != domain.Reopened || c.Reopens != 1 || c.Team != "network-support" {
			t.Errorf("state %+v", c)
		}
	})
	// The second resolution is round 2, never first-contact.
	ev = events(t, given2(t, resolved(1), reopened(1)).When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")))
	if r := ev[0].(*complaintsv1.CaseResolved); r.Resolution != 2 || r.FirstContactResolution {
		t.Fatalf("second resolution %v", r)
	}
	if n := notification(t, ev[1], notify.FinalResponse, "final-response.uk-fca"); n.NotificationId != id+":final-response:resolution-2" {
		t.Fatalf("second final response %v", n)
	}
}

func TestReopenRules(t *testing.T) {
	given2(t).When(domain.ReopenCase{Reason: "x", By: "agent:a", At: at}).ThenError(domain.ErrNotResolved)
	given2(t, resolved(1)).When(domain.ReopenCase{By: "agent:a", At: at}).ThenError(domain.ErrReasonRequired)
	given2(t, resolved(1)).When(domain.ReopenCase{Reason: "x", By: "customer:c", Closed: true, At: at}).ThenError(domain.ErrComplaintClosed)
}

func TestANotResolvedSurveyAnswerReopensOnceAndOnlyForTheCurrentResolution(t *testing.T) {
	survey := domain.ReopenCase{Reason: "still slow", By: domain.SurveyReopener, Resolution: 1, At: at}
	ev := events(t, given2(t, resolved(1)).When(survey))
	if r := ev[0].(*complaintsv1.CaseReopened); r.ReopenedBy != domain.SurveyReopener || r.Reason != "still slow" {
		t.Fatalf("reopened %v", r)
	}
	given2(t, resolved(1), reopened(1)).When(survey).ThenNothing()
	stale := survey
	stale.Resolution = 1
	given2(t, resolved(1), reopened(1), resolved(2)).When(stale).ThenNothing()
}

func TestOldTransfersWithoutAReasonAreStillCounted(t *testing.T) {
	given2(t, &complaintsv1.CaseAssigned{ComplaintId: id, Team: "billing"}).
		When(domain.AssignCase{Team: "billing", At: at}).ThenNothing().
		ThenState(func(t testing.TB, c domain.Case) {
			if c.Transfers != 1 {
				t.Errorf("transfers %d", c.Transfers)
			}
		})
}

func TestRoutingPolicyNamesEveryFieldInError(t *testing.T) {
	r := domain.Routing{Rules: []domain.RoutingRule{
		{ID: "a", Products: []string{"tv"}, Team: "x"},
		{ID: "a", Products: []string{"tv", ""}},
		{Team: "y"},
	}, Default: domain.RoutingRule{Products: []string{"z"}, Team: "d"}}
	err := r.Validate()
	for _, want := range []string{
		`rules[1].id: "a" is already the id of rules[0]`,
		"rules[1].team: is required",
		`rules[1].products[0]: "tv" is already routed by rule "a"`,
		"rules[1].products[1]: is empty",
		"rules[2].id: is required",
		"rules[2].products: at least one product is required",
		"default.id: is required",
		"default.products: the default rule takes every other product",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := pol.Routing.Validate(); err != nil {
		t.Errorf("valid routing refused: %v", err)
	}
}

func TestTaxonomyPolicyNamesEveryFieldInError(t *testing.T) {
	tx := domain.Taxonomy{RootCauses: []domain.RootCause{{Code: "a.b", Description: "x"}, {Code: "a.b"}, {Description: "y"}}}
	err := tx.Validate()
	for _, want := range []string{
		`root_causes[1].code: "a.b" is listed twice`,
		"root_causes[1].description: is required",
		"root_causes[2].code: is required",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := (&domain.Taxonomy{}).Validate(); err == nil {
		t.Error("an empty taxonomy was accepted")
	}
}

// Evolve changes no memory an earlier state shares, so that a state kept
// in memory can be handed out and still be folded on.
func TestEvolveLeavesAnEarlierStateAsItWas(t *testing.T) {
	waiting := domain.Evolve(domain.Evolve(domain.Case{}, asked(1, "r1")), asked(2, "r2"))
	answered := domain.Evolve(waiting, &complaintsv1.InformationProvided{ComplaintId: id, RequestId: "r1", Answer: "12 High St", ProvidedAt: timestamppb.New(at)})
	resolved := domain.Evolve(answered, &complaintsv1.CaseResolved{ComplaintId: id, ResolvedAt: timestamppb.New(at)})
	if r := waiting.Requests[0]; r.Standing != domain.Waiting {
		t.Errorf("answering a request changed the state before it: %+v", r)
	}
	if r := answered.Requests[1]; r.Standing != domain.Waiting {
		t.Errorf("resolving changed the state before it: %+v", r)
	}
	if r := resolved.Requests; r[0].Standing != domain.Answered || r[1].Standing != domain.Withdrawn {
		t.Errorf("resolved state %+v, want the first answered and the second withdrawn", r)
	}
}
