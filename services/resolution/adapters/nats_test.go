package adapters

import (
	"testing"
)

// A NATS request is the HTTP body with the complaint's id added: unknown
// fields are refused naming them, and the id is required.
func TestNATSRequestsAreDecodedStrictly(t *testing.T) {
	var claim natsClaim
	if p := decodeWithID([]byte(`{"id":"x","agent":"a-1","agent_display_name":"Sam"}`), &claim, &claim.ID); p != nil {
		t.Fatalf("a good claim: %v", p)
	}
	if claim.ID != "x" || claim.Agent != "a-1" || claim.AgentDisplayName != "Sam" {
		t.Fatalf("decoded %+v", claim)
	}
	for body, field := range map[string]string{
		`{"id":"x","request_id":"r","answer":"a","colour":"red"}`: "colour",
		`{"request_id":"r","answer":"a"}`:                         "id",
	} {
		var answer natsAnswer
		p := decodeWithID([]byte(body), &answer, &answer.ID)
		if p == nil || len(p.Errors) == 0 || p.Errors[0].Field != field {
			t.Errorf("%s: %v, want a problem naming %s", body, p, field)
		}
	}
}
