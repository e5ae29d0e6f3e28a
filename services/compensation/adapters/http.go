// Package adapters holds compensation's HTTP API (http.go), its NATS
// request/reply endpoint for payment confirmations (nats.go), its event and
// timer consumers (consumers.go) and the redress ledger projection
// (ledger.go).
package adapters

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// HTTP serves compensation's routes under /v1/redress, /v1/redress-policy,
// /v1/redress-budgets and /v1/reports/redress.
type HTTP struct{ App *app.Compensation }

// Roles that may read redress.
var readers = []auth.Role{auth.RoleAgent, auth.RoleApprover, auth.RoleAuditor}

// Confirmers may confirm issuances, over HTTP and NATS alike: the company's
// payment and voucher systems, and nothing else (ADR 0036). A wrong
// confirmation pays or withholds a customer's redress, so neither another
// company system nor an admin may record one.
var confirmers = []auth.Role{auth.RolePayments}

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/redress", auth.Require(h.list, append(readers, auth.RoleAdmin)...))
	mux.HandleFunc("GET /v1/redress/{id}", auth.Require(h.show, readers...))
	mux.HandleFunc("POST /v1/redress/{id}/approval", auth.Require(h.approval, auth.RoleApprover, auth.RoleAdmin))
	mux.HandleFunc("POST /v1/redress/{id}/issuances/{issuance_id}/confirmation", auth.Require(h.confirmation, confirmers...))
	mux.HandleFunc("GET /v1/redress-policy", auth.Require(h.policy, append(readers, auth.RoleProcessOwner, auth.RoleAdmin)...))
	mux.HandleFunc("GET /v1/redress-budgets", auth.Require(h.budgets, auth.RoleAgent, auth.RoleApprover, auth.RoleProcessOwner, auth.RoleAuditor, auth.RoleAdmin))
	mux.HandleFunc("GET /v1/reports/redress", auth.Require(h.report, auth.RoleProcessOwner, auth.RoleAuditor, auth.RoleApprover, auth.RoleAdmin))
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	red, err := h.App.Redress(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, RedressJSON(red))
}

// RedressJSON is the wire view of a redress.
func RedressJSON(red domain.Redress) api.Redress {
	out := api.Redress{ComplaintID: red.ComplaintID, Status: red.Status.String(), Resolution: red.Resolution,
		ApprovalReason: red.ApprovalReason, ApproverRole: red.ApproverRole, ApprovedBy: red.ApprovedBy,
		RejectReason: red.RejectReason, Items: []api.RedressItem{}, Issuances: []api.RedressIssuance{}}
	if d := red.Decided; d != nil {
		out.Kind, out.AmountMinor, out.Currency, out.PolicyRule = d.Kind.APIName(), d.AmountMinor, d.Currency, d.PolicyRule
		out.ApprovalRequired, out.ResolvedBy = d.ApprovalRequired, d.ResolvedBy
		if p := d.DecidedBy; p != nil {
			out.DecidedBy = &api.PolicyRef{Policy: p.Policy, Version: p.Version, RuleID: p.RuleId}
		}
	}
	if !red.EscalateAt.IsZero() && red.Status == domain.AwaitingApproval {
		t := red.EscalateAt
		out.EscalateAt = &t
	}
	for _, it := range red.Items {
		out.Items = append(out.Items, itemJSON(it))
	}
	out.TotalMinor, _ = domain.Total(red.Items)
	for _, id := range red.IssuanceOrder {
		is := red.Issuances[id]
		j := api.RedressIssuance{IssuanceID: is.ID, ItemID: is.Item.GetItemId(), Status: is.Status.String(), Attempt: is.Attempt,
			AmountMinor: is.Item.GetAmountMinor(), Currency: is.Item.GetCurrency(), Reason: is.Reason, ExternalReference: is.ExternalReference}
		if !is.RetryAt.IsZero() {
			t := is.RetryAt
			j.RetryAt = &t
		}
		if !is.IssuedAt.IsZero() {
			t := is.IssuedAt
			j.IssuedAt = &t
		}
		if is.Resolution == red.Resolution && is.Status == domain.Confirmed && out.IssueID == "" {
			out.IssueID = is.ID
		}
		out.Issuances = append(out.Issuances, j)
	}
	return out
}

