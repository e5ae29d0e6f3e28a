package jetstreamlog

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
)

// OpenForTest opens the log on nc and closes it when the test ends: the
// package's own tests' jetstreamlogtest.OpenForTest, which they cannot
// import (it imports this package).
func OpenForTest(t testing.TB, nc *nats.Conn, o Options) *Log {
	t.Helper()
	l, err := New(context.Background(), nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
