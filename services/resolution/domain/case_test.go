package domain_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

var (
	at     = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	policy = domain.Policy{
		Routing: domain.Routing{Version: "r1+aaaaaaaaaaaa", Rules: []domain.RoutingRule{
			{ID: "network-products", Products: []string{"broadband", "tv"}, Team: "network-support"},
			{ID: "billing-products", Products: []string{"billing"}, Team: "billing"},
		}, Default: domain.RoutingRule{ID: "default-team", Team: "customer-care"}},
		Taxonomy: domain.Taxonomy{Version: "t1+bbbbbbbbbbbb", RootCauses: []domain.RootCause{
			{Code: "network.outage", Description: "The network failed"},
			{Code: "billing.incorrect-charge", Description: "Wrong amount charged"},
		}},
	}
	decider = domain.NewDecider(policy)
)

const id = "0193e6a0-0000-7000-8000-000000000001"

func opened() *complaintsv1.CaseOpened {
	return &complaintsv1.CaseOpened{ComplaintId: id, Product: "broadband", Channel: "web", OpenedAt: timestamppb.New(at)}
}

func routed() *complaintsv1.CaseAssigned {
	return &complaintsv1.CaseAssigned{ComplaintId: id, Team: "network-support", AssignedBy: domain.RoutingTableAssigner, AssignedAt: timestamppb.New(at),
		DecidedBy: &complaintsv1.PolicyRef{Policy: "routing", Version: "r1+aaaaaaaaaaaa", RuleId: "network-products"}}
}

func TestAReceivedComplaintOpensACaseRoutedByProduct(t *testing.T) {
	decidertest.For(t, decider).
		When(domain.OpenCase{ComplaintID: id, Product: "broadband", Channel: "web", At: at}).
		Then(opened(), routed()).
		ThenState(func(t testing.TB, c domain.Case) {
			if c.Status != domain.Open || c.Team != "network-support" || c.Transfers != 0 {
				t.Errorf("state %+v", c)
			}
		})
}

func TestAProductWithoutARouteGoesToTheDefaultTeam(t *testing.T) {
	events, err := decidertest.For(t, decider).When(domain.OpenCase{ComplaintID: id, Product: "pet insurance", At: at}).Events()
	if err != nil {
		t.Fatal(err)
	}
	a := events[1].(*complaintsv1.CaseAssigned)
	if a.Team != "customer-care" || a.DecidedBy.GetRuleId() != "default-team" {
		t.Fatalf("routed to %q by %v, want the default team by its rule", a.Team, a.DecidedBy)
	}
}

func TestOpeningTwiceChangesNothing(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed()).
		When(domain.OpenCase{ComplaintID: id, Product: "broadband", At: at}).
		ThenNothing()
}

func TestAssigningToAnotherTeamIsATransfer(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed()).
		When(domain.AssignCase{Team: "billing", Agent: "agent-7", At: at}).
		Then(&complaintsv1.CaseAssigned{ComplaintId: id, Team: "billing", AssignedBy: "agent-7", AssignedAt: timestamppb.New(at)}).
		ThenState(func(t testing.TB, c domain.Case) {
			if c.Team != "billing" || c.Transfers != 1 || c.Status != domain.Open {
				t.Errorf("state %+v", c)
			}
		})
}

func TestAssigningToTheSameTeamChangesNothing(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed()).
		When(domain.AssignCase{Team: "network-support", Agent: "agent-7", At: at}).
		ThenNothing()
}

func TestAssignmentNeedsAnOpenCaseAndATeam(t *testing.T) {
	decidertest.For(t, decider).When(domain.AssignCase{Team: "billing", At: at}).ThenError(domain.ErrCaseNotOpen)
	decidertest.For(t, decider).Given(opened(), routed()).When(domain.AssignCase{At: at}).ThenError(domain.ErrTeamRequired)
}

func resolve(outcome complaintsv1.Outcome, cause string) domain.ResolveCase {
	return domain.ResolveCase{Outcome: outcome, RootCause: cause, Summary: "line fault fixed", Agent: "agent-7", At: at}
}

func resolved() *complaintsv1.CaseResolved {
	return &complaintsv1.CaseResolved{
		ComplaintId: id, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage",
		Summary: "line fault fixed", ResolvedBy: "agent-7", ResolvedAt: timestamppb.New(at), Product: "broadband",
		DecidedBy: &complaintsv1.PolicyRef{Policy: "taxonomy", Version: "t1+bbbbbbbbbbbb"},
	}
}

func TestResolvingRecordsOutcomeAndRootCause(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed()).
		When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).
		Then(resolved()).
		ThenState(func(t testing.TB, c domain.Case) {
			if c.Status != domain.Resolved || c.RootCause != "network.outage" || c.Outcome != complaintsv1.Outcome_OUTCOME_UPHELD {
				t.Errorf("state %+v", c)
			}
		})
}

func TestResolutionRules(t *testing.T) {
	decidertest.For(t, decider).
		When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).
		ThenError(domain.ErrCaseNotOpen)
	decidertest.For(t, decider).Given(opened(), routed()).
		When(resolve(complaintsv1.Outcome_OUTCOME_UNSPECIFIED, "network.outage")).
		ThenError(domain.ErrOutcomeRequired)
	decidertest.For(t, decider).Given(opened(), routed()).
		When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "the-engineer-was-lazy")).
		ThenError(domain.ErrUnknownRootCause)
}

func TestResolvingAgainTheSameWayChangesNothing(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed(), resolved()).
		When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).
		ThenNothing()
}

func TestAResolvedCaseIsNotResolvedDifferentlyNorMoved(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed(), resolved()).
		When(resolve(complaintsv1.Outcome_OUTCOME_REJECTED, "network.outage")).
		ThenError(domain.ErrAlreadyResolved)
	decidertest.For(t, decider).Given(opened(), routed(), resolved()).
		When(domain.AssignCase{Team: "billing", At: at}).
		ThenError(domain.ErrResolvedCaseMoved)
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
	if err := policy.Routing.Validate(); err != nil {
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
