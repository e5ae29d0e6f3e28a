package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// decoded folds events by decoding them, as the services' projections do.
type decoded struct {
	Folded int `json:"folded"`
}

func (d *decoded) Apply(e eventlog.RecordedEvent) error {
	if _, err := es.Decode(e); err != nil {
		return err
	}
	d.Folded++
	return nil
}

// A projection's dead letter is listed with the others, and re-driving it
// says to rebuild the projection instead (a projection is a fold of the
// whole log, kept by every instance).
func TestAProjectionsDeadLetterIsListedAndRebuiltNotRedriven(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	t.Setenv("NATS_URL", url)
	t.Setenv("NATS_CREDS", "")
	nc := natsservertest.ConnectForTest(t, url)
	js, _ := jetstream.New(nc)
	l := jetstreamlogtest.OpenForTest(t, nc, jetstreamlog.Options{})

	bad := nats.NewMsg(natswire.SubjectPrefix + ".case." + uuid.NewString())
	bad.Header.Set(natswire.HeaderEventType, "complaints.v1.CaseResolved")
	bad.Header.Set(natswire.HeaderMsgID, uuid.NewString())
	bad.Data = []byte("{}")
	ack, err := js.PublishMsg(context.Background(), bad)
	if err != nil {
		t.Fatal(err)
	}
	p, err := projection.New(context.Background(), l, js, &decoded{}, projection.Options{Name: "ctl-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	testkit.EventuallyNil(t, func() error {
		if st := p.Status(); st.DeadLetters.Count != 1 {
			return fmt.Errorf("projection status %+v, want 1 dead letter", st)
		}
		return nil
	})

	wantLines(t, mustCtl(t, "dead-letters", "list"), "projection.ctl-test", bus.ReasonUndecodable, "complaints.v1.CaseResolved")
	var dls []bus.DeadLetter
	if err := json.Unmarshal([]byte(mustCtl(t, "-json", "dead-letters", "list", "-consumer", "projection.ctl-test")), &dls); err != nil || len(dls) != 1 {
		t.Fatalf("dead letters of projection.ctl-test: %+v, %v", dls, err)
	}
	// A projection's dead letter is placed by the event's log position.
	if want := uint64(natswire.LastOfMessage(ack.Sequence)); dls[0].StreamSequence != want {
		t.Fatalf("dead letter of the event at %d, want %d", dls[0].StreamSequence, want)
	}
	code, _, errOut := ctl(t, "dead-letters", "redrive", strconv.FormatUint(dls[0].Sequence, 10))
	if code == 0 || !strings.Contains(errOut, "complaintctl projections rebuild ctl-test") {
		t.Fatalf("re-driving a projection's dead letter: exit %d, %s", code, errOut)
	}
	if got := mustCtl(t, "-json", "dead-letters", "list", "-consumer", "projection.ctl-test"); !strings.Contains(got, dls[0].EventID()) {
		t.Fatalf("the dead letter is gone after a refused re-drive: %s", got)
	}
}

// projections list shows how many events each projection left out, and the
// last of them.
func TestProjectionsListShowsDeadLetters(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/projections" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(api.ProjectionList{Projections: []api.ProjectionStatus{
			{Name: "prevention-facts", Position: 42, DeadLetters: 1, LastDeadLetter: &api.ProjectionDeadLetter{
				Position: 7, EventID: "ev-7", EventType: "complaints.v1.CaseResolved", Reason: "undecodable",
				Error: "cannot parse invalid wire-format data"}},
			{Name: "prevention-spike-detector", Position: 42},
		}})
	}))
	defer srv.Close()
	out := mustCtl(t, "-url", srv.URL, "projections", "list")
	wantLines(t, out, "DEAD LETTERS", "prevention-facts", "1 events left out", "projection.prevention-facts",
		"complaints.v1.CaseResolved ev-7 at log position 7, undecodable: cannot parse invalid wire-format data")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "prevention-spike-detector") && !strings.Contains(line, " 0 ") {
			t.Fatalf("spike detector line %q, want 0 dead letters", line)
		}
	}
}
