package decidertest_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
)

// A counter that adds the command's amount, refusing negative amounts: the
// smallest decider that exercises every part of the kit.
type add int

var errNegative = errors.New("negative")

var counter = decider.Decider[int, add]{
	Initial: func() int { return 0 },
	Decide: func(c add, _ int) ([]proto.Message, error) {
		if c < 0 {
			return nil, errNegative
		}
		if c == 0 {
			return nil, nil
		}
		return []proto.Message{wrapperspb.Int64(int64(c))}, nil
	},
	Evolve: func(s int, e proto.Message) int { return s + int(e.(*wrapperspb.Int64Value).GetValue()) },
}

func TestSpecKit(t *testing.T) {
	decidertest.For(t, counter).Given(wrapperspb.Int64(2)).When(add(3)).
		Then(wrapperspb.Int64(3)).
		ThenStateEquals(5).
		ThenState(func(t testing.TB, s int) {
			if s != 5 {
				t.Errorf("state %d, want 5", s)
			}
		})
	decidertest.For(t, counter).Given(wrapperspb.Int64(2)).When(add(0)).ThenNothing().ThenStateEquals(2)
	decidertest.For(t, counter).When(add(-1)).ThenError(errNegative)
}

func TestRefusalsMatchThroughWrapping(t *testing.T) {
	declared := decider.Rejects("root_cause", "is not in the taxonomy")
	err := decider.Refusef(declared, "%q", "people.bad-agent")
	if !errors.Is(err, declared) {
		t.Fatal("errors.Is lost the declared refusal")
	}
	r, ok := decider.AsRefusal(err)
	if !ok || r.Kind != decider.Unacceptable || r.Field != "root_cause" {
		t.Fatalf("AsRefusal = %+v, %v", r, ok)
	}
	if _, ok := decider.AsRefusal(errors.New("disk full")); ok {
		t.Fatal("a plain error is not a refusal")
	}
}
