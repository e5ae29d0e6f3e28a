// Package jetstreamlogtest opens the JetStream event log for tests and
// closes it when the test ends. Only tests import it: no service or tool
// links it into a binary.
package jetstreamlogtest

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
)

// OpenForTest opens the log on nc and closes it when the test ends.
func OpenForTest(t testing.TB, nc *nats.Conn, o jetstreamlog.Options) *jetstreamlog.Log {
	t.Helper()
	l, err := jetstreamlog.New(context.Background(), nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
