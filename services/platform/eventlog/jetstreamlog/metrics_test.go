package jetstreamlog

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

func TestAppendsAndTheirEventsAreMeasured(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	l := openLog(t, Options{})
	ctx := context.Background()
	if _, err := l.Append(ctx, "case-measured", eventlog.NoStream(), someEvents(1)...); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "case-measured", eventlog.NoStream(), someEvents(1)...); !eventlog.IsWrongExpectedVersion(err) {
		t.Fatalf("second no-stream append: %v", err)
	}
	if _, err := l.Append(ctx, "case-m2", eventlog.Any(), someEvents(3)...); err != nil {
		t.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	appends := map[string]uint64{}
	var measured, events int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case "complaints.eventlog.append.duration":
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					outcome, _ := dp.Attributes.Value(attribute.Key("outcome"))
					appends[outcome.AsString()] += dp.Count
				}
			case "complaints.eventlog.append.events":
				for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
					measured += int64(dp.Count)
					events += dp.Sum
				}
			}
		}
	}
	if appends["ok"] != 2 || appends["conflict"] != 1 {
		t.Errorf("appends measured by outcome %v, want two ok and one conflict", appends)
	}
	if measured != 2 || events != 4 {
		t.Errorf("measured %d appends of %d events, want two of four", measured, events)
	}
}
