package adapters

import (
	"net/http"
	"strconv"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// list answers GET /v1/redress?status=awaiting_approval: what waits for an
// approver, from the projection every instance keeps.
func (h HTTP) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v httpx.Validator
	v.Check(q.Get("status") == domain.AwaitingApproval.String(), "status", "must be awaiting_approval: the redress waiting for an approver is the one list kept")
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= 500, "limit", "must be a whole number from 1 to 500")
		limit = n
	}
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	page, err := h.App.AwaitingApproval(r.Context(), q.Get("cursor"), limit)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := api.RedressAwaitingList{Items: make([]api.RedressAwaiting, 0, len(page.Redress)), NextCursor: page.NextCursor}
	for _, red := range page.Redress {
		out.Items = append(out.Items, AwaitingJSON(red))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// AwaitingJSON is the wire view of redress waiting for an approver.
func AwaitingJSON(red domain.AwaitingRedress) api.RedressAwaiting {
	total, cur := red.Total()
	out := api.RedressAwaiting{ComplaintID: red.ComplaintID, Reference: red.Reference, Resolution: red.Resolution,
		Status: domain.AwaitingApproval.String(), Kind: red.Kind(), TotalMinor: total, Currency: cur,
		Items: make([]api.RedressItem, 0, len(red.Items)), PolicyRule: red.PolicyRule, DecidedAt: red.DecidedAt,
		ApprovalReason: red.Reason, ApproverRole: red.ApproverRole, ResolvedBy: red.ResolvedBy}
	if red.Policy != "" || red.Version != "" {
		out.DecidedBy = &api.PolicyRef{Policy: red.Policy, Version: red.Version, RuleID: red.PolicyRule}
	}
	if !red.EscalateAt.IsZero() {
		t := red.EscalateAt
		out.EscalateAt = &t
	}
	for _, it := range red.Items {
		out.Items = append(out.Items, api.RedressItem{ItemID: it.ItemID, Kind: it.Kind, AmountMinor: it.AmountMinor, Currency: it.Currency,
			Category: it.Category, Relief: it.Relief, Goodwill: it.Goodwill, Basis: it.Basis, RuleID: it.RuleID})
	}
	return out
}
