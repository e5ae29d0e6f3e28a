package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

// countStreams answers, for every JetStream stream stored in dataDir (the
// data directory of a stopped server), the messages it holds and the
// messages ever written to it (its last sequence: a timer's schedule or a
// bucket's key rolled up or replaced is gone from the first count, not from
// the second; with sync always, each write is one fsync). An embedded server
// without users is started on its store, on a free loopback port, and its
// streams listed. The servers' users all belong to the global account, which
// an anonymous client sees.
//
// The reading server recovers the streams as they were stored; a timer that
// fell due while the server was stopped could fire on recovery and add a
// message, but after a completed run none is due (the long clocks are days
// away, the follow-up's chasers cancelled by the answers).
func countStreams(ctx context.Context, dataDir string) (stored, written map[string]int64, err error) {
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dataDir, ServerName: "benchcompare"})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	nc, err := nats.Connect(srv.ClientURL(), nats.Name("benchcompare"))
	if err != nil {
		return nil, nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	stored, written = map[string]int64{}, map[string]int64{}
	streams := js.ListStreams(ctx)
	for info := range streams.Info() {
		stored[info.Config.Name] = int64(info.State.Msgs)
		written[info.Config.Name] = int64(info.State.LastSeq)
	}
	if err := streams.Err(); err != nil {
		return nil, nil, fmt.Errorf("list streams: %w", err)
	}
	if len(stored) == 0 {
		return nil, nil, fmt.Errorf("no stream in %s", dataDir)
	}
	return stored, written, nil
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
