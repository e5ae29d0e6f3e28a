package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/complaintflow/complaintflow/services/api"
)

// Wire types of the case work (services/api/resolution.go).
type (
	CaseStatus                = api.CaseStatus
	InformationRequest        = api.InformationRequest
	ClaimRequest              = api.ClaimRequest
	EscalateRequest           = api.EscalateRequest
	ReviewRequest             = api.ReviewRequest
	InformationRequestRequest = api.InformationRequestRequest
	InformationAnswer         = api.InformationAnswer
	ContactRequest            = api.ContactRequest
	ReopenRequest             = api.ReopenRequest
	Queue                     = api.Queue
	QueueItem                 = api.QueueItem
)

// QueueQuery filters and pages a team's queue (GET /v1/queues/{team}).
type QueueQuery struct {
	// Status is one or more (comma-separated) of open, awaiting_customer,
	// reopened.
	Status     string
	Priority   int
	Flag       string
	Agent      string
	Unassigned bool
	Cursor     string
	Limit      int
}

func (q QueueQuery) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("status", q.Status)
	set("flag", q.Flag)
	set("agent", q.Agent)
	set("cursor", q.Cursor)
	if q.Priority != 0 {
		v.Set("priority", strconv.Itoa(q.Priority))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Unassigned {
		v.Set("unassigned", "true")
	}
	return v
}

func casePath(id, step string) string { return "/v1/cases/" + url.PathEscape(id) + step }

func keyHeader(idempotencyKey string) http.Header {
	if idempotencyKey == "" {
		return nil
	}
	return http.Header{"Idempotency-Key": {idempotencyKey}}
}

// Queue returns a page of a team's queue, the soonest due first.
func (c *Client) Queue(ctx context.Context, team string, q QueueQuery) (Queue, error) {
	var out Queue
	path := "/v1/queues/" + url.PathEscape(team)
	if v := q.values().Encode(); v != "" {
		path += "?" + v
	}
	_, err := c.do(ctx, RoleAgent, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// Claim takes a case from its team's queue (the caller's own id when
// req.Agent is empty).
func (c *Client) Claim(ctx context.Context, id string, req ClaimRequest) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodPost, casePath(id, "/claim"), nil, req, &out)
	return out, err
}

// Escalate takes a case a tier up.
func (c *Client) Escalate(ctx context.Context, id string, req EscalateRequest) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodPost, casePath(id, "/escalation"), nil, req, &out)
	return out, err
}

// Review records the review triage required (an approver's step).
func (c *Client) Review(ctx context.Context, id string, req ReviewRequest) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleApprover, http.MethodPost, casePath(id, "/review"), nil, req, &out)
	return out, err
}

// RequestInformation asks the customer a question; the case shows it as
// open_information_request. A retry with the same idempotency key asks
// nothing new.
func (c *Client) RequestInformation(ctx context.Context, id string, req InformationRequestRequest, idempotencyKey string) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodPost, casePath(id, "/information-requests"), keyHeader(idempotencyKey), req, &out)
	return out, err
}

// AnswerInformationRequest records the customer's answer, with their
// capability token when this client knows it (else an agent's).
func (c *Client) AnswerInformationRequest(ctx context.Context, id, requestID string, req InformationAnswer) (CaseStatus, error) {
	var out CaseStatus
	_, err := c.doAs(ctx, c.customerToken(id), http.MethodPost,
		casePath(id, "/information-requests/"+url.PathEscape(requestID)+"/answer"), nil, req, &out)
	return out, err
}

// RecordContact records that a person contacted the customer.
func (c *Client) RecordContact(ctx context.Context, id string, req ContactRequest) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodPost, casePath(id, "/contacts"), nil, req, &out)
	return out, err
}

// Reopen reopens a resolved case, as its customer when this client knows
// their capability token (else as an agent).
func (c *Client) Reopen(ctx context.Context, id string, req ReopenRequest) (CaseStatus, error) {
	var out CaseStatus
	_, err := c.doAs(ctx, c.customerToken(id), http.MethodPost, casePath(id, "/reopen"), nil, req, &out)
	return out, err
}
