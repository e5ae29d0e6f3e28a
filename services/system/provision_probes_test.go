package system_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	compadapters "github.com/complaintflow/complaintflow/services/compensation/adapters"
	followadapters "github.com/complaintflow/complaintflow/services/followup/adapters"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	prevadapters "github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/resolution"
)

// provJetStream connects to a server running the generated permissions as
// one user, holding only that user's credentials.
func provJetStream(t *testing.T, url, creds, user string) jetstream.JetStream {
	t.Helper()
	opts, err := natsauth.ClientOptions(natsauthtest.OwnCredentialsForTest(t, creds, user), user)
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
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

// provConfigs reads every provisioned stream's settings as the operator.
func provConfigs(t *testing.T, op jetstream.JetStream) map[string]jetstream.StreamConfig {
	t.Helper()
	out := map[string]jetstream.StreamConfig{}
	for _, name := range provision.StreamNames() {
		st, err := op.Stream(t.Context(), name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		out[name] = st.CachedInfo().Config
	}
	return out
}

// provRefused runs a JetStream API call that the user's permissions must
// refuse: the server drops the request, so it fails (no answer in time).
func provRefused(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := call(ctx); err == nil {
		t.Errorf("%s: allowed, want refused", what)
	}
}

// No service may create, change, seal or delete a stream or a bucket's
// stream: not compensation pulling customer keys into its checkpoints with
// a source and a subject transform, nor capturing the intake submissions by
// adding their subject to the checkpoints bucket; not prevention sealing the
// timers; not intake deleting the dead letters or creating a stream of its
// own. Every stream keeps its settings, and timers still fire.
func TestServicesCannotCreateChangeOrDeleteStreams(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	op := provJetStream(t, url, creds, natsauth.Operator)
	if err := provision.Provision(t.Context(), op); err != nil {
		t.Fatal(err)
	}
	before := provConfigs(t, op)

	comp := provJetStream(t, url, creds, "compensation")
	cps := before["KV_"+natsauth.CheckpointBucket]
	withSource := cps
	withSource.Sources = []*jetstream.StreamSource{{
		Name: "KV_" + natsauth.CustomerKeys,
		SubjectTransforms: []jetstream.SubjectTransformConfig{{
			Source: "$KV." + natsauth.CustomerKeys + ".>", Destination: "$KV." + natsauth.CheckpointBucket + ".compensation.stolen.>",
		}},
	}}
	provRefused(t, "compensation adds a source of customer keys to its checkpoints", func(ctx context.Context) error {
		_, err := comp.UpdateStream(ctx, withSource)
		return err
	})
	withSubmit := cps
	withSubmit.Subjects = append(append([]string(nil), cps.Subjects...), "complaints.intake.submit")
	provRefused(t, "compensation adds complaints.intake.submit to its checkpoints", func(ctx context.Context) error {
		_, err := comp.UpdateStream(ctx, withSubmit)
		return err
	})

	prev := provJetStream(t, url, creds, "prevention")
	sealed := before[timer.StreamName]
	sealed.Sealed = true
	provRefused(t, "prevention seals the timers", func(ctx context.Context) error {
		_, err := prev.UpdateStream(ctx, sealed)
		return err
	})
	provRefused(t, "prevention deletes the timers", func(ctx context.Context) error {
		return prev.DeleteStream(ctx, timer.StreamName)
	})

	intake := provJetStream(t, url, creds, "intake")
	provRefused(t, "intake deletes the dead letters", func(ctx context.Context) error {
		return intake.DeleteStream(ctx, bus.DeadLetterStream)
	})
	provRefused(t, "intake creates a stream", func(ctx context.Context) error {
		_, err := intake.CreateStream(ctx, jetstream.StreamConfig{Name: "CAPTURE", Subjects: []string{"complaints.intake.submit"}})
		return err
	})
	provRefused(t, "compensation updates the projections bucket", func(ctx context.Context) error {
		p := before["KV_"+natsauth.ProjectionBucket]
		p.MaxMsgsPerSubject = 64
		_, err := comp.UpdateStream(ctx, p)
		return err
	})

	after := provConfigs(t, op)
	for name, want := range before {
		if !reflect.DeepEqual(after[name], want) {
			t.Errorf("stream %s changed:\n got %+v\nwant %+v", name, after[name], want)
		}
	}
	if _, err := op.Stream(t.Context(), "CAPTURE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("stream CAPTURE: %v, want none", err)
	}

	// Timers still fire: one due in a moment reaches prevention.
	ts := timer.New(prev, timer.Options{})
	fired := make(chan timer.Fired, 1)
	c, err := ts.Consume(t.Context(), "prevention", func(_ context.Context, f timer.Fired) error {
		select {
		case fired <- f:
		default:
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	tid, err := timer.ID("c-1", "probe")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Schedule(t.Context(), timer.Timer{Service: "prevention", ID: tid, Due: time.Now().Add(time.Second), Kind: "probe"}); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-fired:
		if f.ID != tid {
			t.Fatalf("fired %s, want %s", f.ID, tid)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the timer did not fire")
	}
}

// A service reads no other service's dead letters (it reads none at all:
// an operator re-drives them), sets no other filter on its timer consumer
// than its own fire subjects, and writes only its own projections'
// snapshots.
func TestServicesReadOnlyWhatIsTheirs(t *testing.T) {
	url, creds := natsauthtest.RunForTest(t)
	op := provJetStream(t, url, creds, natsauth.Operator)
	if err := provision.Provision(t.Context(), op); err != nil {
		t.Fatal(err)
	}
	intake := provJetStream(t, url, creds, "intake")
	dl := bus.DeadLetter{Consumer: "intake-indexes-customers", Reason: "probe", Subject: "complaints.events.complaint.c-1",
		Header: nats.Header{}, Data: []byte("a customer's name")}
	ack, err := bus.PublishDeadLetter(t.Context(), intake, dl, bus.DeadLetterMsgID(dl.Consumer, 1))
	if err != nil {
		t.Fatal(err)
	}
	comp := provJetStream(t, url, creds, "compensation")
	provRefused(t, "compensation reads intake's dead letter", func(ctx context.Context) error {
		st, err := comp.Stream(ctx, bus.DeadLetterStream)
		if err != nil {
			return err
		}
		_, err = bus.ReadDeadLetter(ctx, st, ack.Sequence)
		return err
	})
	provRefused(t, "compensation reads intake's last dead letter by subject", func(ctx context.Context) error {
		st, err := comp.Stream(ctx, bus.DeadLetterStream)
		if err != nil {
			return err
		}
		_, err = st.GetLastMsgForSubject(ctx, bus.DeadLetterSubjectPrefix+".intake-indexes-customers")
		return err
	})
	provRefused(t, "compensation consumes the dead letters", func(ctx context.Context) error {
		_, err := comp.CreateOrUpdateConsumer(ctx, bus.DeadLetterStream, jetstream.ConsumerConfig{Durable: "compensation-decides-redress"})
		return err
	})
	prev := provJetStream(t, url, creds, "prevention")
	provRefused(t, "prevention's timer consumer filters on intake's timers", func(ctx context.Context) error {
		_, err := prev.CreateOrUpdateConsumer(ctx, timer.StreamName, jetstream.ConsumerConfig{
			Durable: timer.Durable("prevention"), FilterSubject: timer.FireSubject("intake", "*"), AckPolicy: jetstream.AckExplicitPolicy})
		return err
	})
	provRefused(t, "prevention's timer consumer without a filter", func(ctx context.Context) error {
		_, err := prev.CreateOrUpdateConsumer(ctx, timer.StreamName, jetstream.ConsumerConfig{
			Durable: timer.Durable("prevention"), AckPolicy: jetstream.AckExplicitPolicy})
		return err
	})
	kv, err := comp.KeyValue(t.Context(), natsauth.ProjectionBucket)
	if err != nil {
		t.Fatal(err)
	}
	provRefused(t, "compensation writes followup's projection", func(ctx context.Context) error {
		_, err := kv.Put(ctx, followadapters.SilentCustomersProjection, []byte("{}"))
		return err
	})
	provRefused(t, "compensation writes a part of prevention's projection", func(ctx context.Context) error {
		_, err := kv.Put(ctx, prevadapters.FactsProjection+".g1.0", []byte("{}"))
		return err
	})
	if _, err := kv.Put(t.Context(), compadapters.LedgerProjection, []byte("{}")); err != nil {
		t.Fatalf("compensation writes its own projection: %v", err)
	}
	if _, err := kv.Put(t.Context(), compadapters.LedgerProjection+".g1.0", []byte("{}")); err != nil {
		t.Fatalf("compensation writes a part of its own projection: %v", err)
	}
}

// The matrix names every projection the services keep, so each may write
// its own snapshots.
func TestTheMatrixNamesEveryProjection(t *testing.T) {
	want := map[string][]string{
		"compensation": {compadapters.LedgerProjection, compadapters.AwaitingProjection},
		"followup":     {followadapters.SilentCustomersProjection},
		"resolution":   {resolution.QueueProjection},
		"prevention":   {prevadapters.FactsProjection, prevadapters.DetectorProjection, prevadapters.IntakeWatchProjection, prevadapters.ActionViewsProjection},
	}
	for _, s := range natsauth.Services {
		got := map[string]bool{}
		for _, p := range s.Projections {
			got[p] = true
		}
		if len(got) != len(want[s.Name]) {
			t.Errorf("%s: matrix names projections %v, want %v", s.Name, s.Projections, want[s.Name])
		}
		for _, p := range want[s.Name] {
			if !got[p] {
				t.Errorf("%s: matrix lacks projection %s", s.Name, p)
			}
		}
	}
}
