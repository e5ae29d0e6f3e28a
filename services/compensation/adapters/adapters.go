// Package adapters holds compensation's HTTP API and event consumer.
package adapters

import (
	"context"
	"errors"
	"net/http"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// CaseResolvedType is the event compensation reacts to.
var CaseResolvedType = es.TypeOf(&complaintsv1.CaseResolved{})

// OnCaseResolved decides redress for every resolved case.
func OnCaseResolved(a *app.Compensation) func(context.Context, eventlog.RecordedEvent) error {
	return func(ctx context.Context, e eventlog.RecordedEvent) error {
		m, err := es.Decode(e)
		if err != nil {
			return err
		}
		return a.DecideFor(ctx, m.(*complaintsv1.CaseResolved), e.ID)
	}
}

// HTTP serves compensation's routes under /v1/redress and /v1/redress-policy.
type HTTP struct{ App *app.Compensation }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/redress/{id}", h.show)
	mux.HandleFunc("GET /v1/redress-policy", h.policy)
}

type redressJSON struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency,omitempty"`
	PolicyRule  string `json:"policy_rule"`
	IssueID     string `json:"issue_id,omitempty"`
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	red, err := h.App.Redress(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, es.ErrNotFound):
		httpx.WriteProblem(w, r, httpx.NotFound("no redress decided for complaint "+r.PathValue("id")+" (yet: redress is decided once the case is resolved)"))
	case err != nil:
		httpx.WriteError(w, r, err)
	default:
		status := "decided"
		if red.Issued {
			status = "issued"
		}
		httpx.WriteJSON(w, http.StatusOK, redressJSON{ComplaintID: red.ComplaintID, Status: status, Kind: red.Kind.APIName(),
			AmountMinor: red.AmountMinor, Currency: red.Currency, PolicyRule: red.PolicyRule, IssueID: red.IssueID})
	}
}

type ruleJSON struct {
	domain.Rule
	Outcome string `json:"outcome"`
	Kind    string `json:"kind"`
}

func (h HTTP) policy(w http.ResponseWriter, r *http.Request) {
	rules := make([]ruleJSON, 0, len(h.App.Policy.Rules))
	for _, rule := range h.App.Policy.Rules {
		rules = append(rules, ruleJSON{Rule: rule, Outcome: rule.Outcome.APIName(), Kind: rule.Kind.APIName()})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"rules": rules, "auto_approve_limit_minor": h.App.Policy.AutoApproveLimitMinor,
	})
}
