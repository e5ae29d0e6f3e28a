package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/complaintflow/complaintflow/services/api"
)

// Compensation's wire types.
type (
	RedressItem            = api.RedressItem
	RedressIssuance        = api.RedressIssuance
	RedressApprovalRequest = api.RedressApprovalRequest
	RedressItemInput       = api.RedressItemInput
	IssuanceConfirmation   = api.IssuanceConfirmation
	IssuanceConfirmed      = api.IssuanceConfirmed
	RedressBudgets         = api.RedressBudgets
	RedressBudget          = api.RedressBudget
	RedressReport          = api.RedressReport
	RedressTotal           = api.RedressTotal
	RedressAwaiting        = api.RedressAwaiting
	RedressAwaitingList    = api.RedressAwaitingList
)

// Redress approval decisions.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
	DecisionAmend   = "amend"
)

// Redress statuses.
const (
	RedressAwaitingApproval = "awaiting_approval"
	RedressIssuing          = "issuing"
	RedressIssued           = "issued"
	RedressSettled          = "settled"
	RedressRejected         = "rejected"
)

// RedressSettledStatus reports whether a redress status is final: every
// item issued, nothing to issue, or rejected (follow-up starts then).
func RedressSettledStatus(status string) bool {
	return status == RedressIssued || status == RedressSettled || status == RedressRejected
}

// DecideApproval approves, rejects or amends redress waiting for approval,
// as an approver. The approver must not be the agent who resolved the case.
func (c *Client) DecideApproval(ctx context.Context, id string, req RedressApprovalRequest, idempotencyKey string) (Redress, error) {
	var out Redress
	var h http.Header
	if idempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	_, err := c.do(ctx, RoleApprover, http.MethodPost, "/v1/redress/"+url.PathEscape(id)+"/approval", h, req, &out)
	return out, err
}

// RedressAwaitingApproval lists the redress waiting for an approver, the
// longest waiting first, as an approver: limit of them (1 to 500; the API's
// default of 100 when 0) after cursor ("" for the first page). The list's
// NextCursor continues it; it is empty on the last page.
func (c *Client) RedressAwaitingApproval(ctx context.Context, cursor string, limit int) (RedressAwaitingList, error) {
	q := url.Values{"status": {RedressAwaitingApproval}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out RedressAwaitingList
	_, err := c.do(ctx, RoleApprover, http.MethodGet, "/v1/redress?"+q.Encode(), nil, nil, &out)
	return out, err
}

// ConfirmIssuance records a payment system's answer for one issuance, as
// the payment system (payments role: no other may confirm).
func (c *Client) ConfirmIssuance(ctx context.Context, id, issuanceID string, req IssuanceConfirmation) (IssuanceConfirmed, error) {
	var out IssuanceConfirmed
	_, err := c.do(ctx, RolePayments, http.MethodPost,
		"/v1/redress/"+url.PathEscape(id)+"/issuances/"+url.PathEscape(issuanceID)+"/confirmation", nil, req, &out)
	return out, err
}

// RedressBudgetsFor shows each budget's use in a month ("2026-11"; the
// current month when empty).
func (c *Client) RedressBudgetsFor(ctx context.Context, period string) (RedressBudgets, error) {
	var out RedressBudgets
	path := "/v1/redress-budgets"
	if period != "" {
		path += "?period=" + url.QueryEscape(period)
	}
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// RedressLedger sums issued redress by group (complaint, cause,
// cause_category, product, period, kind) within [from, to) (dates or RFC
// 3339 times; empty for open bounds).
func (c *Client) RedressLedger(ctx context.Context, group, from, to string) (RedressReport, error) {
	q := url.Values{}
	for k, v := range map[string]string{"group": group, "from": from, "to": to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := "/v1/reports/redress"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out RedressReport
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, path, nil, nil, &out)
	return out, err
}
