package provision_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

func bare(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv := natsservertest.RunBareForTest(t)
	nc := natsservertest.ConnectForTest(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func configs(t *testing.T, js jetstream.JetStream) map[string]jetstream.StreamConfig {
	t.Helper()
	out := map[string]jetstream.StreamConfig{}
	for _, name := range provision.StreamNames() {
		st, err := js.Stream(t.Context(), name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		out[name] = st.CachedInfo().Config
	}
	return out
}

// Provisioning creates every stream and bucket; running it again changes
// nothing; Check then finds everything as provisioned.
func TestProvisionCreatesEverythingAndAgainChangesNothing(t *testing.T) {
	js := bare(t)
	if err := provision.Check(t.Context(), js); err == nil || !strings.Contains(err.Error(), provision.Hint) {
		t.Fatalf("check of an empty server: %v, want an error saying %q", err, provision.Hint)
	}
	if err := provision.Provision(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	if err := provision.Check(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	want := []string{"COMPLAINT_EVENTS", "COMPLAINT_TIMERS", "COMPLAINT_DEAD_LETTERS", "KV_checkpoints", "KV_projections", "KV_customer-keys"}
	if got := provision.StreamNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("streams %v, want %v", got, want)
	}
	first := configs(t, js)
	if err := provision.Provision(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	if again := configs(t, js); !reflect.DeepEqual(again, first) {
		t.Fatalf("provisioning again changed the streams:\n%+v\nwas\n%+v", again, first)
	}
}

// A stream whose settings were changed behind the operator's back (a source
// added) fails the check, and provisioning brings it back.
func TestCheckRefusesAStreamChangedAndProvisionRepairsIt(t *testing.T) {
	js := bare(t)
	if err := provision.Provision(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), "KV_checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.Sources = []*jetstream.StreamSource{{Name: "KV_customer-keys"}}
	if _, err := js.UpdateStream(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	err = provision.Check(t.Context(), js, "KV_checkpoints")
	if err == nil || !strings.Contains(err.Error(), "sources") || !strings.Contains(err.Error(), provision.Hint) {
		t.Fatalf("check: %v, want the sources named and %q", err, provision.Hint)
	}
	if err := provision.Provision(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	if err := provision.Check(t.Context(), js); err != nil {
		t.Fatal(err)
	}
}

// A service binds to what the operator provisioned and creates nothing:
// with the timer stream missing, it says to provision.
func TestAServiceRefusesToStartWhenAStreamIsMissing(t *testing.T) {
	js := bare(t)
	if err := provision.Provision(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(t.Context(), timer.StreamName); err != nil {
		t.Fatal(err)
	}
	err := provision.Check(t.Context(), js, timer.StreamName)
	if err == nil || !strings.Contains(err.Error(), "stream COMPLAINT_TIMERS is missing: run complaintctl provision as the operator") {
		t.Fatalf("check: %v", err)
	}
	if err := js.DeleteKeyValue(t.Context(), provision.CheckpointBucket); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.NewKV(t.Context(), js, provision.CheckpointBucket); err == nil || !strings.Contains(err.Error(), provision.Hint) {
		t.Fatalf("checkpoint store over a missing bucket: %v, want it refused saying %q", err, provision.Hint)
	}
	if _, err := js.Stream(t.Context(), "KV_"+provision.CheckpointBucket); err == nil {
		t.Fatal("opening the checkpoint store created its bucket")
	}
}

// The names are the permission matrix's.
func TestTheNamesAreTheMatrixs(t *testing.T) {
	if provision.CheckpointBucket != natsauth.CheckpointBucket || provision.ProjectionBucket != natsauth.ProjectionBucket ||
		provision.CustomerKeys != natsauth.CustomerKeys {
		t.Fatal("bucket names differ from natsauth's")
	}
	names := provision.StreamNames()
	for _, s := range []string{natsauth.EventStream, natsauth.TimerStream, natsauth.DeadLetterStream} {
		if !strings.Contains(strings.Join(names, " "), s) {
			t.Fatalf("%s not provisioned", s)
		}
	}
}

// Under the generated permissions a service checks what it uses.
func TestAServiceUserMayCheck(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	opts, err := natsauth.ClientOptions(creds, "prevention")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := provision.Check(ctx, js, "COMPLAINT_EVENTS", "COMPLAINT_TIMERS", "COMPLAINT_DEAD_LETTERS", "KV_checkpoints", "KV_projections"); err != nil {
		t.Fatal(err)
	}
}
