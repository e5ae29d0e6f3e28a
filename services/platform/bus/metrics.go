package bus

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// metrics are a consumer's instruments, on the meter provider in place when
// it starts.
type metrics struct {
	// duration measures event handling, by consumer, event type and outcome
	// (handled, ignored, dead-lettered, stopped).
	duration metric.Float64Histogram
	// deadLetters counts dead letters, by consumer and reason.
	deadLetters metric.Int64Counter
	// recreated counts durables found deleted and created again, by consumer.
	recreated metric.Int64Counter
}

func newMetrics() (metrics, error) {
	meter := otel.GetMeterProvider().Meter("github.com/complaintflow/complaintflow/services/platform/bus")
	var m metrics
	var err error
	if m.duration, err = meter.Float64Histogram("complaints.bus.handle.duration",
		metric.WithUnit("s"), metric.WithDescription("Time to handle one event delivered to a durable consumer")); err != nil {
		return m, err
	}
	if m.deadLetters, err = meter.Int64Counter("complaints.bus.dead_letters",
		metric.WithUnit("{event}"), metric.WithDescription("Events a consumer gave up on and wrote to the dead-letter stream")); err != nil {
		return m, err
	}
	m.recreated, err = meter.Int64Counter("complaints.bus.consumer.recreated",
		metric.WithUnit("{consumer}"), metric.WithDescription("Durable consumers found deleted while running and created again"))
	return m, err
}

func (m metrics) handled(ctx context.Context, durable, eventType, outcome string, started time.Time) {
	m.duration.Record(ctx, time.Since(started).Seconds(), metric.WithAttributes(
		attribute.String("consumer", durable), attribute.String("event.type", eventType), attribute.String("outcome", outcome)))
}

func (m metrics) deadLettered(ctx context.Context, durable, reason string) {
	m.deadLetters.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(
		attribute.String("consumer", durable), attribute.String("reason", reason)))
}
