package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
)

// Wire types of intake's customer routes, the view's clocks and effort, and
// the optional fields of a submission.
type (
	Money              = api.Money
	Vulnerability      = api.Vulnerability
	ComplaintClock     = api.ComplaintClock
	Effort             = api.Effort
	PersonalData       = api.PersonalData
	PersonalDataErased = api.PersonalDataErased
	HeldComplaint      = api.HeldComplaint
	RepeatContact      = api.RepeatContact
)

// Complaint statuses besides those of types.go.
const (
	StatusAwaitingCustomer = api.StatusAwaitingCustomer
	StatusReopened         = api.StatusReopened
)

// ComplaintAsOf returns a complaint as it stood at the instant at: only the
// events recorded at or before it are folded.
func (c *Client) ComplaintAsOf(ctx context.Context, id string, at time.Time) (Complaint, error) {
	var out Complaint
	path := "/v1/complaints/" + url.PathEscape(id) + "?as_of=" + url.QueryEscape(at.UTC().Format(time.RFC3339Nano))
	_, err := c.do(ctx, RoleAgent, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// PersonalData exports what intake holds about a customer (subject access;
// auditor).
func (c *Client) PersonalData(ctx context.Context, customerID string) (PersonalData, error) {
	var out PersonalData
	_, err := c.do(ctx, RoleAuditor, http.MethodGet, "/v1/customers/"+url.PathEscape(customerID)+"/personal-data", nil, nil, &out)
	return out, err
}

// ErasePersonalData crypto-shreds a customer's personal data (admin); reason
// says why ("" for customer-request).
func (c *Client) ErasePersonalData(ctx context.Context, customerID, reason string) (PersonalDataErased, error) {
	var out PersonalDataErased
	path := "/v1/customers/" + url.PathEscape(customerID) + "/personal-data"
	if reason != "" {
		path += "?reason=" + url.QueryEscape(reason)
	}
	_, err := c.do(ctx, RoleAdmin, http.MethodDelete, path, nil, nil, &out)
	return out, err
}
