package timer_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// connectAs connects to a server running the generated permissions as one
// user, holding only that user's credentials.
func connectAs(t *testing.T, url, creds, user string) jetstream.JetStream {
	t.Helper()
	opts, err := natsauth.ClientOptions(natsauthtest.OwnCredentialsForTest(t, creds, user), user)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// A timer that is already due when it is set (a chaser whose time passed
// while the service was stopped) reaches its service under the permissions
// the service runs with in production.
func TestAnOverdueTimerFiresUnderTheGeneratedPermissions(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	if _, err := timer.EnsureStream(t.Context(), connectAs(t, url, creds, natsauth.Operator)); err != nil {
		t.Fatal(err)
	}
	js := connectAs(t, url, creds, service)
	now := time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC)
	ts := timer.New(js, timer.Options{Clock: timer.ClockFunc(func() time.Time { return now })})
	f := consume(t, ts, nil)
	for _, due := range []time.Time{now, now.Add(-time.Minute)} {
		tid := id(t, "c-"+due.Format("150405"), "chaser")
		if err := ts.Schedule(t.Context(), timer.Timer{Service: service, ID: tid, Due: due, Kind: "chase", ComplaintID: "c-1"}); err != nil {
			t.Fatalf("an overdue timer could not be set: %v", err)
		}
		got := f.next(t)
		if got.ID != tid || !got.Due.Equal(due) {
			t.Fatalf("fired %s due %s, want %s due %s", got.ID, got.Due, tid, due)
		}
	}
}

// One service cannot fire another's timer: neither by publishing on its fire
// subject (refused by the permissions) nor by a schedule of its own that names
// the other's fire subject as its target (the server says which schedule a
// firing came from, and the consumer refuses a firing from a schedule that
// is not the timer's own).
func TestAServiceCannotFireAnotherServicesTimer(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	if _, err := timer.EnsureStream(t.Context(), connectAs(t, url, creds, natsauth.Operator)); err != nil {
		t.Fatal(err)
	}
	victim := timer.New(connectAs(t, url, creds, service), timer.Options{})
	f := consume(t, victim, nil)
	forger := connectAs(t, url, creds, "prevention")
	target := timer.FireSubject(service, "c-1_closure")
	forged := func(subject string) *nats.Msg {
		m := nats.NewMsg(subject)
		m.Header.Set(timer.HeaderService, service)
		m.Header.Set(timer.HeaderID, "c-1_closure")
		m.Header.Set(timer.HeaderFireID, service+".c-1_closure@2031-03-04T10:00:00Z")
		m.Header.Set(timer.HeaderDue, "2031-03-04T10:00:00Z")
		return m
	}

	// Straight onto the fire subject: the server refuses it.
	if _, err := forger.PublishMsg(t.Context(), forged(target)); err == nil {
		t.Fatal("prevention published on followup's fire subject")
	}

	// Through a schedule of prevention's own that targets followup's timer.
	m := forged(timer.ScheduleSubject("prevention", "c-1_forged"))
	m.Header.Set(jetstream.ScheduleHeader, "@at "+time.Now().Add(-time.Second).UTC().Format(time.RFC3339))
	m.Header.Set(jetstream.ScheduleTargetHeader, target)
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	if _, err := forger.PublishMsg(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	// The server fires it onto followup's subject; followup's consumer must
	// refuse it. A genuine timer set afterwards is the next firing followup
	// handles, which shows the forged one was seen and refused before it.
	stream, err := connectAs(t, url, creds, natsauth.Operator).Stream(t.Context(), timer.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the server to fire the forged schedule", func() bool {
		_, err := stream.GetLastMsgForSubject(t.Context(), target)
		return err == nil
	})
	genuine := id(t, "c-2", "closure")
	if err := victim.Schedule(t.Context(), timer.Timer{Service: service, ID: genuine, Due: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if got := f.next(t); got.ID != genuine {
		t.Fatalf("followup handled %s (a forged firing), want its own %s", got.ID, genuine)
	}
	if n := f.count(); n != 1 {
		t.Fatalf("followup handled %d firings, want 1", n)
	}
}

// A service may read what stands on its timers' schedule subjects, so that
// it spares the writes that change nothing: under the generated permissions
// a timer set again as it is, or cancelled twice, is written once.
func TestAServiceReadsItsPendingSchedulesUnderTheGeneratedPermissions(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	operator := connectAs(t, url, creds, natsauth.Operator)
	if _, err := timer.EnsureStream(t.Context(), operator); err != nil {
		t.Fatal(err)
	}
	ts := timer.New(connectAs(t, url, creds, service), timer.Options{})
	tid := id(t, "c-1", "clocks")
	x := timer.Timer{Service: service, ID: tid, Due: time.Now().Add(time.Hour), Kind: "warning", ComplaintID: "c-1"}
	for _, step := range []func() error{
		func() error { return ts.Schedule(t.Context(), x) },
		func() error { return ts.Schedule(t.Context(), x) },
		func() error { return ts.Cancel(t.Context(), service, tid) },
		func() error { return ts.Cancel(t.Context(), service, tid) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	// Two writes: the schedule and its tombstone. A refused read would have
	// written all four.
	if n := lastSeq(t, operator); n != 2 {
		t.Fatalf("%d writes to the timers stream, want 2", n)
	}
}

// A server whose permissions predate the read (it refuses the service's
// request for a schedule's message, which then times out) still gets every
// timer written: a write that cannot look writes as before.
func TestTimersAreWrittenWhereTheirStreamCannotBeRead(t *testing.T) {
	deny := []string{"$JS.API.STREAM.MSG.GET.>", "$JS.API.DIRECT.GET.>"}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{
			{Username: "operator", Password: "operator"},
			{Username: "service", Password: "service", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: []string{">"}, Deny: deny},
				Subscribe: &server.SubjectPermission{Allow: []string{">"}},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	as := func(user string) jetstream.JetStream {
		nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo(user, user), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	operator := as("operator")
	if _, err := timer.EnsureStream(t.Context(), operator); err != nil {
		t.Fatal(err)
	}
	ts := timer.New(as("service"), timer.Options{})
	tid := id(t, "c-1", "clocks")
	x := timer.Timer{Service: service, ID: tid, Due: time.Now().Add(time.Hour), Kind: "warning", ComplaintID: "c-1"}
	for _, step := range []func() error{
		func() error { return ts.Schedule(t.Context(), x) },
		func() error { return ts.Schedule(t.Context(), x) },
		func() error { return ts.Cancel(t.Context(), service, tid) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if n := lastSeq(t, operator); n != 3 {
		t.Fatalf("%d writes to the timers stream, want 3 (nothing could be read, so nothing was spared)", n)
	}
}
