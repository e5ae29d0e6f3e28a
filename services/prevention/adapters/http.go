// Package adapters holds prevention's HTTP API (http.go), its HTML report
// (web.go) and the projections that follow the log (consumers.go,
// projections.go).
package adapters

import (
	"encoding/csv"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// HTTP serves prevention's reports under /v1/reports, the operation of its
// projections under /v1/projections and the HTML report at /reports.
type HTTP struct {
	App *app.Prevention
	// Prevention gives the HTML report its systemic issues and preventive
	// actions; nil shows none.
	Prevention PreventionView
}

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	readers := []auth.Role{auth.RoleProcessOwner, auth.RoleAuditor, auth.RoleAdmin}
	mux.HandleFunc("GET /v1/reports/root-causes", auth.Require(h.rootCauses, readers...))
	mux.HandleFunc("GET /v1/reports/effort", auth.Require(h.effort, readers...))
	mux.HandleFunc("GET /v1/reports/regulatory", auth.Require(h.regulatory, readers...))
	mux.HandleFunc("GET /reports", auth.Require(h.page, readers...))
	mux.HandleFunc("GET /v1/projections", auth.Require(h.projections, auth.RoleAdmin))
	mux.HandleFunc("GET /v1/projections/{name}", auth.Require(h.projection, auth.RoleAdmin))
	mux.HandleFunc("POST /v1/projections/{name}/rebuild", auth.Require(h.rebuild, auth.RoleAdmin))
}

