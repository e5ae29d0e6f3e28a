package natsauth_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// secured starts a server that accepts only the generated users, with the
// event stream and a customer key in place.
func secured(t *testing.T) (url, creds string) {
	t.Helper()
	url, creds = natsauthtest.RunForTest(t)
	op, _ := connect(t, url, creds, natsauth.Operator)
	js, _ := jetstream.New(op)
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, natsauth.CustomerKeys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "c.someone", []byte("a wrapped key")); err != nil {
		t.Fatal(err)
	}
	return url, creds
}

// connect connects as user and returns the connection with the permission
// violations the server reports to it.
func connect(t *testing.T, url, creds, user string) (*nats.Conn, <-chan error) {
	t.Helper()
	opts, err := natsauth.ClientOptions(creds, user)
	if err != nil {
		t.Fatal(err)
	}
	violations := make(chan error, 16)
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			select {
			case violations <- err:
			default:
			}
		}
	}))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, violations
}

func waitViolation(t *testing.T, v <-chan error, subject string) {
	t.Helper()
	select {
	case err := <-v:
		if !strings.Contains(err.Error(), subject) {
			t.Fatalf("violation %v, want one for %s", err, subject)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no permission violation reported for %s", subject)
	}
}

// stored counts the messages the event stream holds on subject.
func stored(t *testing.T, url, creds, subject string) uint64 {
	t.Helper()
	op, _ := connect(t, url, creds, natsauth.Operator)
	js, _ := jetstream.New(op)
	st, err := js.Stream(context.Background(), natsauth.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

func event(subject, eventType, service string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(natswire.HeaderMsgID, subject+"|"+eventType)
	m.Header.Set(natswire.HeaderEventType, eventType)
	m.Header.Set(natswire.HeaderService, service)
	m.Data = []byte{0x0a, 0x01, 0x31}
	return m
}

func TestAnonymousConnectionIsRefused(t *testing.T) {
	url, _ := secured(t)
	nc, err := nats.Connect(url)
	if err == nil {
		nc.Close()
		t.Fatal("anonymous connection accepted")
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("err = %v, want an authorization violation", err)
	}
}

func TestForgedCaseResolvedFromIntakeIsRefusedAtPublish(t *testing.T) {
	url, creds := secured(t)
	nc, violations := connect(t, url, creds, "intake")
	js, _ := jetstream.New(nc)
	subject := "complaints.events.case.c-1"
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := js.PublishMsg(ctx, event(subject, "complaints.v1.CaseResolved", "resolution")); err == nil {
		t.Fatal("JetStream publish of a forged CaseResolved acknowledged")
	}
	waitViolation(t, violations, subject)
	// The same forgery as a plain core-NATS publish.
	if err := nc.PublishMsg(event(subject, "complaints.v1.CaseResolved", "resolution")); err != nil {
		t.Fatal(err)
	}
	waitViolation(t, violations, subject)
	if n := stored(t, url, creds, subject); n != 0 {
		t.Fatalf("stream holds %d forged events", n)
	}
}

func TestServiceCannotPublishAnotherServicesEvent(t *testing.T) {
	url, creds := secured(t)
	for _, s := range natsauth.Services {
		nc, violations := connect(t, url, creds, s.Name)
		for _, other := range natsauth.Services {
			if other.Name == s.Name {
				continue
			}
			subject := "complaints.events." + other.Category + ".x-" + s.Name
			if err := nc.PublishMsg(event(subject, "complaints.v1.Anything", s.Name)); err != nil {
				t.Fatal(err)
			}
			waitViolation(t, violations, subject)
		}
	}
	if n := stored(t, url, creds, "complaints.events.>"); n != 0 {
		t.Fatalf("stream holds %d events published by the wrong service", n)
	}
}

func TestServicePublishesItsOwnEvents(t *testing.T) {
	url, creds := secured(t)
	for _, s := range natsauth.Services {
		nc, _ := connect(t, url, creds, s.Name)
		js, _ := jetstream.New(nc)
		subject := "complaints.events." + s.Category + ".own-1"
		if _, err := js.PublishMsg(context.Background(), event(subject, "complaints.v1.Own", s.Name)); err != nil {
			t.Fatalf("%s publishing its own event: %v", s.Name, err)
		}
	}
	if n := stored(t, url, creds, "complaints.events.>"); n != uint64(len(natsauth.Services)) {
		t.Fatalf("stream holds %d events, want %d", n, len(natsauth.Services))
	}
}

func TestOutsideSystemCannotPublishAnyEvent(t *testing.T) {
	url, creds := secured(t)
	nc, violations := connect(t, url, creds, natsauth.Outside)
	for _, s := range natsauth.Services {
		subject := "complaints.events." + s.Category + ".x-1"
		if err := nc.PublishMsg(event(subject, "complaints.v1.Anything", s.Name)); err != nil {
			t.Fatal(err)
		}
		waitViolation(t, violations, subject)
	}
	if n := stored(t, url, creds, "complaints.events.>"); n != 0 {
		t.Fatalf("stream holds %d events published by an outside system", n)
	}
	// It may read the stream, with a consumer of its own.
	intake, _ := connect(t, url, creds, "intake")
	ijs, _ := jetstream.New(intake)
	if _, err := ijs.PublishMsg(context.Background(), event("complaints.events.complaint.c-9", "complaints.v1.ComplaintReceived", "intake")); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), natsauth.EventStream)
	if err != nil {
		t.Fatalf("outside system reading the stream's info: %v", err)
	}
	cons, err := st.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("outside system reading the stream: %v", err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || m.Subject() != "complaints.events.complaint.c-9" {
		t.Fatalf("outside system reading an event: %v", err)
	}
}

func TestRelayRepublishesEveryCategoryButTouchesNoKey(t *testing.T) {
	url, creds := secured(t)
	nc, violations := connect(t, url, creds, natsauth.Relay)
	js, _ := jetstream.New(nc)
	for _, s := range natsauth.Services {
		subject := "complaints.events." + s.Category + ".relayed-1"
		if _, err := js.PublishMsg(context.Background(), event(subject, "complaints.v1.Relayed", s.Name)); err != nil {
			t.Fatalf("relay republishing %s: %v", subject, err)
		}
	}
	if err := nc.Publish("$KV.customer-keys.c.someone", nil); err != nil {
		t.Fatal(err)
	}
	waitViolation(t, violations, "$KV.customer-keys")
}

func TestOutsideSystemCannotTakeOverAServicesConsumer(t *testing.T) {
	url, creds := secured(t)
	nc, violations := connect(t, url, creds, natsauth.Outside)
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := js.CreateOrUpdateConsumer(ctx, natsauth.EventStream, jetstream.ConsumerConfig{Durable: "resolution-lifecycle", FilterSubject: "complaints.events.nothing.*"})
	if err == nil {
		t.Fatal("outside system changed resolution's consumer")
	}
	waitViolation(t, violations, "resolution-lifecycle")
}

func TestCustomerKeysAreDeniedToOtherServices(t *testing.T) {
	url, creds := secured(t)
	for _, user := range append(natsauth.Users()[1:5], natsauth.Outside, natsauth.Relay) {
		nc, violations := connect(t, url, creds, user)
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		if _, err := js.KeyValue(ctx, natsauth.CustomerKeys); err == nil {
			t.Errorf("%s opened the customer-keys bucket", user)
		}
		cancel()
		waitViolation(t, violations, "KV_customer-keys")
		// Reading a key directly, bypassing the bucket's API.
		ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET.KV_customer-keys.$KV.customer-keys.c.someone", nil)
		cancel()
		if err == nil {
			t.Errorf("%s read a customer's key", user)
		}
		waitViolation(t, violations, "KV_customer-keys")
		if err := nc.Publish("$KV.customer-keys.c.someone", nil); err != nil {
			t.Fatal(err)
		}
		waitViolation(t, violations, "$KV.customer-keys")
	}
	// Intake's user reads it.
	nc, _ := connect(t, url, creds, "intake")
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), natsauth.CustomerKeys)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(context.Background(), "c.someone"); err != nil || string(e.Value()) != "a wrapped key" {
		t.Fatalf("intake reading a key: %v", err)
	}
}

