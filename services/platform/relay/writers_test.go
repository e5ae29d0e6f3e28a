package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/relay"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// writersByCategory vouches for the events of some categories, refuses the
// others, and cannot tell at first for one of them, as a log whose metadata
// cannot be read for a while.
type writersByCategory struct {
	refused   string // category refused
	unsure    string // category it cannot tell about, the first failures times
	failures  int
	mu        sync.Mutex
	asked     map[string]int // event id -> times asked
	failed    int
	refusedID map[string]bool
}

func (w *writersByCategory) Vouch(_ context.Context, e eventlog.RecordedEvent) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked[e.ID]++
	cat, _, _ := eventlog.SplitStream(e.Stream)
	switch {
	case cat == w.refused:
		w.refusedID[e.ID] = true
		return "the stream's ACL does not keep it to its writer", nil
	case cat == w.unsure && w.failed < w.failures:
		w.failed++
		return "", errors.New("metadata unreadable for now")
	}
	return "", nil
}

func TestRelaysOnlyTheEventsWhoseWriterTheLogVouchesFor(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	e := newEnv(t)
	e.appendEvents(t, 60) // complaint-, case- and redress- streams, 20 each
	w := &writersByCategory{refused: "case", unsure: "redress", failures: 3, asked: map[string]int{}, refusedID: map[string]bool{}}
	rr := start(t, relay.New(e.src, e.js, e.cps, relay.Options{MaxInFlight: 16, Writers: w}))
	all := e.inLogOrder()
	last := all[len(all)-1].Position
	testkit.Eventually(t, "the checkpoint to pass every event", func() bool {
		p, err := e.cps.Load(context.Background(), "relay", e.origin(t))
		return err == nil && p == last
	})
	rr.stop(t)

	var want []string
	for _, ev := range all {
		if !strings.HasPrefix(ev.Stream, "case-") {
			want = append(want, ev.ID)
		}
	}
	var got []string
	for _, m := range targetMsgs(t, e.js) {
		got = append(got, m.Header.Get(natswire.HeaderMsgID))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("relayed %d events %v,\nwant the %d not of case- streams, in log order: %v", len(got), got, len(want), want)
	}
	w.mu.Lock()
	if len(w.refusedID) != 20 {
		t.Errorf("refused %d events, want the 20 of case- streams", len(w.refusedID))
	}
	for _, ev := range all {
		if w.asked[ev.ID] == 0 {
			t.Errorf("event %s of %s relayed without asking", ev.ID, ev.Stream)
		}
	}
	if w.failed != 3 {
		t.Errorf("the log could not tell %d times, want 3 (then asked again)", w.failed)
	}
	w.mu.Unlock()

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counted := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "complaints.relay.unvouched" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				c, _ := dp.Attributes.Value(attribute.Key("category"))
				counted[c.AsString()] += dp.Value
			}
		}
	}
	if len(counted) != 1 || counted["case"] != 20 {
		t.Errorf("unvouched events counted %v, want 20 of category case", counted)
	}
}
