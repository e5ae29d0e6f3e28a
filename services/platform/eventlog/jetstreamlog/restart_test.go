package jetstreamlog_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/eventlogtest"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// restartable is a log on an embedded server that a test may restart on the
// same store.
type restartable struct {
	srv *server.Server
	dir string
}

var servers sync.Map // *jetstreamlog.Log -> *restartable

func startServer(t *testing.T, dir string) *server.Server {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true, ServerName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	// The operator's provisioning: the log only binds to the stream.
	js, err := jetstream.New(natsservertest.ConnectForTest(t, srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := natswire.EnsureStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return srv
}

func openRestartable(t *testing.T, dir string) eventlog.Log {
	t.Helper()
	srv := startServer(t, dir)
	l := jetstreamlogtest.OpenForTest(t, natsservertest.ConnectForTest(t, srv.ClientURL()), jetstreamlog.Options{})
	servers.Store(l, &restartable{srv: srv, dir: dir})
	return l
}

// TestContractAcrossRestart: JetStream recognises an Any retry even after
// the server restarted (its duplicate window is kept on disk).
func TestContractAcrossRestart(t *testing.T) {
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return openRestartable(t, t.TempDir()) },
		eventlogtest.RecognisesAnyRetries(),
		eventlogtest.RecognisesAnyRetriesAcrossRestart(func(t *testing.T, l eventlog.Log) eventlog.Log {
			v, ok := servers.LoadAndDelete(l)
			if !ok {
				t.Fatal("log not opened by openRestartable")
			}
			r := v.(*restartable)
			_ = l.Close()
			r.srv.Shutdown()
			r.srv.WaitForShutdown()
			return openRestartable(t, r.dir)
		}))
}

// TestOriginIsTheFirstEvent: the log's identity is the id of its first
// event; an empty log has none yet.
func TestOriginIsTheFirstEvent(t *testing.T) {
	ctx := context.Background()
	l := openRestartable(t, t.TempDir())
	o, err := eventlog.OriginOf(ctx, l)
	if err != nil || o != (eventlog.Origin{Kind: "jetstreamlog/2"}) {
		t.Fatalf("origin of an empty log: %+v, %v", o, err)
	}
	first := uuid.NewString()
	for _, id := range []string{first, uuid.NewString()} {
		e := eventlog.EventData{ID: id, Type: "test.v1.E", SchemaVersion: 1}
		if _, err := l.Append(ctx, "case-"+uuid.NewString(), eventlog.NoStream(), e); err != nil {
			t.Fatal(err)
		}
	}
	o, err = eventlog.OriginOf(ctx, l)
	if err != nil || o != (eventlog.Origin{Kind: "jetstreamlog/2", ID: first}) {
		t.Fatalf("origin %+v, %v; want the first event's id", o, err)
	}
}
