package adapters

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// Every refusal of the case decider reaches a caller as 404, 409 or 422:
// none is an internal error "safe to retry". Team, outcome and root-cause
// refusals used to answer 500 when they got past the request's validation.
func TestEveryDomainRefusalAnswers4xx(t *testing.T) {
	for _, err := range []error{
		domain.ErrCaseNotOpen, domain.ErrAlreadyResolved, domain.ErrUnknownRootCause,
		domain.ErrOutcomeRequired, domain.ErrTeamRequired, domain.ErrResolvedCaseMoved,
		fmt.Errorf("%w: %q", domain.ErrUnknownRootCause, "lazy-engineer"),
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/v1/cases/x/resolution", nil)
		HTTP{}.reply(w, r, domain.Case{}, err)
		if w.Code < 400 || w.Code >= 500 {
			t.Errorf("%v answered %d", err, w.Code)
		}
		if w.Code == http.StatusInternalServerError {
			t.Errorf("%v answered as an internal error: %s", err, w.Body)
		}
	}
}

func TestRefusalsNameTheirKind(t *testing.T) {
	for err, want := range map[error]int{
		domain.ErrCaseNotOpen:       404,
		domain.ErrAlreadyResolved:   409,
		domain.ErrResolvedCaseMoved: 409,
		domain.ErrUnknownRootCause:  422,
		domain.ErrOutcomeRequired:   422,
		domain.ErrTeamRequired:      422,
	} {
		w := httptest.NewRecorder()
		HTTP{}.reply(w, httptest.NewRequest("POST", "/v1/cases/x/resolution", nil), domain.Case{}, err)
		if w.Code != want {
			t.Errorf("%v answered %d, want %d", err, w.Code, want)
		}
	}
	if len(domain.Refusals) != 6 {
		t.Errorf("the decider has %d refusals; list the new ones above", len(domain.Refusals))
	}
}
