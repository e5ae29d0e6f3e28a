package adapters

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// Every refusal of the case decider reaches a caller as 404, 409 or 422:
// none is an internal error "safe to retry".
func TestEveryDomainRefusalAnswers4xx(t *testing.T) {
	for _, r := range domain.Refusals {
		for _, err := range []error{r, fmt.Errorf("%w: detail", r)} {
			p := httpx.ProblemFor(context.Background(), refused("x", err), "test")
			if p.Status != 404 && p.Status != 409 && p.Status != 422 {
				t.Errorf("%v answered %d", err, p.Status)
			}
		}
	}
}

func TestRefusalsNameTheirKind(t *testing.T) {
	for err, want := range map[error]int{
		domain.ErrCaseNotOpen:       404,
		domain.ErrUnknownRequest:    404,
		domain.ErrAlreadyResolved:   409,
		domain.ErrResolvedCaseMoved: 409,
		domain.ErrReviewPending:     409,
		domain.ErrComplaintClosed:   409,
		domain.ErrNotResolved:       409,
		domain.ErrUnknownRootCause:  422,
		domain.ErrOutcomeRequired:   422,
		domain.ErrTeamRequired:      422,
	} {
		if got := httpx.ProblemFor(context.Background(), refused("x", err), "test").Status; got != want {
			t.Errorf("%v answered %d, want %d", err, got, want)
		}
	}
	var p *httpx.Problem
	if !errors.As(refused("x", domain.ErrCaseNotOpen), &p) {
		t.Error("a case not open is not told as a problem")
	}
}
