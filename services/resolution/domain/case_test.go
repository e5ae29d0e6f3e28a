package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

var (
	at      = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	decider = domain.NewDecider(domain.DefaultPolicy())
)

const id = "0193e6a0-0000-7000-8000-000000000001"

func opened() *complaintsv1.CaseOpened {
	return &complaintsv1.CaseOpened{ComplaintId: id, Product: "broadband", Channel: "web", OpenedAt: timestamppb.New(at)}
}

func routed() *complaintsv1.CaseAssigned {
	return &complaintsv1.CaseAssigned{ComplaintId: id, Team: "network-support", AssignedBy: domain.RoutingTableAssigner, AssignedAt: timestamppb.New(at)}
}

func TestAReceivedComplaintOpensACaseRoutedByProduct(t *testing.T) {
	decidertest.For(t, decider).
		When(domain.OpenCase{ComplaintID: id, Product: "broadband", Channel: "web", At: at}).
		Then(opened(), routed())
}

func TestAProductWithoutARouteGoesToTheDefaultTeam(t *testing.T) {
	events, err := decidertest.For(t, decider).When(domain.OpenCase{ComplaintID: id, Product: "pet insurance", At: at}).Events()
	if err != nil {
		t.Fatal(err)
	}
	if got := events[1].(*complaintsv1.CaseAssigned).Team; got != "customer-care" {
		t.Fatalf("routed to %q, want the default team", got)
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
		Then(&complaintsv1.CaseAssigned{ComplaintId: id, Team: "billing", AssignedBy: "agent-7", AssignedAt: timestamppb.New(at)})
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
	}
}

func TestResolvingRecordsOutcomeAndRootCause(t *testing.T) {
	decidertest.For(t, decider).Given(opened(), routed()).
		When(resolve(complaintsv1.Outcome_OUTCOME_UPHELD, "network.outage")).
		Then(resolved())
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
