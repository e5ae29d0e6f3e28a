package bus_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

func TestHandlingIsMeasured(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	l, js := setup(t)
	complaint := uuid.NewString()
	appendEvent(t, l, "case", complaint, "test.v1.Measured")
	appendEvent(t, l, "case", complaint, "test.v1.Measured")
	s := newSeen()
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-metrics", Authenticate: bus.TrustEveryWriter},
		func(_ context.Context, e eventlog.RecordedEvent) error { s.add(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, 2)
	c.Stop()

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var handled uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "complaints.bus.handle.duration" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				consumer, _ := dp.Attributes.Value(attribute.Key("consumer"))
				outcome, _ := dp.Attributes.Value(attribute.Key("outcome"))
				if consumer.AsString() == "test-metrics" && outcome.AsString() == "handled" {
					handled += dp.Count
				}
			}
		}
	}
	if handled != 2 {
		t.Fatalf("measured %d handled events, want 2", handled)
	}
}
