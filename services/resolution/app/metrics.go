package app

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// EffortMetric counts the steps that cost the customer effort, by kind
// (transfer, information_request, reopen, escalation) and team.
const EffortMetric = "complaints.resolution.effort"

// newEffortCounter makes the EffortMetric counter on mp (the global
// provider when nil).
func newEffortCounter(mp metric.MeterProvider) metric.Int64Counter {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	c, err := mp.Meter("github.com/complaintflow/complaintflow/services/resolution").Int64Counter(EffortMetric,
		metric.WithDescription("Transfers, information requests, reopens and escalations of cases: customer effort"),
		metric.WithUnit("{step}"))
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return c
}

// countEffort counts in c the effort steps among events just recorded.
func countEffort(ctx context.Context, c metric.Int64Counter, team string, events []proto.Message) {
	for _, e := range events {
		var kind string
		switch e := e.(type) {
		case *complaintsv1.CaseTransferred:
			kind, team = "transfer", e.ToTeam
		case *complaintsv1.InformationRequested:
			kind = "information_request"
		case *complaintsv1.CaseReopened:
			kind, team = "reopen", e.Team
		case *complaintsv1.CaseEscalated:
			kind = "escalation"
		default:
			continue
		}
		if c != nil {
			c.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", kind), attribute.String("team", team)))
		}
	}
}
