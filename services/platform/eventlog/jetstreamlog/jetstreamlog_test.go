package jetstreamlog_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/eventlogtest"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
)

// open starts an embedded server (file store, fsync on every write) and the
// log on it.
func open(t testing.TB, o jetstreamlog.Options) *jetstreamlog.Log {
	t.Helper()
	_, url := natsserver.RunForTest(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	l, err := jetstreamlog.New(context.Background(), nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestContract(t *testing.T) {
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return open(t, jetstreamlog.Options{}) })
}

func TestContractWithoutCoalescing(t *testing.T) {
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return open(t, jetstreamlog.Options{NoCoalescing: true}) })
}