func itemJSON(it *complaintsv1.RedressItem) api.RedressItem {
	return api.RedressItem{ItemID: it.ItemId, Kind: it.Kind.APIName(), AmountMinor: it.AmountMinor, Currency: it.Currency,
		Category: it.Category, Relief: it.Relief, Goodwill: it.Goodwill, Basis: it.Basis, RuleID: it.RuleId}
}

var decisions = map[string]domain.Decision{"approve": domain.Approve, "reject": domain.Reject, "amend": domain.Amend}

func (h HTTP) approval(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var req api.RedressApprovalRequest
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var v httpx.Validator
	decision, ok := decisions[req.Decision]
	v.Check(ok, "decision", "must be approve, reject or amend")
	v.CheckText(req.Reason, "reason")
	v.MaxLen(req.Reason, 2000, "reason")
	v.Check(decision != domain.Reject || strings.TrimSpace(req.Reason) != "", "reason", "a rejection needs a reason")
	v.Check(decision != domain.Amend || len(req.Items) > 0, "items", "an amendment states the items to issue")
	v.Check(decision == domain.Amend || len(req.Items) == 0, "items", "only an amendment states items")
	v.Check(len(req.Items) <= 20, "items", "at most 20 items")
	items := make([]*complaintsv1.RedressItem, 0, len(req.Items))
	for i, it := range req.Items {
		at := "items[" + strconv.Itoa(i) + "]"
		kind, ok := domain.ParseKind(it.Kind)
		v.Check(ok, at+".kind", "must be a redress kind such as refund, goodwill_gesture, apology")
		v.Check(it.AmountMinor >= 0, at+".amount_minor", "must not be negative")
		v.Check(!ok || !domain.NonMonetary(kind) || it.AmountMinor == 0, at+".amount_minor", "this kind carries no amount")
		v.Check(it.Currency == "" || (len(it.Currency) == 3 && strings.ToUpper(it.Currency) == it.Currency), at+".currency", "must be an ISO 4217 code such as GBP")
		v.CheckText(it.Category, at+".category")
		v.MaxLen(it.Category, 64, at+".category")
		items = append(items, &complaintsv1.RedressItem{Kind: kind, AmountMinor: it.AmountMinor, Currency: it.Currency, Category: it.Category})
	}
	key := r.Header.Get("Idempotency-Key")
	v.Check(len(key) <= 200, "Idempotency-Key", "must be at most 200 characters")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	principal, _ := auth.PrincipalFrom(r.Context())
	roles := make([]string, len(principal.Roles))
	for i, role := range principal.Roles {
		roles[i] = string(role)
	}
	red, replayed, err := h.App.Approve(r.Context(), id, app.Approval{Decision: decision, Reason: req.Reason, Items: items,
		Approver: auth.ActorFrom(r.Context()), Roles: roles, IdempotencyKey: key})
	if errors.Is(err, app.ErrApprovalKeyReused) {
		httpx.WriteProblem(w, r, &httpx.Problem{Type: httpx.TypeIdempotent, Status: http.StatusUnprocessableEntity,
			Title: "Idempotency key already used for another approval", Detail: err.Error(),
			Errors: []httpx.FieldError{{Field: "Idempotency-Key", Detail: "was used for another decision or by another approver"}}})
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	httpx.WriteJSON(w, http.StatusOK, RedressJSON(red))
}

func (h HTTP) confirmation(w http.ResponseWriter, r *http.Request) {
	id, p := httpx.PathID(r, "id")
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	var req api.IssuanceConfirmation
	if p := httpx.DecodeJSON(w, r, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	req.ComplaintID, req.IssuanceID = id, r.PathValue("issuance_id")
	out, err := confirm(r.Context(), h.App, req, auth.ActorFrom(r.Context()))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h HTTP) policy(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, PolicyJSON(h.App.Policy))
}

// PolicyJSON is the wire view of the redress policy.
func PolicyJSON(p app.Policy) api.RedressPolicy {
	rules := make([]api.RedressRule, 0, len(p.Rules))
	for _, rule := range p.Rules {
		product := "*"
		if len(rule.Products) > 0 {
			product = strings.Join(rule.Products, ",")
		}
		out := api.RedressRule{ID: rule.ID, Product: product, Products: rule.Products, RootCauses: rule.RootCauses,
			Outcome: rule.OutcomeValue().APIName(), AutoApproveLimitMinor: rule.AutoApproveLimitMinor,
			RootCauseCategories: rule.RootCauseCategories, Vulnerable: rule.Vulnerable, Additional: rule.Additional,
			SeverityPriority: rangeJSON(rule.SeverityPriority), DisputedMinor: rangeJSON(rule.DisputedMinor), Items: []api.RedressItemRule{}}
		if rule.Outcome == "" {
			out.Outcome = "*"
		}
		for i, it := range rule.Items {
			cur := it.Currency
			if cur == "" && (it.AmountMinor > 0 || it.MinMinor > 0) {
				cur = p.Currency
			}
			cat := it.Category
			if cat == "" {
				cat = domain.DefaultCategory(it.KindValue())
			}
			out.Items = append(out.Items, api.RedressItemRule{Kind: it.KindValue().APIName(), AmountMinor: it.AmountMinor,
				SharePercent: it.SharePercent, MinMinor: it.MinMinor, CapMinor: it.CapMinor, Currency: cur, Category: cat})
			if i == 0 {
				out.Kind, out.AmountMinor, out.Currency = it.KindValue().APIName(), it.AmountMinor, cur
			}
		}
		rules = append(rules, out)
	}
	levels := []api.RedressApprovalLevel{}
	for _, l := range p.Approval.Levels {
		levels = append(levels, api.RedressApprovalLevel{Role: l.Role, LimitMinor: l.LimitMinor})
	}
	budgets := []api.RedressBudgetLimit{}
	for c, l := range p.Budgets.MonthlyMinor {
		budgets = append(budgets, api.RedressBudgetLimit{Category: c, MonthlyMinor: l})
	}
	slices.SortFunc(budgets, func(a, b api.RedressBudgetLimit) int { return strings.Compare(a.Category, b.Category) })
	return api.RedressPolicy{
		Rules: rules, AutoApproveLimitMinor: p.AutoApproveLimitMinor, Version: p.Version, Source: p.Source, Currency: p.Currency,
		ApprovalLevels: levels, EscalateAfter: p.EscalateAfter().String(), Budgets: budgets,
		BudgetCurrency: p.Budgets.Currency, IssuanceMaxAttempts: p.MaxAttempts(), IssuanceRetryAfter: p.RetryAfter().String(),
	}
}

func rangeJSON(r *domain.Range) *api.RedressRange {
	if r == nil {
		return nil
	}
	return &api.RedressRange{Min: r.Min, Max: r.Max}
}

func (h HTTP) budgets(w http.ResponseWriter, r *http.Request) {
	uses, err := h.App.Budgets(r.Context(), r.URL.Query().Get("period"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := api.RedressBudgets{Budgets: []api.RedressBudget{}}
	for _, u := range uses {
		out.Period = u.Period
		out.Budgets = append(out.Budgets, api.RedressBudget{Category: u.Category, Currency: u.Currency, LimitMinor: u.LimitMinor,
			UsedMinor: u.UsedMinor, RemainingMinor: u.RemainingMinor, OverBudgetMinor: u.Over, Reservations: u.Reservations})
	}
	if out.Period == "" {
		out.Period = r.URL.Query().Get("period")
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h HTTP) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v httpx.Validator
	from, to := parseTime(&v, q.Get("from"), "from"), parseTime(&v, q.Get("to"), "to")
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	asOf, p := httpx.PastAsOf(r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	group := q.Get("group")
	totals, err := h.App.LedgerTotalsAsOf(r.Context(), group, from, to, asOf)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if group == "" {
		group = "period"
	}
	out := api.RedressReport{Group: group, Totals: []api.RedressTotal{}}
	if !from.IsZero() {
		out.From = &from
	}
	if !to.IsZero() {
		out.To = &to
	}
	for _, t := range totals {
		out.Totals = append(out.Totals, api.RedressTotal{Key: t.Key, Currency: t.Currency, AmountMinor: t.AmountMinor, Items: t.Items})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// parseTime reads a bound: RFC 3339, or a date (2026-11-01).
func parseTime(v *httpx.Validator, s, field string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	t, err := time.Parse(time.DateOnly, s)
	v.Check(err == nil, field, "must be a date (2026-11-01) or an RFC 3339 time")
	return t
}
