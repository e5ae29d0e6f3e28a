package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

func publishEvent(t *testing.T, js jetstream.JetStream, category, complaint string, m proto.Message, service string) {
	t.Helper()
	data, _ := proto.Marshal(m)
	msg, err := natswire.Message(eventlog.StreamName(category, complaint), eventlog.EventData{
		ID: uuid.NewString(), Type: string(proto.MessageName(m)), SchemaVersion: 1, Data: data,
		Metadata: eventlog.Metadata{ComplaintID: complaint, Service: service},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// An operator lists the dead letters, looks at one, and re-drives it once
// the cause is fixed; a re-drive that fails again leaves it in place.
func TestDeadLettersListShowAndRedrive(t *testing.T) {
	_, url := natsservertest.RunForTest(t)
	t.Setenv("NATS_URL", url)
	t.Setenv("NATS_CREDS", "")
	nc := natsservertest.ConnectForTest(t, url)
	js, _ := jetstream.New(nc)
	if _, err := natswire.EnsureStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}

	if out := mustCtl(t, "dead-letters", "list"); !strings.Contains(out, "no dead letters") {
		t.Fatalf("list with no dead-letter stream: %s", out)
	}

	var mu sync.Mutex
	refusing := true
	handled := 0
	c, err := bus.Consume(context.Background(), js, bus.Subscription{Durable: "test-ctl", Categories: []string{"case"}},
		func(context.Context, eventlog.RecordedEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if refusing {
				return decider.NotFound("no such redress policy")
			}
			handled++
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	complaint := uuid.NewString()
	resolved := &complaintsv1.CaseResolved{ComplaintId: complaint, Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "network.outage"}
	publishEvent(t, js, "case", complaint, resolved, "resolution")
	publishEvent(t, js, "case", complaint, resolved, "intake") // forged

	var dls []bus.DeadLetter
	testkit.EventuallyNil(t, func() error {
		dls = nil
		_ = json.Unmarshal([]byte(mustCtl(t, "dead-letters", "list", "-json")), &dls)
		if len(dls) < 2 {
			return fmt.Errorf("dead letters: %+v", dls)
		}
		return nil
	})
	if dls[0].Sequence != 1 || dls[0].Reason != bus.ReasonRefused || dls[1].Sequence != 2 || dls[1].Reason != bus.ReasonForged {
		t.Fatalf("dead letters: %+v", dls)
	}

	out := mustCtl(t, "dead-letters", "list")
	t.Logf("$ complaintctl dead-letters list\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SEQ") {
		t.Fatalf("list:\n%s", out)
	}
	wantLines(t, lines[1], "1 ", "test-ctl", "refused", "complaints.v1.CaseResolved", "complaints.events.case."+complaint, "no such redress policy")
	wantLines(t, lines[2], "2 ", "test-ctl", "forged", "only resolution writes this category")
	if out := mustCtl(t, "dead-letters", "list", "-consumer", "someone-else"); !strings.Contains(out, "no dead letters") {
		t.Fatalf("list -consumer: %s", out)
	}

	out = mustCtl(t, "dead-letters", "show", "2")
	wantLines(t, out, "Consumer", "test-ctl", "Reason", "forged", "Attempts", "Stream sequence", "Event-Service", "intake",
		"Nats-Msg-Id", "Payload (", `"rootCause"`, `"network.outage"`)

	code, _, errOut := ctl(t, "dead-letters", "redrive", "1")
	t.Logf("$ complaintctl dead-letters redrive 1 (exit %d)\n%s", code, errOut)
	if code != 1 || !strings.Contains(errOut, "failed again (refused)") || !strings.Contains(errOut, "the dead letter stays") {
		t.Fatalf("re-drive while refusing: exit %d: %s", code, errOut)
	}
	mu.Lock()
	refusing = false
	mu.Unlock()
	out = mustCtl(t, "dead-letters", "redrive", "1")
	t.Logf("$ complaintctl dead-letters redrive 1\n%s", out)
	wantLines(t, out, "dead letter 1 re-driven to test-ctl: handled; removed from dead letters")
	mu.Lock()
	if handled != 1 {
		t.Fatalf("handler ran %d times for the re-driven event, want once", handled)
	}
	mu.Unlock()

	code, _, errOut = ctl(t, "dead-letters", "redrive", "2")
	if code != 1 || !strings.Contains(errOut, "failed again (forged)") {
		t.Fatalf("re-driving a forgery: exit %d: %s", code, errOut)
	}
	code, _, errOut = ctl(t, "dead-letters", "show", "1")
	if code != 1 || !strings.Contains(errOut, "no dead letter 1") {
		t.Fatalf("show of a removed dead letter: exit %d: %s", code, errOut)
	}
	out = mustCtl(t, "dead-letters", "list")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "2 ") {
		t.Fatalf("list after re-drive:\n%s", out)
	}

	for _, bad := range [][]string{{"dead-letters"}, {"dead-letters", "show"}, {"dead-letters", "show", "x"}, {"dead-letters", "purge"}} {
		if code, _, _ := ctl(t, bad...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestNATSCredentialFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, content := range map[string]string{
		"user.json":  `{"user": "operator", "password": "s3cret"}`,
		"token.json": `{"token": "t0ken"}`,
		"user.creds": "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n",
	} {
		if _, err := credentialsOption(write(name, content)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, content := range map[string]string{"empty.json": `{}`, "junk": "hello"} {
		if _, err := credentialsOption(write(name, content)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := credentialsOption(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
