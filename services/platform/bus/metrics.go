package bus

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/natsreply"
)

// metrics are a consumer's instruments, on its subscription's meter
// provider.
type metrics struct {
	// duration measures event handling, by consumer, event type and outcome
	// (handled, ignored, dead-lettered, stopped).
	duration metric.Float64Histogram
	// deadLetters counts dead letters, by consumer and reason.
	deadLetters metric.Int64Counter
	// recreated counts durables found deleted and created again, by consumer.
	recreated metric.Int64Counter
	// replies counts the re-drive requests refused for their reply subject.
	replies *natsreply.Metrics
}

func newMetrics(mp metric.MeterProvider) (metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter("github.com/complaintflow/complaintflow/services/platform/bus")
	m := metrics{replies: natsreply.NewMetrics(mp)}
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
