package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

// countStreams answers the message count of every JetStream stream stored
// in dataDir, the data directory of a stopped server: an embedded server
// without users is started on its store, on a free loopback port, and its
// streams listed. The servers' users all belong to the global account, which
// an anonymous client sees.
//
// The reading server recovers the streams as they were stored; a timer that
// fell due while the server was stopped could fire on recovery and add a
// message, but after a completed run none is due (the long clocks are days
// away, the follow-up's chasers cancelled by the answers).
func countStreams(ctx context.Context, dataDir string) (map[string]int64, error) {
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dataDir, ServerName: "benchcompare"})
	if err != nil {
		return nil, err
	}
	defer func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	nc, err := nats.Connect(srv.ClientURL(), nats.Name("benchcompare"))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out := map[string]int64{}
	streams := js.ListStreams(ctx)
	for info := range streams.Info() {
		out[info.Config.Name] = int64(info.State.Msgs)
	}
	if err := streams.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no stream in %s", dataDir)
	}
	return out, nil
}

// eventStreams are the streams of the event log.
var eventStreams = []string{"COMPLAINT_EVENTS"}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
