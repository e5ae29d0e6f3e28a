package timer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// childStoreEnv, when set, makes the test binary the process that sets the
// timer on the server stored in that folder, and then waits to be killed.
const childStoreEnv = "TIMER_TEST_KILLED_PROCESS_STORE"

const restartTimer = "c-1_deadline"

func TestATimerSetBeforeTheProcessIsKilledFiresOnceAfterTheRestart(t *testing.T) {
	if dir := os.Getenv(childStoreEnv); dir != "" {
		scheduleThenWaitToBeKilled(dir)
		return
	}
	t.Run("restarted before the due time", func(t *testing.T) { killAndRestart(t, false) })
	t.Run("restarted after the due time", func(t *testing.T) { killAndRestart(t, true) })
}

// killAndRestart runs a child process that sets a timer, kills it, and
// starts the server again on its store, before or after the timer's due time.
func killAndRestart(t *testing.T, afterDue bool) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestATimerSetBeforeTheProcessIsKilledFiresOnceAfterTheRestart$")
	cmd.Env = append(os.Environ(), childStoreEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The child says when the stream has stored the timer, and when it is due.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "scheduled "); ok {
				lines <- rest
			}
		}
		close(lines)
	}()
	var due time.Time
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("the child process ended without scheduling")
		}
		if due, err = time.Parse(time.RFC3339Nano, line); err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the child process did not schedule the timer")
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child process: %v; want killed", err)
	}
	if afterDue {
		time.Sleep(time.Until(due) + 100*time.Millisecond) // the server is down: nothing to wait on
	}

	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true, ServerName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc := natsservertest.ConnectForTest(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := timer.EnsureStream(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	ts := timer.New(js, timer.Options{})
	got := consume(t, ts, nil)
	f := got.next(t)
	if f.ID != restartTimer || !f.Due.Equal(due) || string(f.Command) != "set before the kill" {
		t.Fatalf("fired %+v", f)
	}
	settled(t, js)
	if n := messages(t, js, timer.FireSubject(service, restartTimer)); n != 1 || got.count() != 1 {
		t.Fatalf("%d messages, %d firings; want one", n, got.count())
	}
	if n := messages(t, js, timer.ScheduleSubject(service, restartTimer)); n != 0 {
		t.Fatalf("%d schedules left after the firing", n)
	}
}

// scheduleThenWaitToBeKilled runs in the child process: it starts the server
// on dir, sets a timer due in 1.5 s, reports it, and blocks until killed.
func scheduleThenWaitToBeKilled(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: true, ServerName: "test"})
	if err != nil {
		fail(err)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		fail(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := timer.EnsureStream(ctx, js); err != nil {
		fail(err)
	}
	ts := timer.New(js, timer.Options{})
	due := time.Now().Add(1500 * time.Millisecond)
	if err := ts.Schedule(ctx, timer.Timer{Service: service, ID: restartTimer, Due: due, Command: []byte("set before the kill")}); err != nil {
		fail(err)
	}
	fmt.Printf("scheduled %s\n", due.UTC().Format(time.RFC3339Nano))
	select {}
}
