// Package adapters holds compensation's HTTP API (http.go) and event
// consumer (consumers.go).
package adapters

import (
	"net/http"
	"strings"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// HTTP serves compensation's routes under /v1/redress and /v1/redress-policy.
type HTTP struct{ App *app.Compensation }

// Roles that may read redress.
var readers = []auth.Role{auth.RoleAgent, auth.RoleApprover, auth.RoleAuditor}

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/redress/{id}", auth.Require(h.show, readers...))
	mux.HandleFunc("GET /v1/redress-policy", auth.Require(h.policy, append(readers, auth.RoleProcessOwner, auth.RoleAdmin)...))
}

type policyRefJSON = api.PolicyRef

type redressJSON = api.Redress

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	red, err := h.App.Redress(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	out := redressJSON{ComplaintID: red.ComplaintID, Status: red.Status.String(), Kind: red.Kind.APIName(),
		AmountMinor: red.AmountMinor, Currency: red.Currency, PolicyRule: red.PolicyRule, IssueID: red.IssueID}
	if d := red.DecidedBy; d != nil {
		out.DecidedBy = &policyRefJSON{Policy: d.Policy, Version: d.Version, RuleID: d.RuleId}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type ruleJSON = api.RedressRule

func (h HTTP) policy(w http.ResponseWriter, r *http.Request) {
	p := h.App.Policy
	rules := make([]ruleJSON, 0, len(p.Rules))
	for _, rule := range p.Rules {
		product := "*"
		if len(rule.Products) > 0 {
			product = strings.Join(rule.Products, ",")
		}
		rules = append(rules, ruleJSON{ID: rule.ID, Product: product, Products: rule.Products, RootCauses: rule.RootCauses,
			Outcome: rule.OutcomeValue().APIName(), Kind: rule.KindValue().APIName(), AmountMinor: rule.AmountMinor, Currency: rule.Currency,
			AutoApproveLimitMinor: rule.AutoApproveLimitMinor})
	}
	httpx.WriteJSON(w, http.StatusOK, api.RedressPolicy{
		Rules: rules, AutoApproveLimitMinor: p.AutoApproveLimitMinor, Version: p.Version, Source: p.Source,
	})
}
