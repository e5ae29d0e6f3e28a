package resolution_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/resolution/app"
)

// doKey is do with an Idempotency-Key.
func (c *component) doKey(t *testing.T, method, path, token, key string, body any) response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode}
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// eventually polls GET path as an agent until ok holds.
func (c *component) eventually(t *testing.T, path string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var body map[string]any
	testkit.EventuallyNil(t, func() error {
		res := c.do(t, "GET", path, "agent-token", nil)
		if body = res.body; res.status != 200 || !ok(res.body) {
			return fmt.Errorf("GET %s never as expected: %d %v", path, res.status, res.body)
		}
		return nil
	})
	return body
}

func purposes(t *testing.T, c *component, id string) []string {
	t.Helper()
	_, msgs := c.caseEvents(t, id)
	var out []string
	for _, m := range msgs {
		if n, ok := m.(*complaintsv1.NotificationRequested); ok {
			out = append(out, n.Template)
		}
	}
	return out
}

func TestAFlaggedCaseIsResolvedOnlyAfterAnApproversReview(t *testing.T) {
	c := start(t, "")
	id := c.receiveComplaint(t, &complaintsv1.ComplaintReceived{Product: "billing", Description: "My solicitor says this is unlawful", Regime: "uk-fca"})
	res := c.do(t, "GET", "/v1/cases/"+id, "agent-token", nil)
	if flags, _ := res.body["flags"].([]any); res.body["review_required"] != true || len(flags) != 1 || flags[0] != "legal" || res.body["severity"] != "high" {
		t.Fatalf("triaged %v", res.body)
	}
	resolve := map[string]any{"outcome": "upheld", "root_cause": "billing.incorrect-charge", "summary": "refunded"}
	if res := c.do(t, "POST", "/v1/cases/"+id+"/resolution", "agent-token", resolve); res.status != 409 {
		t.Fatalf("resolved before the review: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", "/v1/cases/"+id+"/review", "agent-token", map[string]any{}); res.status != 403 {
		t.Fatalf("an agent reviewed: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", "/v1/cases/"+id+"/review", "approver-token", map[string]any{"notes": "wording checked"}); res.status != 200 || res.body["reviewed"] != true {
		t.Fatalf("review: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", "/v1/cases/"+id+"/resolution", "agent-token", resolve); res.status != 200 || res.body["status"] != "resolved" {
		t.Fatalf("resolve after the review: %d %v", res.status, res.body)
	}
	ordinary := c.receive(t, "broadband")
	if res := c.do(t, "POST", "/v1/cases/"+ordinary+"/review", "approver-token", map[string]any{}); res.status != 409 {
		t.Fatalf("review of an ordinary case: %d %v", res.status, res.body)
	}
}

func TestACaseClaimedAskedAnsweredContactedResolvedAndReopened(t *testing.T) {
	c := start(t, "")
	id := c.receive(t, "broadband")
	other := c.receive(t, "broadband")
	path := "/v1/cases/" + id

	if res := c.do(t, "POST", path+"/claim", "agent-token", map[string]any{"agent_display_name": "Sam"}); res.status != 200 ||
		res.body["agent"] != "agent-7" || res.body["agent_display_name"] != "Sam" {
		t.Fatalf("claim: %d %v", res.status, res.body)
	}
	ask := map[string]any{"question": "Which address?"}
	res := c.doKey(t, "POST", path+"/information-requests", "agent-token", "ask-1", ask)
	open, _ := res.body["open_information_request"].(map[string]any)
	if res.status != 201 || res.body["status"] != "awaiting_customer" || open == nil {
		t.Fatalf("information request: %d %v", res.status, res.body)
	}
	rid := open["request_id"].(string)
	if res := c.doKey(t, "POST", path+"/information-requests", "agent-token", "ask-1", ask); res.status != 201 ||
		len(res.body["information_requests"].([]any)) != 1 {
		t.Fatalf("retried information request: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/information-requests", "agent-token", map[string]any{"question": "And?"}); res.status != 409 {
		t.Fatalf("a second open request: %d %v", res.status, res.body)
	}
	answer := map[string]any{"answer": "12 High Street"}
	if res := c.do(t, "POST", path+"/information-requests/"+rid+"/answer", "customer-"+other, answer); res.status != 403 {
		t.Fatalf("another complaint's customer answered: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/information-requests/nope/answer", "customer-"+id, answer); res.status != 404 {
		t.Fatalf("answer to an unknown request: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/information-requests/"+rid+"/answer", "customer-"+id, answer); res.status != 200 || res.body["status"] != "open" {
		t.Fatalf("answer: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/contacts", "agent-token", map[string]any{"channel": "phone", "summary": "called back"}); res.status != 201 ||
		res.body["contacts"] != float64(1) || res.body["first_human_contact_at"] == nil {
		t.Fatalf("contact: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/contacts", "agent-token", map[string]any{"channel": "pigeon"}); res.status != 400 {
		t.Fatalf("contact by pigeon: %d %v", res.status, res.body)
	}
	resolve := map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "fixed"}
	if res := c.do(t, "POST", path+"/resolution", "agent-token", resolve); res.status != 200 || res.body["first_contact_resolution"] != false || res.body["resolution"] != float64(1) {
		t.Fatalf("resolve: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/reopen", "customer-"+id, map[string]any{}); res.status != 400 {
		t.Fatalf("reopen without a reason: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/reopen", "customer-"+id, map[string]any{"reason": "still down"}); res.status != 200 || res.body["status"] != "reopened" {
		t.Fatalf("reopen: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", path+"/resolution", "agent-token", resolve); res.status != 200 || res.body["resolution"] != float64(2) {
		t.Fatalf("resolve again: %d %v", res.status, res.body)
	}

	// The follow-up's "not resolved" reopens the second resolution.
	c.append(t, "followup", id, "followup", &complaintsv1.SurveyAnswered{ComplaintId: id, Resolved: false, Resolution: 2, Reason: "slow again"})
	c.eventually(t, path, func(b map[string]any) bool { return b["status"] == "reopened" && b["reopens"] == float64(2) })
	_, msgs := c.caseEvents(t, id)
	var reopens []*complaintsv1.CaseReopened
	for _, m := range msgs {
		if r, ok := m.(*complaintsv1.CaseReopened); ok {
			reopens = append(reopens, r)
		}
	}
	if len(reopens) != 2 || reopens[0].ReopenedBy != "customer:cust-1" || reopens[1].ReopenedBy != "system:followup" ||
		reopens[1].Reason != "slow again" || reopens[1].Team != "network-support" {
		t.Fatalf("reopens %v", reopens)
	}
	want := []string{"case-owner", "information-request", "final-response.uk-fca", "reopened", "final-response.uk-fca", "reopened"}
	if got := purposes(t, c, id); len(got) != len(want) {
		t.Fatalf("messages %v, want %v", got, want)
	}

	// A complaint follow-up has closed is not reopened.
	if res := c.do(t, "POST", path+"/resolution", "agent-token", resolve); res.status != 200 {
		t.Fatalf("resolve a third time: %d %v", res.status, res.body)
	}
	c.append(t, "followup", id, "followup", &complaintsv1.ComplaintClosed{ComplaintId: id, Reason: "customer-confirmed-resolved"})
	if res := c.do(t, "POST", path+"/reopen", "agent-token", map[string]any{"reason": "x"}); res.status != 409 {
		t.Fatalf("reopen after closure: %d %v", res.status, res.body)
	}
}

func TestABreachedClockEscalatesTheCase(t *testing.T) {
	c := start(t, "")
	id := c.receive(t, "tv")
	breach := &complaintsv1.ClockBreached{ComplaintId: id, Clock: "final-response", Due: timestamppb.Now(), BreachedAt: timestamppb.Now()}
	c.append(t, "clock", id, "resolution", breach)
	body := c.eventually(t, "/v1/cases/"+id, func(b map[string]any) bool { return b["tier"] == float64(2) })
	if body["escalations"] != float64(1) {
		t.Fatalf("escalated %v", body)
	}
	if res := c.do(t, "POST", "/v1/cases/"+id+"/escalation", "agent-token", map[string]any{"reason": "distress"}); res.status != 200 || res.body["tier"] != float64(3) {
		t.Fatalf("escalate: %d %v", res.status, res.body)
	}
	if res := c.do(t, "POST", "/v1/cases/"+id+"/escalation", "agent-token", map[string]any{"reason": "more"}); res.status != 409 {
		t.Fatalf("escalate past the top tier: %d %v", res.status, res.body)
	}
}

// A window clock (uk-fca summary resolution) that closes is an
// opportunity gone, not a deadline missed: its breach escalates nothing. The
// deadline breach appended after it shows that the consumer has read past it.
func TestAClosingWindowDoesNotEscalateTheCase(t *testing.T) {
	c := start(t, "")
	id := c.receive(t, "tv")
	window := &complaintsv1.ClockBreached{ComplaintId: id, Clock: "summary-resolution", Kind: complaintsv1.ClockKind_CLOCK_KIND_REGULATORY,
		Regime: "uk-fca", Window: true, Due: timestamppb.Now(), BreachedAt: timestamppb.Now()}
	c.append(t, "clock", id, "resolution", window)
	deadline := &complaintsv1.ClockBreached{ComplaintId: id, Clock: "final-response", Kind: complaintsv1.ClockKind_CLOCK_KIND_REGULATORY,
		Regime: "uk-fca", Due: timestamppb.Now(), BreachedAt: timestamppb.Now()}
	c.append(t, "clock", id, "resolution", deadline)
	escalations := func() []string {
		_, msgs := c.caseEvents(t, id)
		var out []string
		for _, m := range msgs {
			if e, ok := m.(*complaintsv1.CaseEscalated); ok {
				out = append(out, e.Clock)
			}
		}
		return out
	}
	escalated := escalations()
	for until := time.Now().Add(5 * time.Second); !slices.Contains(escalated, "final-response"); escalated = escalations() {
		if time.Now().After(until) {
			t.Fatalf("the final-response breach never escalated: %v", escalated)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(escalated) != 1 || escalated[0] != "final-response" {
		t.Fatalf("escalated for clocks %v, want only final-response", escalated)
	}
	if body := c.do(t, "GET", "/v1/cases/"+id, "agent-token", nil).body; body["tier"] != float64(2) || body["escalations"] != float64(1) {
		t.Fatalf("case after a closed window and a breach: %v", body)
	}
}

func TestAQueueIsFilteredSortedByDueTimeAndPaged(t *testing.T) {
	c := start(t, "")
	base := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second)
	var ids []string
	for i, hours := range []int{30, 10, 20} {
		id := c.receive(t, "broadband")
		ids = append(ids, id)
		c.append(t, "complaint", id, "intake", &complaintsv1.ComplaintAcknowledged{ComplaintId: id, RespondBy: timestamppb.New(base.Add(time.Duration(hours) * time.Hour))})
		if i == 0 {
			// The final-response clock's due time wins over the promise.
			c.append(t, "clock", id, "resolution", &complaintsv1.ClockStarted{ComplaintId: id, Clock: "final-response", Due: timestamppb.New(base)})
		}
	}
	vulnerable := c.receiveComplaint(t, &complaintsv1.ComplaintReceived{Product: "broadband", CustomerVulnerable: true, Regime: "uk-fca"})
	elsewhere := c.receive(t, "billing")
	want := []string{ids[0], ids[1], ids[2], vulnerable}
	order := func(b map[string]any) []string {
		var out []string
		for _, it := range b["items"].([]any) {
			out = append(out, it.(map[string]any)["complaint_id"].(string))
		}
		return out
	}
	c.eventually(t, "/v1/queues/network-support", func(b map[string]any) bool {
		got := order(b)
		return len(got) == 4 && got[0] == want[0] && got[1] == want[1] && got[2] == want[2] && got[3] == want[3]
	})
	// Pages of two.
	page := c.do(t, "GET", "/v1/queues/network-support?limit=2", "agent-token", nil)
	if got := order(page.body); len(got) != 2 || got[0] != want[0] || page.body["next_cursor"] == nil {
		t.Fatalf("first page %v", page.body)
	}
	page = c.do(t, "GET", "/v1/queues/network-support?limit=2&cursor="+page.body["next_cursor"].(string), "agent-token", nil)
	if got := order(page.body); len(got) != 2 || got[0] != want[2] || got[1] != want[3] || page.body["next_cursor"] != nil {
		t.Fatalf("second page %v", page.body)
	}
	// Filters.
	if got := order(c.do(t, "GET", "/v1/queues/network-support?flag=vulnerable", "agent-token", nil).body); len(got) != 1 || got[0] != vulnerable {
		t.Fatalf("vulnerable filter %v", got)
	}
	if got := order(c.do(t, "GET", "/v1/queues/network-support?priority=2", "agent-token", nil).body); len(got) != 1 || got[0] != vulnerable {
		t.Fatalf("priority filter %v", got)
	}
	c.do(t, "POST", "/v1/cases/"+ids[1]+"/claim", "agent-token", map[string]any{})
	c.do(t, "POST", "/v1/cases/"+ids[2]+"/information-requests", "agent-token", map[string]any{"question": "When?"})
	c.eventually(t, "/v1/queues/network-support?agent=agent-7", func(b map[string]any) bool {
		got := order(b)
		return len(got) == 1 && got[0] == ids[1]
	})
	c.eventually(t, "/v1/queues/network-support?status=awaiting_customer", func(b map[string]any) bool {
		got := order(b)
		return len(got) == 1 && got[0] == ids[2]
	})
	if got := order(c.do(t, "GET", "/v1/queues/network-support?unassigned=true", "agent-token", nil).body); len(got) != 3 {
		t.Fatalf("unassigned %v", got)
	}
	if got := order(c.do(t, "GET", "/v1/queues/billing", "agent-token", nil).body); len(got) != 1 || got[0] != elsewhere {
		t.Fatalf("billing queue %v", got)
	}
	// A resolved case leaves the queue.
	c.do(t, "POST", "/v1/cases/"+ids[0]+"/resolution", "agent-token", map[string]any{"outcome": "upheld", "root_cause": "network.outage"})
	c.eventually(t, "/v1/queues/network-support", func(b map[string]any) bool { return len(order(b)) == 3 })
	// A reopened case comes back with its due time, read again from the log.
	c.do(t, "POST", "/v1/cases/"+ids[0]+"/reopen", "agent-token", map[string]any{"reason": "not fixed"})
	back := c.eventually(t, "/v1/queues/network-support?status=reopened", func(b map[string]any) bool { return len(order(b)) == 1 })
	if it := back["items"].([]any)[0].(map[string]any); it["complaint_id"] != ids[0] || it["due"] != base.Format(time.RFC3339) || it["reopens"] != float64(1) {
		t.Fatalf("reopened row %v", it)
	}
	c.do(t, "POST", "/v1/cases/"+ids[0]+"/resolution", "agent-token", map[string]any{"outcome": "upheld", "root_cause": "network.outage"})
	c.eventually(t, "/v1/queues/network-support", func(b map[string]any) bool { return len(order(b)) == 3 })
	for _, bad := range []string{"?priority=9", "?status=closed", "?cursor=bm9wZQ", "?limit=0", "?unassigned=maybe"} {
		if res := c.do(t, "GET", "/v1/queues/network-support"+bad, "agent-token", nil); res.status != 400 {
			t.Errorf("%s: %d %v", bad, res.status, res.body)
		}
	}

	// The projection survives a restart through its snapshot.
	data, _, err := c.app.Queues().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := start(t, "")
	if err := restored.app.Queues().Restore(data); err != nil {
		t.Fatal(err)
	}
	page2, err := restored.app.Queue(appFilter("network-support"))
	if err != nil || len(page2.Rows) != 3 {
		t.Fatalf("restored queue %v, %v", page2, err)
	}

}

func appFilter(team string) app.QueueFilter { return app.QueueFilter{Team: team} }