// queryTime parses an optional RFC 3339 query parameter.
func queryTime(r *http.Request, v *httpx.Validator, name string) time.Time {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	v.Check(err == nil, name, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z")
	return t.UTC()
}

// query reads the filter and as_of every report takes.
func query(r *http.Request) (app.Query, *httpx.Validator) {
	var v httpx.Validator
	q := r.URL.Query()
	f := domain.Filter{From: queryTime(r, &v, "from"), To: queryTime(r, &v, "to"),
		Product: q.Get("product"), Channel: q.Get("channel"), Team: q.Get("team")}
	for _, name := range []string{"product", "channel", "team"} {
		v.MaxLen(q.Get(name), 128, name)
	}
	if !f.From.IsZero() && !f.To.IsZero() {
		v.Check(f.From.Before(f.To), "to", "must be after from")
	}
	return app.Query{Filter: f, AsOf: queryTime(r, &v, "as_of")}, &v
}

// answer writes a report, or the problem of reading it.
func answer[T any](w http.ResponseWriter, r *http.Request, rep T, err error) {
	if errors.Is(err, app.ErrAsOfFuture) {
		httpx.WriteProblem(w, r, httpx.Invalid(httpx.FieldError{Field: "as_of", Detail: "must not be in the future"}))
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
}

func (h HTTP) rootCauses(w http.ResponseWriter, r *http.Request) {
	q, v := query(r)
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	rep, err := h.App.RootCauses(r.Context(), q)
	answer(w, r, rootCausesWire(rep), err)
}

func (h HTTP) effort(w http.ResponseWriter, r *http.Request) {
	q, v := query(r)
	days := 0
	if s := r.URL.Query().Get("recontact_days"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= 365, "recontact_days", "must be a whole number of days from 1 to 365")
		days = n
	}
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	rep, err := h.App.Effort(r.Context(), q, days)
	answer(w, r, effortWire(rep), err)
}

// wantsCSV reports whether the caller asked for CSV: format=csv, or an
// Accept header that prefers text/csv.
func wantsCSV(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "csv"
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

func (h HTTP) regulatory(w http.ResponseWriter, r *http.Request) {
	var v httpx.Validator
	qs := r.URL.Query()
	q := app.RegulatoryQuery{Regime: qs.Get("regime"), From: queryTime(r, &v, "from"), To: queryTime(r, &v, "to"), AsOf: queryTime(r, &v, "as_of")}
	v.MaxLen(q.Regime, 64, "regime")
	if f := qs.Get("format"); f != "" {
		v.Check(f == "csv" || f == "json", "format", `must be "json" or "csv"`)
	}
	export := qs.Get("export")
	if export != "" {
		v.Check(export == "fca" || export == "cfpb", "export", `must be "fca" (the complaints return) or "cfpb" (one line per complaint)`)
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		v.Check(q.From.Before(q.To), "to", "must be after from")
	}
	if p := v.Problem(); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	if !wantsCSV(r) {
		rep, err := h.App.Regulatory(r.Context(), q)
		answer(w, r, regulatoryWire(rep), err)
		return
	}
	var rows [][]string
	if export == "cfpb" {
		list, err := h.App.CFPBExport(r.Context(), q)
		if err != nil {
			answer(w, r, list, err)
			return
		}
		rows = CFPBRows(cfpbExportWire(list))
	} else {
		rep, err := h.App.Regulatory(r.Context(), q)
		if err != nil {
			answer(w, r, rep, err)
			return
		}
		rows = ReturnRows(regulatoryWire(rep))
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "complaints-"+orAll(export, "fca")+".csv"))
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(rows)
}

func orAll(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ReturnRows is the complaints return as CSV rows: the total, then a row
// per product, per cause and per product and cause.
func ReturnRows(rep api.RegulatoryReport) [][]string {
	rows := [][]string{{"level", "product", "root_cause", "opened", "closed", "closed_within_3_business_days",
		"closed_within_8_weeks", "closed_later", "upheld", "partly_upheld", "rejected", "upheld_share", "redress_paid"}}
	line := func(level string, r api.RegulatoryRow) []string {
		f := r.RegulatoryFigures
		return []string{level, r.Product, r.RootCause, itoa(f.Opened), itoa(f.Closed), itoa(f.ClosedWithin3BusinessDays),
			itoa(f.ClosedWithin8Weeks), itoa(f.ClosedLater), itoa(f.Upheld), itoa(f.PartlyUpheld), itoa(f.Rejected),
			strconv.FormatFloat(f.UpheldShare, 'f', 4, 64), Money(f.RedressPaidMinor)}
	}
	rows = append(rows, line("total", api.RegulatoryRow{RegulatoryFigures: rep.Total}))
	for _, r := range rep.ByProduct {
		rows = append(rows, line("product", r))
	}
	for _, r := range rep.ByCause {
		rows = append(rows, line("cause", r))
	}
	for _, r := range rep.ByProductAndCause {
		rows = append(rows, line("product_and_cause", r))
	}
	return rows
}

// CFPBRows is the CFPB-style export as CSV rows, with the CFPB's column
// names.
func CFPBRows(list []api.CFPBComplaint) [][]string {
	rows := [][]string{{"Complaint ID", "Product", "Submitted via", "Date received", "Date sent to company response",
		"Company response to consumer", "Timely response?"}}
	for _, c := range list {
		timely := "No"
		if c.Timely {
			timely = "Yes"
		}
		rows = append(rows, []string{c.ComplaintID, c.Product, c.SubmittedVia, c.ReceivedAt.Format(time.DateOnly),
			c.RespondedAt.Format(time.DateOnly), c.CompanyResponse, timely})
	}
	return rows
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Money writes amounts in minor units per currency as "GBP 12.34; EUR 5.00",
// currencies in alphabetical order.
func Money(m map[string]int64) string {
	var parts []string
	for _, cur := range sortedKeys(m) {
		n := m[cur]
		sign := ""
		if n < 0 {
			sign, n = "-", -n
		}
		parts = append(parts, fmt.Sprintf("%s %s%d.%02d", cur, sign, n/100, n%100))
	}
	return strings.Join(parts, "; ")
}

func (h HTTP) projections(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, h.App.ProjectionList())
}

func (h HTTP) projection(w http.ResponseWriter, r *http.Request) {
	s, ok := h.App.ProjectionStatus(r.PathValue("name"))
	if !ok {
		httpx.WriteProblem(w, r, httpx.NotFound("no projection named "+strconv.Quote(r.PathValue("name"))))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s)
}

func (h HTTP) rebuild(w http.ResponseWriter, r *http.Request) {
	s, ok, err := h.App.RebuildProjection(r.PathValue("name"))
	if !ok {
		httpx.WriteProblem(w, r, httpx.NotFound("no projection named "+strconv.Quote(r.PathValue("name"))))
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/projections/"+s.Name)
	httpx.WriteJSON(w, http.StatusAccepted, s)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
