package httpx

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/decider"
)

func TestEveryProblemSaysWhatToDoAndWhereToGetHelp(t *testing.T) {
	SetHelp("support@example.com")
	defer SetHelp("")
	w := httptest.NewRecorder()
	WriteProblem(w, httptest.NewRequest("POST", "/v1/x", nil), Invalid(FieldError{Field: "product", Detail: "is required"}))
	var got Problem
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Help != "support@example.com" || got.Action != actions[TypeValidation] || got.Errors[0].Field != "product" {
		t.Fatalf("got %+v", got)
	}
	// Over NATS, the problem comes from ProblemFor.
	p := ProblemFor(t.Context(), decider.Rejects("product", "is not in the product taxonomy"), "subject")
	if p.Action != actions[TypeUnacceptable] || p.Help != "support@example.com" {
		t.Fatalf("refusal: %+v", p)
	}
	p = ProblemFor(t.Context(), errors.New("boom"), "subject")
	if p.Action != actions[TypeInternal] {
		t.Fatalf("internal: %+v", p)
	}
	// A type without advice of its own gets the default; an action set by
	// its writer is kept.
	if p := (&Problem{Type: "https://example.com/other"}).Complete(); p.Action != DefaultAction {
		t.Fatalf("default: %+v", p)
	}
	if p := (&Problem{Type: TypeConflict, Action: "Claim the case first."}).Complete(); p.Action != "Claim the case first." {
		t.Fatalf("own action: %+v", p)
	}
	SetHelp("")
	if Help() != DefaultHelp {
		t.Fatalf("default help %q", Help())
	}
}
