package jetstreamlog_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// Two instances of a service, each connected first to a node of its own,
// read each other's writes at once: a read on a replicated stream reaches
// the last message the stream leader holds on the subject, even when a
// follower that has not yet stored it answers the direct get (ADR 0042).
func TestOnAClusterAnInstanceReadsWhatAnotherJustWrote(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := natsservertest.ProvisionedClusterForTest(t)
	leader := c.StreamLeader(natswire.StreamName)
	writer := jetstreamlog.OpenForTest(t, c.ConnectFirstTo(leader), jetstreamlog.Options{})
	// A reader on each follower: the one that was not needed for the
	// write's quorum may not hold it yet.
	var readers []eventlog.Log
	for n := range c.Size() {
		if n != leader {
			readers = append(readers, jetstreamlog.OpenForTest(t, c.ConnectFirstTo(n), jetstreamlog.Options{}))
		}
	}
	ctx := context.Background()
	for i := range 600 {
		reader := readers[i%len(readers)]
		id := uuid.NewString()
		stream := eventlog.StreamName("case", id)
		ev := complaintEvent(stream, "round")
		if _, err := writer.Append(ctx, stream, eventlog.NoStream(), ev); err != nil {
			t.Fatal(err)
		}
		got, err := reader.ReadStream(ctx, stream, eventlog.FromStart)
		if err != nil || len(got) != 1 || got[0].ID != ev.ID {
			t.Fatalf("write %d: the other instance read %d events (%v), want the one just written", i, len(got), err)
		}
		timeline, err := reader.ReadTimeline(ctx, id)
		if err != nil || len(timeline) != 1 {
			t.Fatalf("write %d: the other instance's timeline holds %d events (%v), want 1", i, len(timeline), err)
		}
	}
}
