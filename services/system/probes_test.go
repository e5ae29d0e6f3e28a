package system_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsreply"
	"github.com/complaintflow/complaintflow/services/platform/telemetry"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/system"
)

// probeTarget is what a probe may aim at: the ids of one complaint the
// system holds.
type probeTarget struct {
	ComplaintID, CustomerID string
}

// A probe is one message an attacker holding some user's credentials sends.
// It must be refused, by the server (a permission violation) or by the
// service it reaches (a refused reply, counted), and change nothing.
type probe struct {
	name    string
	subject string
	reply   func(probeTarget) string
	data    string
}

// probes are the attacks the system must refuse. Add a row for a new one.
var probes = []probe{
	{
		name:    "a request whose reply subject is a customer's key",
		subject: "complaints.intake.show", data: `{"id":"no-such-complaint"}`,
		reply: func(p probeTarget) string { return "$KV." + natsauth.CustomerKeys + "." + customerKey(p.CustomerID) },
	},
	{
		name:    "a request whose reply subject is the fingerprint key",
		subject: "complaints.intake.show", data: `{"id":"no-such-complaint"}`,
		reply: func(probeTarget) string { return "$KV." + natsauth.CustomerKeys + "." + fingerprintKey },
	},
	{
		name:    "a request whose reply subject is a case's stream",
		subject: "complaints.intake.show", data: `{"id":"no-such-complaint"}`,
		reply: func(p probeTarget) string { return "complaints.events.case." + p.ComplaintID },
	},
}

// discoveryProbes are service discovery requests ($SRV.PING, INFO) whose
// reply subject is a case's stream or a customer's key: the discovery
// answers come from the nats.go micro framework, not from natsreply.
func discoveryProbes() []probe {
	replies := []struct {
		name  string
		reply func(probeTarget) string
	}{
		{"a case's stream", func(p probeTarget) string { return "complaints.events.case." + p.ComplaintID }},
		{"a customer's key", func(p probeTarget) string { return "$KV." + natsauth.CustomerKeys + "." + customerKey(p.CustomerID) }},
	}
	var out []probe
	for _, subject := range []string{"$SRV.PING.intake", "$SRV.PING.resolution", "$SRV.PING.compensation",
		"$SRV.PING.followup", "$SRV.INFO.intake"} {
		for _, r := range replies {
			out = append(out, probe{name: subject + " whose reply subject is " + r.name, subject: subject, reply: r.reply})
		}
	}
	return out
}

// probeUsers are the users the probes are sent as: another company system,
// and a service.
var probeUsers = []string{natsauth.Outside, "resolution"}

// The vault's names for a customer's key and for the fingerprint key.
const fingerprintKey = "s.aW50YWtlLWN1c3RvbWVyLWZpbmdlcnByaW50" // "intake-customer-fingerprint"

func customerKey(customerID string) string {
	return "c." + base64.RawURLEncoding.EncodeToString([]byte(customerID))
}

// Every probe, sent as every probe user to the running system under the
// generated NATS permissions, is refused and changes nothing: the
// customer's key still opens the complaint, intake starts again, and the
// case's stream still reads.
func TestProbesAreRefusedAndChangeNothing(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	dir := t.TempDir()
	s := startProbedSystem(t, dir)
	a := api{t: t, addr: oneAddress(s.Addr())}
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", sampleComplaint, http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)
	target := probeTarget{ComplaintID: sub.ID, CustomerID: "c-1"}
	keys := []string{customerKey(target.CustomerID), fingerprintKey}
	before := keyRevisions(t, s, keys)
	caseSubject := "complaints.events.case." + sub.ID
	caseMessages := subjectMessages(t, s, caseSubject)

	for _, user := range probeUsers {
		violations := make(chan error, 8)
		nc, err := s.ConnectAs(user, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				violations <- err
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(probes, discoveryProbes()...) {
			refusedBefore := refusedReplies(t, reader)
			m := &nats.Msg{Subject: p.subject, Reply: p.reply(target), Data: []byte(p.data)}
			if err := nc.PublishMsg(m); err != nil {
				t.Fatalf("%s, as %s: %v", p.name, user, err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			waitRefused(t, user+": "+p.name, violations, func() bool { return refusedReplies(t, reader) > refusedBefore })
		}
		nc.Close()
	}

	checkUnchanged := func(when string) {
		t.Helper()
		if after := keyRevisions(t, s, keys); !equalRevisions(before, after) {
			t.Fatalf("%s: keys of the customer-keys bucket changed: %v, then %v", when, before, after)
		}
		var view map[string]any
		a.call(http.MethodGet, "/v1/complaints/"+sub.ID, nil, http.StatusOK, &view)
		if c, _ := view["customer"].(map[string]any); c["name"] != "Ann Lee" {
			t.Fatalf("%s: the customer's data no longer opens: %v", when, view["customer"])
		}
		if n := subjectMessages(t, s, caseSubject); n != caseMessages {
			t.Fatalf("%s: the case's stream holds %d messages, %d before the probes", when, n, caseMessages)
		}
		if _, err := s.Log().ReadStream(context.Background(), "case-"+sub.ID, eventlog.FromStart); err != nil {
			t.Fatalf("%s: the case's stream no longer reads: %v", when, err)
		}
		a.call(http.MethodGet, "/v1/cases/"+sub.ID, nil, http.StatusOK, nil)
	}
	checkUnchanged("after the probes")
	s.Stop()

	// Intake starts again (it reads the fingerprint key), with no key cached.
	s = startProbedSystem(t, dir)
	defer s.Stop()
	a = api{t: t, addr: oneAddress(s.Addr())}
	checkUnchanged("after a restart")
}

// startProbedSystem is startSystem with the telemetry left to the test: the
// meter provider it installed counts the services' refusals.
func startProbedSystem(t *testing.T, dataDir string) *host.System {
	t.Helper()
	writeTestTokens(t, dataDir)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1,
		Telemetry: &telemetry.Config{Disabled: true}}
	s, err := host.Start(context.Background(), cfg, "complaints-probes", system.Services(intake.Config{Regime: "default", ConfigDir: fastPolicies})...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitRefused waits until the probe is refused: the server told the sender
// of a permission violation, or a service counted a refused reply or a
// permission violation of its own (an answer it was not allowed to publish).
func waitRefused(t *testing.T, what string, violations <-chan error, counted func() bool) {
	t.Helper()
	testkit.Eventually(t, what+" to be refused by the server or by a service", func() bool {
		select {
		case <-violations:
			return true
		default:
			return counted()
		}
	})
}

// refusedReplies is how many requests the services refused to answer for
// their reply subject, and how many answers the server refused them.
func refusedReplies(t *testing.T, reader *sdkmetric.ManualReader) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != natsreply.RefusedMetric && m.Name != host.PermissionViolationsMetric {
				continue
			}
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}

// keyRevisions reads, as the operator, the revision of each key of the
// customer-keys bucket (0: no such key).
func keyRevisions(t *testing.T, s *host.System, keys []string) []uint64 {
	t.Helper()
	nc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, natsauth.CustomerKeys)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			out = append(out, 0)
		case err != nil:
			t.Fatalf("key %s: %v", k, err)
		default:
			out = append(out, e.Revision())
		}
	}
	return out
}

func equalRevisions(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] || a[i] == 0 {
			return false
		}
	}
	return true
}

// subjectMessages is how many messages the event stream holds on a subject,
// read as the operator.
func subjectMessages(t *testing.T, s *host.System, subject string) uint64 {
	t.Helper()
	nc, err := s.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := js.Stream(ctx, natsauth.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}
