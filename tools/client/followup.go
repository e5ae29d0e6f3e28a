package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/complaintflow/complaintflow/services/api"
)

// Follow-up wire types (services/api).
type (
	SurveyAnswer          = api.SurveyAnswer
	SilentCustomersReport = api.SilentCustomersReport
	SilentCustomerGroup   = api.SilentCustomerGroup
	SilentCustomer        = api.SilentCustomer
)

// Follow-up statuses (FollowUp.Status).
const (
	FollowUpScheduled      = "scheduled"
	FollowUpAwaitingAnswer = "awaiting_answer"
	FollowUpChased         = "chased"
	FollowUpAnswered       = "answered"
	FollowUpCancelled      = "cancelled"
	FollowUpClosed         = "closed"
)

// SurveyOut reports whether the follow-up's survey has been sent and waits
// for the customer's answer: the moment to call Answer.
func SurveyOut(f FollowUp) bool {
	return f.Status == FollowUpAwaitingAnswer || f.Status == FollowUpChased
}

// AnswerOnce is Answer with an Idempotency-Key: a retried request with the
// same key records the answer once.
func (c *Client) AnswerOnce(ctx context.Context, id, idempotencyKey string, req AnswerRequest) (FollowUp, error) {
	var out FollowUp
	h := http.Header{}
	h.Set("Idempotency-Key", idempotencyKey)
	_, err := c.doAs(ctx, c.customerToken(id), http.MethodPost, "/v1/followups/"+url.PathEscape(id)+"/answer", h, req, &out)
	return out, err
}

// SilentCustomersQuery filters the silent-customers report; zero fields
// take the API's defaults.
type SilentCustomersQuery struct {
	Team, RootCause string
	Limit           int
}

// SilentCustomers returns the complaints closed because the customer never
// answered the survey, by team and root cause.
func (c *Client) SilentCustomers(ctx context.Context, q SilentCustomersQuery) (SilentCustomersReport, error) {
	v := url.Values{}
	if q.Team != "" {
		v.Set("team", q.Team)
	}
	if q.RootCause != "" {
		v.Set("root_cause", q.RootCause)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/v1/reports/silent-customers"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out SilentCustomersReport
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, path, nil, nil, &out)
	return out, err
}
