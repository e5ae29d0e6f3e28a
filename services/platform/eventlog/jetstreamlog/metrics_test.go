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

func TestAppendsAndBatchesAreMeasured(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	l := openLog(t, Options{})
	ctx := context.Background()
	ok := request(t, "case-measured", eventlog.NoStream(), 1)
	if _, err := l.Append(ctx, ok.stream, ok.expected, ok.events...); err != nil {
		t.Fatal(err)
	}
	again := request(t, "case-measured", eventlog.NoStream(), 1)
	if _, err := l.Append(ctx, again.stream, again.expected, again.events...); !eventlog.IsWrongExpectedVersion(err) {
		t.Fatalf("second no-stream append: %v", err)
	}
	l.publishGroup([]*appendRequest{request(t, "case-m1", eventlog.Any(), 1), request(t, "case-m2", eventlog.Any(), 2)})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	appends := map[string]uint64{}
	var batches, batched int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case "complaints.eventlog.append.duration":
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					outcome, _ := dp.Attributes.Value(attribute.Key("outcome"))
					appends[outcome.AsString()] += dp.Count
				}
			case "complaints.eventlog.batch.appends":
				for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
					batches += int64(dp.Count)
					batched += dp.Sum
				}
			}
		}
	}
	if appends["ok"] != 1 || appends["conflict"] != 1 {
		t.Errorf("appends measured by outcome %v, want one ok and one conflict", appends)
	}
	if batches != 1 || batched != 2 {
		t.Errorf("measured %d batches of %d appends, want one of two", batches, batched)
	}
}
