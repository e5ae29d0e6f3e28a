package web

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
)

// approvalPage is one complaint's redress as an approver decides it: the
// items, why it waits, who resolved the case and, when that is the
// signed-in person, that they may not decide it (four eyes, shown before
// the API refuses).
type approvalPage struct {
	ComplaintID string
	Redress     *api.Redress
	// OwnCase: the signed-in person resolved the case.
	OwnCase bool
	// MayDecide: the redress waits, the person holds an approver's role
	// and did not resolve the case.
	MayDecide bool
	// Key makes a decision sent twice count once (Idempotency-Key).
	Key string
	// Waiting is the redress awaiting a decision, the longest waiting
	// first (the list page); NextCursor continues it.
	Waiting    []waitingRedress
	NextCursor string
}

// waitingRedress is one line of the list as it reads, each cell's words
// made once here: the template only places them (a field reached through
// an embedded struct, or a function called, on each of a hundred lines
// cost the page most of its time).
type waitingRedress struct {
	// ComplaintID links the line to the complaint's redress; Case is what
	// the link reads: the reference quoted to the customer, else the id.
	ComplaintID, Case string
	// Kind, Reason: the redress's kind and why it waits, in words; Total
	// its amount ("—" for none).
	Kind, Total, Reason string
	// WaitsFor: the approver's role and until when ("an approver, until
	// ...").
	WaitsFor string
	// Proposer resolved the case ("not recorded" if unknown); Own: that is
	// the signed-in person, so another approver decides.
	Proposer string
	Own      bool
	Decided  string
}

// waitingLine is the redress as the list shows it to subject.
func waitingLine(red api.RedressAwaiting, subject string) waitingRedress {
	l := waitingRedress{ComplaintID: red.ComplaintID, Case: red.Reference, Kind: label(red.Kind), Total: "—",
		Reason: label(red.ApprovalReason), Proposer: red.ResolvedBy, Own: red.ResolvedBy != "" && red.ResolvedBy == subject,
		Decided: when(red.DecidedAt)}
	if l.Case == "" {
		l.Case = red.ComplaintID
	}
	if red.TotalMinor != 0 {
		l.Total = money(red.TotalMinor, red.Currency)
	}
	if red.ApproverRole != "" {
		l.WaitsFor = "an " + red.ApproverRole
	}
	if red.EscalateAt != nil {
		l.WaitsFor += ", until " + when(*red.EscalateAt)
	}
	if l.Proposer == "" {
		l.Proposer = "not recorded"
	}
	return l
}

// approvals lists the redress awaiting a decision, with the case, kind,
// total and who proposed it; or finds one complaint's redress when the
// approver comes with its id (from the approval's notice or the case page).
func (s *Site) approvals(w http.ResponseWriter, r *http.Request, sess *session) {
	if id := strings.TrimSpace(r.URL.Query().Get("complaint")); id != "" {
		seeOther(w, r, "/app/approvals/"+esc(id))
		return
	}
	var list api.RedressAwaitingList
	path := "/v1/redress?status=awaiting_approval&limit=100"
	if c := r.URL.Query().Get("cursor"); c != "" {
		path += "&cursor=" + url.QueryEscape(c)
	}
	if err := s.caller(r, sess.token).get(r.Context(), path, &list); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	p := approvalPage{Waiting: make([]waitingRedress, 0, len(list.Items)), NextCursor: list.NextCursor}
	for _, red := range list.Items {
		p.Waiting = append(p.Waiting, waitingLine(red, sess.subject))
	}
	s.render(w, r, "approvals", http.StatusOK, sess, "Approvals", p)
}

func (s *Site) approval(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	p := approvalPage{ComplaintID: id, Redress: &api.Redress{}}
	if err := s.caller(r, sess.token).get(r.Context(), "/v1/redress/"+esc(id), p.Redress); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	p.OwnCase = p.Redress.ResolvedBy != "" && p.Redress.ResolvedBy == sess.subject
	approver := sess.has(auth.RoleApprover) || sess.has(auth.RoleAdmin)
	p.MayDecide = p.Redress.Status == "awaiting_approval" && approver && !p.OwnCase
	p.Key = rand.Text()
	s.render(w, r, "approvals", http.StatusOK, sess, "Redress of complaint "+id, p)
}

// decide approves or rejects (with a reason) the redress waiting.
func (s *Site) decide(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	decision := r.PostFormValue("decision")
	req := api.RedressApprovalRequest{Decision: decision, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	h := http.Header{}
	if key := r.PostFormValue("key"); key != "" {
		h.Set("Idempotency-Key", "web-approval-"+key)
	}
	if err := s.caller(r, sess.token).post(r.Context(), "/v1/redress/"+esc(id)+"/approval", req, h, nil); err != nil {
		s.apiProblem(w, r, sess, err)
		return
	}
	done := "approved"
	if decision == "reject" {
		done = "rejected"
	}
	seeOther(w, r, "/app/approvals/"+esc(id)+"?done="+done)
}
