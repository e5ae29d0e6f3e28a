package provision_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/provision"
)

// replicasOf reads each provisioned stream's replica count and how many
// servers hold it (its leader and its followers).
func replicasOf(t *testing.T, js jetstream.JetStream) (configured, held map[string]int) {
	t.Helper()
	configured, held = map[string]int{}, map[string]int{}
	for _, name := range provision.StreamNames() {
		st, err := js.Stream(t.Context(), name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info := st.CachedInfo()
		configured[name] = info.Config.Replicas
		if info.Cluster != nil && info.Cluster.Leader != "" {
			held[name] = 1 + len(info.Cluster.Replicas)
		}
	}
	return configured, held
}

// On a 3-node cluster the operator provisions every stream and bucket at 3
// replicas, each on its own node; the services' start-time checks accept
// them; provisioning again changes nothing.
func TestProvisionAtThreeReplicasOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := natsservertest.ClusterForTest(t, 3)
	js, err := jetstream.New(c.Connect())
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Provision(t.Context(), js, provision.Replicas(3)); err != nil {
		t.Fatal(err)
	}
	for _, name := range provision.StreamNames() {
		c.WaitForStreamCurrent(name)
	}
	configured, held := replicasOf(t, js)
	for _, name := range provision.StreamNames() {
		if configured[name] != 3 || held[name] != 3 {
			t.Errorf("stream %s: %d replicas configured, held by %d servers; want 3 and 3", name, configured[name], held[name])
		}
	}

	// What a service checks at start, under any replica count.
	if err := provision.Check(t.Context(), js); err != nil {
		t.Fatalf("check of R3 streams: %v", err)
	}
	if _, err := natswire.OpenStream(t.Context(), js); err != nil {
		t.Fatalf("the log's stream at R3 refused: %v", err)
	}
	if _, err := checkpoint.NewKV(t.Context(), js, provision.CheckpointBucket); err != nil {
		t.Fatalf("the checkpoint bucket at R3 refused: %v", err)
	}

	first := configs(t, js)
	if err := provision.Provision(t.Context(), js, provision.Replicas(3)); err != nil {
		t.Fatal(err)
	}
	if again := configs(t, js); !reflect.DeepEqual(again, first) {
		t.Fatalf("provisioning again changed the streams:\n%+v\nwas\n%+v", again, first)
	}
}

// Streams provisioned at one replica (the default) are scaled to three by
// provisioning again with three: a single-server deployment grows into a
// cluster without recreating anything.
func TestProvisionScalesExistingStreamsToThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := natsservertest.ClusterForTest(t, 3)
	js, err := jetstream.New(c.Connect())
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Provision(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	if configured, _ := replicasOf(t, js); configured[natswire.StreamName] != 1 {
		t.Fatalf("default provisioning: %v replicas, want 1", configured)
	}
	// Something is in the log before it is scaled, and stays.
	if _, err := js.Publish(t.Context(), natswire.SubjectPrefix+".case.c-1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := provision.Provision(t.Context(), js, provision.Replicas(3)); err != nil {
		t.Fatal(err)
	}
	for _, name := range provision.StreamNames() {
		c.WaitForStreamCurrent(name)
	}
	configured, held := replicasOf(t, js)
	for _, name := range provision.StreamNames() {
		if configured[name] != 3 || held[name] != 3 {
			t.Errorf("stream %s after scaling: %d replicas configured, held by %d servers; want 3 and 3", name, configured[name], held[name])
		}
	}
	st, err := js.Stream(t.Context(), natswire.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 1 {
		t.Fatalf("the log holds %d messages after scaling, want 1", n)
	}
}

// A replica count JetStream cannot keep is refused before anything is
// touched.
func TestProvisionRefusesAnImpossibleReplicaCount(t *testing.T) {
	js := bare(t)
	for _, n := range []int{0, 6} {
		err := provision.Provision(t.Context(), js, provision.Replicas(n))
		if err == nil || !strings.Contains(err.Error(), "replicas") {
			t.Fatalf("%d replicas: %v, want refused", n, err)
		}
	}
	if _, err := js.Stream(t.Context(), natswire.StreamName); err == nil {
		t.Fatal("a refused provisioning created a stream")
	}
}
