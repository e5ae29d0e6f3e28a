// Package client is a typed HTTP client of the complaint API: intake,
// resolution, compensation, follow-up and prevention, whether they run in
// one process or behind one gateway address.
//
// Every error the API answers is returned as a *Problem (RFC 9457), which
// names the request fields at fault.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// DefaultURL is where the all-in-one process listens by default.
const DefaultURL = "http://127.0.0.1:8080"

// MaxResponseBytes bounds a response body the client reads.
const MaxResponseBytes = 16 << 20

// Client calls the complaint API at BaseURL.
type Client struct {
	// BaseURL is the scheme and host (and optional path prefix) of the API,
	// e.g. http://127.0.0.1:8080.
	BaseURL string
	// HTTP sends the requests.
	HTTP *http.Client
	// Auth are the bearer tokens sent; see LoadCredentials.
	Auth Credentials

	// customers holds the capability token each submission returned, by
	// complaint id: the customer's own steps (Answer) send it.
	customers sync.Map
}

// New returns a client of the API at baseURL with its own connection pool,
// sized for up to maxConns concurrent requests (at least 16).
func New(baseURL string, maxConns int) *Client {
	if maxConns < 16 {
		maxConns = 16
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * maxConns,
		MaxIdleConnsPerHost:   2 * maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: t}}
}

// CloseIdleConnections closes the pool's idle connections.
func (c *Client) CloseIdleConnections() {
	if c.HTTP != nil {
		c.HTTP.CloseIdleConnections()
	}
}

// Submit files a complaint. A non-empty idempotencyKey makes retries safe:
// a repeat with the same key and body answers the same complaint (with
// Replayed set); the same key with another body is refused.
func (c *Client) Submit(ctx context.Context, req SubmitRequest, idempotencyKey string) (Complaint, error) {
	var out Complaint
	var h http.Header
	if idempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	got, err := c.do(ctx, RoleIntakeSystem, http.MethodPost, "/v1/complaints", h, req, &out)
	if err != nil {
		return Complaint{}, err
	}
	out.Replayed = got.Get("Idempotent-Replayed") == "true"
	if out.CustomerToken != "" {
		c.customers.Store(out.ID, out.CustomerToken)
	}
	return out, nil
}

// Complaint returns the whole story of one complaint.
func (c *Client) Complaint(ctx context.Context, id string) (Complaint, error) {
	var out Complaint
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/complaints/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Timeline returns every event of a complaint in log order.
func (c *Client) Timeline(ctx context.Context, id string) (Timeline, error) {
	var out Timeline
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/complaints/"+url.PathEscape(id)+"/timeline", nil, nil, &out)
	return out, err
}

// Case returns the case of a complaint. Cases open moments after the
// complaint is received: until then the answer is a not-found Problem.
func (c *Client) Case(ctx context.Context, id string) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/cases/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Assign assigns a case to a team (a transfer when it has another one).
func (c *Client) Assign(ctx context.Context, id string, req AssignRequest) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodPost, "/v1/cases/"+url.PathEscape(id)+"/assignment", nil, req, &out)
	return out, err
}

// Resolve records the outcome and root cause of a case.
func (c *Client) Resolve(ctx context.Context, id string, req ResolveRequest) (Case, error) {
	var out Case
	_, err := c.do(ctx, RoleAgent, http.MethodPost, "/v1/cases/"+url.PathEscape(id)+"/resolution", nil, req, &out)
	return out, err
}

// RootCauses returns the taxonomy cases are resolved with.
func (c *Client) RootCauses(ctx context.Context) ([]RootCause, error) {
	var out api.RootCauses
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/root-causes", nil, nil, &out)
	return out.RootCauses, err
}

