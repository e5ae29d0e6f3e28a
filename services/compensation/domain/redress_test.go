package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
)

var (
	at      = time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	policy  = domain.DefaultPolicy()
	decider = domain.NewDecider(policy)
)

const id = "0193e6a0-0000-7000-8000-000000000002"

func decide(outcome complaintsv1.Outcome, product string) domain.DecideRedress {
	return domain.DecideRedress{ComplaintID: id, Outcome: outcome, Product: product, RootCause: "network.outage", At: at}
}

func TestUpheldBroadbandComplaintGetsAnAccountCreditIssuedAtOnce(t *testing.T) {
	decidertest.For(t, decider).
		When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "broadband")).
		Then(
			&complaintsv1.RedressDecided{ComplaintId: id, Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, AmountMinor: 2500,
				Currency: "GBP", PolicyRule: "upheld-broadband-credit", DecidedAt: timestamppb.New(at), Outcome: complaintsv1.Outcome_OUTCOME_UPHELD},
			&complaintsv1.RedressIssued{ComplaintId: id, IssueId: domain.IssueID(id), Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT,
				AmountMinor: 2500, Currency: "GBP", IssuedAt: timestamppb.New(at)},
		)
}

func TestTheFirstMatchingRuleWins(t *testing.T) {
	cases := []struct {
		outcome complaintsv1.Outcome
		product string
		rule    string
	}{
		{complaintsv1.Outcome_OUTCOME_UPHELD, "billing", "upheld-refund"},
		{complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD, "broadband", "partly-upheld-goodwill"},
		{complaintsv1.Outcome_OUTCOME_REJECTED, "broadband", "rejected-apology"},
	}
	for _, c := range cases {
		events, err := decidertest.For(t, decider).When(decide(c.outcome, c.product)).Events()
		if err != nil {
			t.Fatal(err)
		}
		if got := events[0].(*complaintsv1.RedressDecided).PolicyRule; got != c.rule {
			t.Errorf("%s %s: rule %q, want %q", c.outcome, c.product, got, c.rule)
		}
	}
}

func TestRedressAboveTheApprovalLimitIsDecidedButNotIssued(t *testing.T) {
	p := domain.Policy{AutoApproveLimitMinor: 1000, Rules: []domain.Rule{
		{ID: "big", Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, Product: "*", Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 50000, Currency: "GBP"},
	}}
	events, err := decidertest.For(t, domain.NewDecider(p)).When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "tv")).Events()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("decided %d events, want only RedressDecided awaiting approval", len(events))
	}
}

func TestRedressIsDecidedOnlyOnce(t *testing.T) {
	decidertest.For(t, decider).
		Given(&complaintsv1.RedressDecided{ComplaintId: id, Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 2000, PolicyRule: "upheld-refund"}).
		When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "billing")).
		ThenNothing()
}

func TestAResolutionWithoutARuleIsRefused(t *testing.T) {
	decidertest.For(t, domain.NewDecider(domain.Policy{})).
		When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "tv")).
		ThenError(domain.ErrNoRule)
}
