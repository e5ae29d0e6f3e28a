package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/system/web"
)

// fakeAPI serves the pages and, on the same address, the API paths given
// (their JSON answers as written), so a page is drawn from fixed input.
func fakeAPI(t *testing.T, answers map[string]func(*http.Request) any) string {
	t.Helper()
	dir := t.TempDir()
	data, _ := json.Marshal(map[auth.Role]string{auth.RoleApprover: "fake-approver", auth.RoleProcessOwner: "fake-owner"})
	if err := os.WriteFile(filepath.Join(dir, auth.DevTokensFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for path, answer := range answers {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(answer(r))
		})
	}
	web.New(web.Config{DevTokensFile: filepath.Join(dir, auth.DevTokensFile)}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// signedInAs is a browser signed in with the development sign-in as role.
func signedInAs(t *testing.T, base string, role auth.Role) *http.Client {
	t.Helper()
	hc := &http.Client{Jar: newJar()}
	_, page := fetch(t, hc, base+"/app/sign-in")
	parts := strings.SplitN(page, `name="csrf" value="`, 2)
	if len(parts) != 2 {
		t.Fatalf("the sign-in page has no CSRF token:\n%.400s", page)
	}
	resp, err := hc.PostForm(base+"/app/sign-in", url.Values{"csrf": {strings.SplitN(parts[1], `"`, 2)[0]}, "role": {string(role)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return hc
}

func fetch(t *testing.T, hc *http.Client, page string) (int, string) {
	t.Helper()
	resp, err := hc.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// between is the text of page from start up to and including end.
func between(t *testing.T, page, start, end string) string {
	t.Helper()
	i := strings.Index(page, start)
	if i < 0 {
		t.Fatalf("the page has no %q:\n%s", start, page)
	}
	j := strings.Index(page[i:], end)
	if j < 0 {
		t.Fatalf("the page has no %q after %q:\n%s", end, start, page)
	}
	return page[i : i+j+len(end)]
}

func TestTheApprovalsListShowsEachWaitingRedress(t *testing.T) {
	escalate := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	list := api.RedressAwaitingList{NextCursor: "c/2+3", Items: []api.RedressAwaiting{
		{ComplaintID: "cmp-1", Reference: "CMP-0001", Kind: "refund", TotalMinor: 12345, Currency: "GBP",
			DecidedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), ApprovalReason: "over_limit", ApproverRole: "approver",
			EscalateAt: &escalate, ResolvedBy: "agent-7"},
		{ComplaintID: "cmp-2", Kind: "distress_and_inconvenience", DecidedAt: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC),
			ResolvedBy: "dev-approver"},
		{ComplaintID: "cmp-<3>", Reference: "CMP-0003 & co", Kind: "goodwill-gesture", TotalMinor: -250, Currency: "EUR",
			ApprovalReason: "policy_requires", ApproverRole: "admin"},
	}}
	var asked url.Values
	base := fakeAPI(t, map[string]func(*http.Request) any{"/v1/redress": func(r *http.Request) any { asked = r.URL.Query(); return list }})
	status, page := fetch(t, signedInAs(t, base, auth.RoleApprover), base+"/app/approvals?cursor=c/1")
	if status != http.StatusOK {
		t.Fatalf("approvals: %d\n%s", status, page)
	}
	if asked.Get("cursor") != "c/1" || asked.Get("status") != "awaiting_approval" || asked.Get("limit") != "100" {
		t.Errorf("the page asked the API for %v", asked)
	}
	got := between(t, page, `<table id="awaiting">`, "More waiting redress</a></p>")
	if got != wantApprovals {
		t.Errorf("the list reads\n%s\nwant\n%s", got, wantApprovals)
	}
}

// wantApprovals is the list as the page drew it for the answer above.
const wantApprovals = `<table id="awaiting"><caption>Redress waiting for an approver, the longest waiting first. Four eyes: whoever resolved a case never approves its redress.</caption>
<thead><tr><th scope="col">Case</th><th scope="col">Kind</th><th scope="col">Total</th><th scope="col">Why it waits</th><th scope="col">Waits for</th><th scope="col">Proposed by</th><th scope="col">Decided</th></tr></thead><tbody>
<tr id="awaiting-cmp-1"><td><a href="/app/approvals/cmp-1">CMP-0001</a></td>
<td>refund</td><td>123.45 GBP</td><td>over limit</td>
<td>an approver, until Wed 4 Mar 2026, 09:30 UTC</td>
<td class="proposer">agent-7</td>
<td>Mon 2 Mar 2026, 09:30 UTC</td></tr>
<tr id="awaiting-cmp-2"><td><a href="/app/approvals/cmp-2">cmp-2</a></td>
<td>distress and inconvenience</td><td>—</td><td></td>
<td></td>
<td class="proposer">dev-approver <strong>(you: another approver decides)</strong></td>
<td>Tue 3 Mar 2026, 10:00 UTC</td></tr>
<tr id="awaiting-cmp-&lt;3&gt;"><td><a href="/app/approvals/cmp-%3c3%3e">CMP-0003 &amp; co</a></td>
<td>goodwill gesture</td><td>-2.50 EUR</td><td>policy requires</td>
<td>an admin</td>
<td class="proposer">not recorded</td>
<td></td></tr>
</tbody></table>
<p><a href="/app/approvals?cursor=c%2f2%2b3">More waiting redress</a></p>`
