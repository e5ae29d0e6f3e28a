package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// BenchmarkConsume measures handling throughput: b.N events of 100
// complaints already in the stream, a handler that does nothing, 16 workers;
// the clock stops when the durable's ack floor reaches the last event.
func BenchmarkConsume(b *testing.B) {
	_, js := natsservertest.JetStreamForTest(b)
	ctx := context.Background()
	if _, err := natswire.EnsureStream(ctx, js); err != nil {
		b.Fatal(err)
	}
	complaints := make([]string, 100)
	for i := range complaints {
		complaints[i] = uuid.NewString()
	}
	for i := range b.N {
		c := complaints[i%len(complaints)]
		m, _ := natswire.Message(eventlog.StreamName("case", c), eventlog.EventData{ID: uuid.NewString(), Type: "test.v1.Step",
			Data: []byte("x"), Metadata: eventlog.Metadata{ComplaintID: c}})
		if _, err := js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			<-js.PublishAsyncComplete()
		}
	}
	<-js.PublishAsyncComplete()

	b.ResetTimer()
	cons, err := bus.Consume(ctx, js, bus.Subscription{Durable: "bench", Authenticate: bus.TrustEveryWriter},
		func(context.Context, eventlog.RecordedEvent) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	defer cons.Stop()
	durable, err := js.Consumer(ctx, natswire.StreamName, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for {
		info, err := durable.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if info.AckFloor.Stream >= uint64(b.N) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
}
