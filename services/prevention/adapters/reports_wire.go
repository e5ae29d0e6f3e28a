package adapters

import (
	"time"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// The reports on the wire: the domain's reports with when and where in the
// log they were read, as GET /v1/reports/* answer them. The figures that
// hold no other report type convert as they are (the same fields, without
// JSON names), so a field added to one side only fails the build.

func rootCausesWire(r app.Report[domain.RootCauseReport]) api.RootCauseReport {
	b := r.Body
	return api.RootCauseReport{GeneratedAt: r.GeneratedAt, Position: uint64(r.Position), AsOf: asOfPtr(r.AsOf),
		Filter: filterWire(b.Filter), Total: b.Total, Weeks: b.Weeks,
		Causes: each(b.Causes, func(c domain.CauseShare) api.CauseShare { return api.CauseShare(c) }),
		Trend:  each(b.Trend, func(c domain.CauseTrend) api.CauseTrend { return api.CauseTrend(c) })}
}

func effortWire(r app.Report[domain.EffortReport]) api.EffortReport {
	b := r.Body
	return api.EffortReport{GeneratedAt: r.GeneratedAt, Position: uint64(r.Position), AsOf: asOfPtr(r.AsOf),
		Filter: filterWire(b.Filter), RecontactDays: b.RecontactDays, Overall: effortFiguresWire(b.Overall),
		ByCause: each(b.ByCause, effortGroupWire), ByProduct: each(b.ByProduct, effortGroupWire), ByTeam: each(b.ByTeam, effortGroupWire)}
}

func effortGroupWire(g domain.EffortGroup) api.EffortGroup {
	return api.EffortGroup{Key: g.Key, EffortFigures: effortFiguresWire(g.EffortFigures)}
}

func effortFiguresWire(f domain.EffortFigures) api.EffortFigures {
	return api.EffortFigures{Complaints: f.Complaints, RepeatContactRate: f.RepeatContactRate,
		Closed: f.Closed, RecontactRate: f.RecontactRate,
		TransfersPerComplaint: f.TransfersPerComplaint, ChannelSwitchesPerComplaint: f.ChannelSwitchesPerComplaint,
		InformationRequestsPerComplaint: f.InformationRequestsPerComplaint,
		Resolved:                        f.Resolved, FCRRate: f.FCRRate, ReopenRate: f.ReopenRate,
		MeanEffort: f.MeanEffort, CES: api.CESDistribution(f.CES)}
}

func regulatoryWire(r app.Report[domain.RegulatoryReport]) api.RegulatoryReport {
	b := r.Body
	return api.RegulatoryReport{GeneratedAt: r.GeneratedAt, Position: uint64(r.Position), AsOf: asOfPtr(r.AsOf),
		Regime: b.Regime, From: timePtr(b.From), To: timePtr(b.To), Total: api.RegulatoryFigures(b.Total),
		ByProduct: each(b.ByProduct, regulatoryRowWire), ByCause: each(b.ByCause, regulatoryRowWire),
		ByProductAndCause: each(b.ByProductAndCause, regulatoryRowWire),
		CFPB:              each(b.CFPB, func(c domain.CFPBResponse) api.CFPBResponse { return api.CFPBResponse(c) })}
}

func regulatoryRowWire(r domain.RegulatoryRow) api.RegulatoryRow {
	return api.RegulatoryRow{Product: r.Product, RootCause: r.RootCause, RegulatoryFigures: api.RegulatoryFigures(r.RegulatoryFigures)}
}

func cfpbExportWire(list []domain.CFPBComplaint) []api.CFPBComplaint {
	return each(list, func(c domain.CFPBComplaint) api.CFPBComplaint { return api.CFPBComplaint(c) })
}

// filterWire is the filter as the reports echo it.
func filterWire(q domain.Filter) api.ReportFilter {
	return api.ReportFilter{From: timePtr(q.From), To: timePtr(q.To), Product: q.Product, Channel: q.Channel, Team: q.Team}
}

// asOfPtr is the instant a report was asked as of, in UTC; nil for the
// live projection.
func asOfPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// timePtr is t, nil when zero (unbounded).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// each converts every element of in, nil staying nil and empty empty (null
// and [] in JSON).
func each[D, W any](in []D, f func(D) W) []W {
	if in == nil {
		return nil
	}
	out := make([]W, len(in))
	for i, d := range in {
		out[i] = f(d)
	}
	return out
}
