package jetstreamlog

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// BenchmarkAppend measures appends of one event, and of three (one
// message each), to a new stream each, from many goroutines at once, on a
// server that fsyncs every write.
//
//	make bench
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("%d-events", n), func(b *testing.B) {
			l := openLog(b, Options{})
			ctx := context.Background()
			payload := make([]byte, 512)
			b.SetParallelism(benchParallelism)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := uuid.NewString()
					events := make([]eventlog.EventData, n)
					for i := range events {
						events[i] = eventlog.EventData{ID: uuid.NewString(), Type: "bench.v1.E", SchemaVersion: 1, Data: payload,
							Metadata: eventlog.Metadata{ComplaintID: id}}
					}
					if _, err := l.Append(ctx, eventlog.StreamName("complaint", id), eventlog.NoStream(), events...); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkReadTimeline reads the timeline of a complaint of 12 events.
func BenchmarkReadTimeline(b *testing.B) {
	l := openLog(b, Options{})
	ctx := context.Background()
	id := uuid.NewString()
	for i := range 12 {
		cat := []string{"complaint", "case", "redress", "followup"}[i%4]
		e := eventlog.EventData{ID: uuid.NewString(), Type: "bench.v1.E", SchemaVersion: 1, Data: []byte("x")}
		if _, err := l.Append(ctx, eventlog.StreamName(cat, id), eventlog.Any(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := l.ReadTimeline(ctx, id)
		if err != nil || len(got) != 12 {
			b.Fatalf("%d events, %v", len(got), err)
		}
	}
}

// benchParallelism times GOMAXPROCS goroutines append at once.
var benchParallelism = 16

// BenchmarkAppendAlone measures one append at a time: the latency of an
// append on an idle log, for one event and for two (one message either way).
func BenchmarkAppendAlone(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("%d-events", n), func(b *testing.B) {
			l := openLog(b, Options{})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				id := uuid.NewString()
				events := make([]eventlog.EventData, n)
				for i := range events {
					events[i] = eventlog.EventData{ID: uuid.NewString(), Type: "bench.v1.E", SchemaVersion: 1, Data: []byte("x")}
				}
				if _, err := l.Append(ctx, eventlog.StreamName("complaint", id), eventlog.NoStream(), events...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