// The embedded server has a relay user only where a relay runs (EventStoreDB
// as the log): without one, no relay seed is written and the server knows no
// relay; with one, the relay connects with its seed.
func TestEmbeddedUsersHaveARelayOnlyWhereARelayRuns(t *testing.T) {
	for _, relay := range []bool{false, true} {
		dir := t.TempDir()
		pubs, err := natsauth.EnsureSeedsOf(dir, natsauth.EmbeddedUsers(relay))
		if err != nil {
			t.Fatal(err)
		}
		users, err := natsauth.ServerUsers(pubs)
		if err != nil {
			t.Fatal(err)
		}
		_, seeded := pubs[natsauth.Relay]
		_, statErr := os.Stat(natsauth.SeedFile(dir, natsauth.Relay))
		if seeded != relay || (statErr == nil) != relay {
			t.Fatalf("relay running %v: relay key %v, seed file %v", relay, seeded, statErr)
		}
		if len(users) != len(natsauth.EmbeddedUsers(relay)) {
			t.Fatalf("relay running %v: %d server users, want %d", relay, len(users), len(natsauth.EmbeddedUsers(relay)))
		}
		srv, err := natsserver.Start(natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Users: users, ServerName: "relay-users"})
		if err != nil {
			t.Fatal(err)
		}
		if !relay {
			// A relay key the server does not know, as a client would present one.
			kp, _ := nkeys.CreateUser()
			seed, _ := kp.Seed()
			if err := os.WriteFile(natsauth.SeedFile(dir, natsauth.Relay), seed, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		opts, err := natsauth.ClientOptions(dir, natsauth.Relay)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := nats.Connect(srv.ClientURL(), opts...)
		if (err == nil) != relay {
			t.Errorf("relay running %v: relay connecting: %v", relay, err)
		}
		if nc != nil {
			nc.Close()
		}
		srv.Shutdown()
		srv.WaitForShutdown()
	}
	if slices.Contains(natsauth.EmbeddedUsers(false), natsauth.Relay) || !slices.Contains(natsauth.EmbeddedUsers(true), natsauth.Relay) {
		t.Fatal("EmbeddedUsers")
	}
}
