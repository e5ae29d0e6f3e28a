package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
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

func decide(outcome complaintsv1.Outcome, product, cause string) domain.DecideRedress {
	return domain.DecideRedress{ComplaintID: id, Outcome: outcome, Product: product, RootCause: cause, At: at}
}

func TestUpheldBroadbandComplaintGetsAnAccountCreditIssuedAtOnce(t *testing.T) {
	p := defaultPolicy(t)
	decidertest.For(t, domain.NewDecider(p)).
		When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "broadband", "network.outage")).
		Then(
			&complaintsv1.RedressDecided{ComplaintId: id, Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT, AmountMinor: 2500,
				Currency: "GBP", PolicyRule: "upheld-broadband-credit", DecidedAt: timestamppb.New(at), Outcome: complaintsv1.Outcome_OUTCOME_UPHELD,
				DecidedBy: &complaintsv1.PolicyRef{Policy: "redress", Version: p.Version, RuleId: "upheld-broadband-credit"}},
			&complaintsv1.RedressIssued{ComplaintId: id, IssueId: domain.IssueID(id), Kind: complaintsv1.RedressKind_REDRESS_KIND_ACCOUNT_CREDIT,
				AmountMinor: 2500, Currency: "GBP", IssuedAt: timestamppb.New(at)},
		).
		ThenState(func(t testing.TB, r domain.Redress) {
			if r.Status != domain.Issued || r.IssueID != domain.IssueID(id) || r.DecidedBy.GetRuleId() != "upheld-broadband-credit" {
				t.Fatalf("state %+v, want issued under upheld-broadband-credit", r)
			}
		})
}

func TestTheFirstMatchingRuleWins(t *testing.T) {
	d := domain.NewDecider(defaultPolicy(t))
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
		events, err := decidertest.For(t, d).When(decide(c.outcome, c.product, "billing.error")).Events()
		if err != nil {
			t.Fatal(err)
		}
		if got := events[0].(*complaintsv1.RedressDecided).GetDecidedBy().GetRuleId(); got != c.rule {
			t.Errorf("%s %s: rule %q, want %q", c.outcome, c.product, got, c.rule)
		}
	}
}

func TestARuleCanBeForARootCauseOrAFamilyOfCauses(t *testing.T) {
	d := domain.NewDecider(parse(t, `version: "t"
auto_approve_limit_minor: 5000
rules:
  - {id: outage-distress, outcome: upheld, root_causes: [network.*], kind: distress_and_inconvenience, amount_minor: 3000, currency: GBP}
  - {id: late-voucher, outcome: upheld, root_causes: [delivery.late], kind: voucher, amount_minor: 500, currency: GBP}
  - {id: other, outcome: upheld, kind: apology}
`))
	for cause, rule := range map[string]string{"network.outage": "outage-distress", "network.slow": "outage-distress",
		"delivery.late": "late-voucher", "delivery.lost": "other", "networking.other": "other"} {
		decidertest.For(t, d).When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "tv", cause)).
			ThenState(func(t testing.TB, r domain.Redress) {
				if r.PolicyRule != rule {
					t.Errorf("cause %s: rule %q, want %q", cause, r.PolicyRule, rule)
				}
			})
	}
}

func TestRedressAboveTheApprovalLimitIsDecidedButNotIssued(t *testing.T) {
	d := domain.NewDecider(parse(t, `version: "t"
auto_approve_limit_minor: 1000
rules:
  - {id: big, outcome: upheld, kind: refund, amount_minor: 50000, currency: GBP}
`))
	decidertest.For(t, d).When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "tv", "billing.error")).
		ThenState(func(t testing.TB, r domain.Redress) {
			if r.Status != domain.AwaitingApproval || r.IssueID != "" || r.AmountMinor != 50000 {
				t.Fatalf("state %+v, want decided, awaiting approval, not issued", r)
			}
		})
}

func TestARuleMayHaveItsOwnApprovalLimit(t *testing.T) {
	d := domain.NewDecider(parse(t, `version: "t"
auto_approve_limit_minor: 10000
rules:
  - {id: distress, outcome: upheld, kind: distress_and_inconvenience, amount_minor: 500, currency: GBP, auto_approve_limit_minor: 0}
  - {id: small, outcome: partly_upheld, kind: voucher, amount_minor: 500, currency: GBP}
`))
	for outcome, want := range map[complaintsv1.Outcome]domain.Status{
		complaintsv1.Outcome_OUTCOME_UPHELD:        domain.AwaitingApproval,
		complaintsv1.Outcome_OUTCOME_PARTLY_UPHELD: domain.Issued,
	} {
		decidertest.For(t, d).When(decide(outcome, "tv", "billing.error")).
			ThenState(func(t testing.TB, r domain.Redress) {
				if r.Status != want {
					t.Errorf("%s: status %s, want %s", outcome, r.Status, want)
				}
			})
	}
}

func TestRedressIsDecidedOnlyOnce(t *testing.T) {
	decidertest.For(t, domain.NewDecider(defaultPolicy(t))).
		Given(&complaintsv1.RedressDecided{ComplaintId: id, Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 20000, PolicyRule: "upheld-refund"}).
		When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "billing", "billing.error")).
		ThenNothing()
}

func TestAResolutionWithoutARuleIsRefusedForGood(t *testing.T) {
	d := domain.NewDecider(parse(t, "version: \"t\"\nrules:\n  - {id: only-rejected, outcome: rejected, kind: apology}\n"))
	o := decidertest.For(t, d).When(decide(complaintsv1.Outcome_OUTCOME_UPHELD, "tv", "billing.error"))
	o.ThenError(domain.ErrNoRule)
	_, err := o.Events()
	if r, ok := decider.AsRefusal(err); !ok || r.Kind != decider.Unacceptable {
		t.Fatalf("error %v is not an Unacceptable refusal", err)
	}
}

func TestAPolicyFileWithMistakesNamesEachField(t *testing.T) {
	_, err := policy.Parse[domain.Policy](domain.PolicyName, "test", []byte(`version: "t"
auto_approve_limit_minor: -1
rules:
  - {id: a, outcome: upheld, kind: refund, amount_minor: 100}
  - {id: a, outcome: maybe, kind: cash, root_causes: ["net*work"], auto_approve_limit_minor: -5}
`))
	var pe *policy.Error
	if !errors.As(err, &pe) || pe.File != "redress.yaml" {
		t.Fatalf("got %v, want a policy.Error naming redress.yaml", err)
	}
	for _, want := range []string{"auto_approve_limit_minor", "rules[0].currency", "rules[1].id", "rules[1].outcome", "rules[1].kind", "rules[1].root_causes[0]", "rules[1].auto_approve_limit_minor"} {
		if !strings.Contains(err.Error(), "redress.yaml: "+want+":") {
			t.Errorf("no problem named %s in:\n%v", want, err)
		}
	}
}
