package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
)

// Wire types of the reports and projections.
type (
	ReportFilter      = api.ReportFilter
	EffortReport      = api.EffortReport
	EffortFigures     = api.EffortFigures
	EffortGroup       = api.EffortGroup
	RegulatoryReport  = api.RegulatoryReport
	RegulatoryRow     = api.RegulatoryRow
	ProjectionStatus  = api.ProjectionStatus
	ProjectionRebuild = api.ProjectionRebuild
	ProjectionList    = api.ProjectionList
	PreventiveAction  = api.PreventiveAction
	PreventiveActions = api.PreventiveActions
	Effectiveness     = api.Effectiveness
)

// ReportQuery selects what a report covers. Zero fields are left out.
type ReportQuery struct {
	From, To               time.Time
	Product, Channel, Team string
	// AsOf asks for the report as it stood at that instant.
	AsOf time.Time
	// Regime is for the regulatory report only.
	Regime string
	// RecontactDays is for the effort report only.
	RecontactDays int
}

func (q ReportQuery) values() url.Values {
	v := url.Values{}
	for name, t := range map[string]time.Time{"from": q.From, "to": q.To, "as_of": q.AsOf} {
		if !t.IsZero() {
			v.Set(name, t.UTC().Format(time.RFC3339Nano))
		}
	}
	for name, s := range map[string]string{"product": q.Product, "channel": q.Channel, "team": q.Team, "regime": q.Regime} {
		if s != "" {
			v.Set(name, s)
		}
	}
	if q.RecontactDays > 0 {
		v.Set("recontact_days", strconv.Itoa(q.RecontactDays))
	}
	return v
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// RootCauseReportFor returns the root-cause report (the Pareto with costs
// and trend) of the complaints q selects.
func (c *Client) RootCauseReportFor(ctx context.Context, q ReportQuery) (RootCauseReport, error) {
	var out RootCauseReport
	v := q.values()
	v.Del("regime")
	v.Del("recontact_days")
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, withQuery("/v1/reports/root-causes", v), nil, nil, &out)
	return out, err
}

// Effort returns the customer-effort report.
func (c *Client) Effort(ctx context.Context, q ReportQuery) (EffortReport, error) {
	var out EffortReport
	v := q.values()
	v.Del("regime")
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, withQuery("/v1/reports/effort", v), nil, nil, &out)
	return out, err
}

func (q ReportQuery) regulatoryValues() url.Values {
	v := q.values()
	for _, k := range []string{"product", "channel", "team", "recontact_days"} {
		v.Del(k)
	}
	return v
}

// Regulatory returns a regime's complaints return.
func (c *Client) Regulatory(ctx context.Context, q ReportQuery) (RegulatoryReport, error) {
	var out RegulatoryReport
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, withQuery("/v1/reports/regulatory", q.regulatoryValues()), nil, nil, &out)
	return out, err
}

// RegulatoryCSV returns the complaints return as CSV: export "fca" (or
// empty) for the return's rows, "cfpb" for one line per complaint.
func (c *Client) RegulatoryCSV(ctx context.Context, q ReportQuery, export string) ([]byte, error) {
	v := q.regulatoryValues()
	v.Set("format", "csv")
	if export != "" {
		v.Set("export", export)
	}
	path := withQuery("/v1/reports/regulatory", v)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/csv, application/problem+json")
	if t := c.Auth.For(RoleProcessOwner); t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
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
		return nil, fmt.Errorf("GET %s: reading answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, problemFrom(resp, data)
	}
	return data, nil
}

// PreventiveActions lists the preventive actions, with their measured
// effect once evaluated.
func (c *Client) PreventiveActions(ctx context.Context) (PreventiveActions, error) {
	var out PreventiveActions
	_, err := c.do(ctx, RoleProcessOwner, http.MethodGet, "/v1/preventive-actions", nil, nil, &out)
	return out, err
}

// Projections lists prevention's projections.
func (c *Client) Projections(ctx context.Context) (ProjectionList, error) {
	var out ProjectionList
	_, err := c.do(ctx, RoleAdmin, http.MethodGet, "/v1/projections", nil, nil, &out)
	return out, err
}

// Projection returns one projection's status and rebuild progress.
func (c *Client) Projection(ctx context.Context, name string) (ProjectionStatus, error) {
	var out ProjectionStatus
	_, err := c.do(ctx, RoleAdmin, http.MethodGet, "/v1/projections/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}

// RebuildProjection starts rebuilding a projection from the whole log.
func (c *Client) RebuildProjection(ctx context.Context, name string) (ProjectionStatus, error) {
	var out ProjectionStatus
	_, err := c.do(ctx, RoleAdmin, http.MethodPost, "/v1/projections/"+url.PathEscape(name)+"/rebuild", nil, nil, &out)
	return out, err
}