// Redress returns the redress decided for a complaint; a not-found Problem
// until its case is resolved.
func (c *Client) Redress(ctx context.Context, id string) (Redress, error) {
	var out Redress
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/redress/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// FollowUp returns the satisfaction survey of a complaint; a not-found
// Problem until its case is resolved.
func (c *Client) FollowUp(ctx context.Context, id string) (FollowUp, error) {
	var out FollowUp
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/followups/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Answer records the customer's survey answer. An answer saying the
// complaint is resolved closes it. It is sent with the customer's
// capability token when this client submitted the complaint (or was given
// the token with CustomerToken), else with an agent's token.
func (c *Client) Answer(ctx context.Context, id string, req AnswerRequest) (FollowUp, error) {
	var out FollowUp
	_, err := c.doAs(ctx, c.customerToken(id), http.MethodPost, "/v1/followups/"+url.PathEscape(id)+"/answer", nil, req, &out)
	return out, err
}

// RootCauseReport returns resolved cases counted by root cause.
func (c *Client) RootCauseReport(ctx context.Context) (RootCauseReport, error) {
	var out RootCauseReport
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, "/v1/reports/root-causes", nil, nil, &out)
	return out, err
}

// CustomerToken makes the customer's steps on complaint id send token, the
// capability token its submission returned.
func (c *Client) CustomerToken(id, token string) { c.customers.Store(id, token) }

// customerToken is the token for a customer's step on complaint id: its
// capability token when known, else an agent's.
func (c *Client) customerToken(id string) string {
	if t, ok := c.customers.Load(id); ok && c.Auth.Token == "" {
		return t.(string)
	}
	return c.Auth.For(RoleAgent)
}

// do sends one request with the token of role; see doAs.
func (c *Client) do(ctx context.Context, role, method, path string, header http.Header, body, out any) (http.Header, error) {
	return c.doAs(ctx, c.Auth.For(role), method, path, header, body, out)
}

// RateLimitRetries is how many times a request the API refused with 429
// (over this client's rate) is sent again, after the Retry-After it named
// (at most MaxRetryAfter). A 429 means the request was not handled, so
// sending it again is safe whatever it is.
const (
	RateLimitRetries = 5
	MaxRetryAfter    = 5 * time.Second
)

// doAs sends one request with an optional bearer token and JSON body and
// decodes a 2xx JSON answer into out; any other answer becomes a *Problem.
func (c *Client) doAs(ctx context.Context, token, method, path string, header http.Header, body, out any) (http.Header, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding request: %w", method, path, err)
		}
		payload = b
	}
	for attempt := 0; ; attempt++ {
		got, err := c.send(ctx, token, method, path, header, payload, body != nil, out)
		p, ok := AsProblem(err)
		if !ok || p.Status != http.StatusTooManyRequests || attempt >= RateLimitRetries {
			return got, err
		}
		wait := time.Second
		if secs, perr := strconv.Atoi(got.Get("Retry-After")); perr == nil && secs >= 0 {
			wait = time.Duration(secs) * time.Second
		}
		wait = min(wait, MaxRetryAfter)
		select {
		case <-ctx.Done():
			return got, err
		case <-time.After(wait):
		}
	}
}

// send sends one request once.
func (c *Client) send(ctx context.Context, token, method, path string, header http.Header, payload []byte, hasBody bool, out any) (http.Header, error) {
	var r io.Reader
	if hasBody {
		r = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, r)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, problemFrom(resp, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// Problem is an error answer of the API (RFC 9457 problem details): the
// services' own type, so that what they answer (action and help included)
// is what the client returns.
type Problem = httpx.Problem

// FieldError names one field of a request at fault.
type FieldError = httpx.FieldError

// Problem types the API answers with.
const (
	TypeValidation = httpx.TypeValidation
	TypeNotFound   = httpx.TypeNotFound
	TypeConflict   = httpx.TypeConflict
	TypeIdempotent = httpx.TypeIdempotent
	TypeInternal   = httpx.TypeInternal
	TypeBadRequest = httpx.TypeBadRequest
	// TypeUnauthenticated: no valid bearer token (401).
	TypeUnauthenticated = httpx.TypeUnauthenticated
	// TypeForbidden: the token lacks the role the route needs (403).
	TypeForbidden = httpx.TypeForbidden
	// TypeUnsupportedMediaType: the body is not application/json (415).
	TypeUnsupportedMediaType = httpx.TypeUnsupportedMediaType
	// TypeRateLimited: the client is over its request rate (429).
	TypeRateLimited = httpx.TypeRateLimited
)

// problemFrom turns a non-2xx answer into a Problem. An answer that is not
// problem+json (a proxy's error page, say) keeps its status and a short
// excerpt of its body.
func problemFrom(resp *http.Response, data []byte) *Problem {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/problem+json" || ct == "application/json" {
		var p Problem
		if err := json.Unmarshal(data, &p); err == nil && (p.Title != "" || p.Type != "") {
			if p.Status == 0 {
				p.Status = resp.StatusCode
			}
			return &p
		}
	}
	detail := strings.TrimSpace(string(data))
	if len(detail) > 300 {
		detail = detail[:300] + "…"
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode, Detail: detail}
}

// AsProblem returns the *Problem in err's chain, if any.
func AsProblem(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}

// IsNotFound reports whether err is the API saying a resource does not
// exist (yet: cases, redress and surveys appear moments after the event
// that causes them).
func IsNotFound(err error) bool {
	p, ok := AsProblem(err)
	return ok && p.Status == http.StatusNotFound
}

// retryable reports whether polling may continue after err: the thing is
// not there yet, or the server asked to try again.
func retryable(err error) bool {
	p, ok := AsProblem(err)
	if !ok {
		return false
	}
	switch {
	case p.Status == http.StatusNotFound, p.Status == http.StatusRequestTimeout,
		p.Status == http.StatusTooEarly, p.Status == http.StatusTooManyRequests:
		return true
	case p.Status >= 500:
		return true
	}
	return false
}
