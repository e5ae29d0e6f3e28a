package jetstreamlog_test

import (
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/eventlogtest"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
)

// open starts an embedded server (file store, fsync on every write) and the
// log on it.
func open(t testing.TB, o jetstreamlog.Options) *jetstreamlog.Log {
	t.Helper()
	nc, _ := natsservertest.JetStreamForTest(t)
	return jetstreamlogtest.OpenForTest(t, nc, o)
}

func TestContract(t *testing.T) {
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return open(t, jetstreamlog.Options{}) }, eventlogtest.RecognisesAnyRetries())
}
