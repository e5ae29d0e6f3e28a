package system_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/system"
)

// fastFollowup is a follow-up policy in seconds: the survey a second after
// the redress is settled, chasers one and two seconds after the survey,
// closure for no response after five.
const fastFollowup = `version: system-test
survey_delay: 1s
chasers: [1s, 2s]
close_after: 5s
low_satisfaction:
  csat_at_most: 2
  effort_at_most: 3
  nps_at_most: 6
`

// startWithFollowupPolicy starts the whole system with follow-up's policy
// read from a CONFIG_DIR holding policyYAML as followup.yaml.
func startWithFollowupPolicy(t *testing.T, policyYAML string) *host.System {
	t.Helper()
	dataDir, configDir := t.TempDir(), t.TempDir()
	writeTestTokens(t, dataDir)
	if err := os.WriteFile(filepath.Join(configDir, "followup.yaml"), []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startFollowupSystem(t, dataDir, configDir)
	t.Cleanup(s.Stop)
	return s
}

// startFollowupSystem starts the whole system on dataDir with follow-up's
// CONFIG_DIR configDir.
func startFollowupSystem(t *testing.T, dataDir, configDir string) *host.System {
	t.Helper()
	units := system.Services(intake.Config{Regime: "default", ConfigDir: configDir})
	for i := range units {
		if units[i].Name == "followup" {
			units[i].Build = followup.NewWithConfig(followup.Config{ConfigDir: configDir})
		}
	}
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-test", units...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// resolveComplaint submits a complaint, waits for its case and resolves it.
func resolveComplaint(t *testing.T, a api) submitted {
	t.Helper()
	var sub submitted
	a.call(http.MethodPost, "/v1/complaints", anotherCustomersComplaint(), http.StatusCreated, &sub)
	a.eventually("/v1/cases/"+sub.ID, nil)
	a.call(http.MethodPost, "/v1/cases/"+sub.ID+"/resolution", map[string]any{
		"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange fault fixed", "agent": "a-7",
	}, http.StatusOK, nil)
	return sub
}

// settled waits for compensation's RedressSettled of a resolution round on
// the redress stream: compensation emits it for every resolution, and the
// follow-up starts from it.
func settled(t *testing.T, s *host.System, id string, round int32) {
	t.Helper()
	ctx := context.Background()
	stream := eventlog.StreamName("redress", id)
	testkit.Eventually(t, fmt.Sprintf("compensation to settle resolution %d of %s", round, id), func() bool {
		events, err := s.Log().ReadStream(ctx, stream, eventlog.FromStart)
		if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type != es.TypeOf(&complaintsv1.RedressSettled{}) {
				continue
			}
			m, err := es.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			if m.(*complaintsv1.RedressSettled).Resolution == round {
				return true
			}
		}
		return false
	})
}

func followupTypes(t *testing.T, s *host.System, id string) []string {
	t.Helper()
	events, err := s.Log().ReadStream(context.Background(), eventlog.StreamName("followup", id), eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, es.ShortType(e.Type))
	}
	return out
}

func count(types []string, typ string) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

// The customer says "not resolved": the round ends without closing; the
// next resolution's settlement starts a new round, whose survey the customer
// answers "resolved" over NATS, which closes the complaint. Meanwhile a
// silent customer is chased twice and closed for no response, and appears
// in the silent-customers report.
func TestFollowUpRoundsChasersAndSilentCustomers(t *testing.T) {
	s := startWithFollowupPolicy(t, fastFollowup)
	a := api{t: t, addr: oneAddress(s.Addr())}

	_, ops := oaLoad(t) // answers checked against the API documents too
	documented := &oaClient{t: t, base: "http://" + s.Addr(), ops: ops, seen: map[string]map[int]bool{}}

	silent := resolveComplaint(t, a)
	settled(t, s, silent.ID, 1)
	answering := resolveComplaint(t, a)
	settled(t, s, answering.ID, 1)

	path := "/v1/followups/" + answering.ID
	a.eventually(path, func(b map[string]any) bool { return b["status"] == "scheduled" || b["status"] == "awaiting_answer" })
	a.eventually(path, func(b map[string]any) bool { return b["status"] == "awaiting_answer" || b["status"] == "chased" })
	documented.call("GET /v1/followups/{id}", nil, nil, answering.ID)
	customer := a.as(answering.CustomerToken)
	customer.call(http.MethodPost, path+"/answer", map[string]any{
		"csat": 2, "effort": 3, "nps": 4, "resolved": false, "reason": "Still no dial tone",
	}, http.StatusOK, nil)
	var view map[string]any
	a.call(http.MethodGet, path, nil, http.StatusOK, &view)
	if view["status"] != "answered" || view["round"] != 1.0 || view["next_due"] != nil {
		t.Fatalf("after a no: %v", view)
	}
	// Resolution reopens the case; it is resolved again, and the next
	// settlement starts round 2.
	a.eventually("/v1/cases/"+answering.ID, func(b map[string]any) bool { return b["status"] == "reopened" })
	a.call(http.MethodPost, "/v1/cases/"+answering.ID+"/resolution", map[string]any{
		"outcome": "upheld", "root_cause": "network.outage", "summary": "Line card replaced", "agent": "a-7",
	}, http.StatusOK, nil)
	settled(t, s, answering.ID, 2)
	a.eventually(path, func(b map[string]any) bool {
		return b["round"] == 2.0 && (b["status"] == "awaiting_answer" || b["status"] == "chased")
	})

	nc, err := s.ConnectAs(natsauth.Outside)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	request := func(body map[string]any, key string) *nats.Msg {
		t.Helper()
		m := nats.NewMsg("complaints.followup.answer")
		m.Data, _ = json.Marshal(body)
		m.Header.Set("Authorization", "Bearer "+testTokens[string(auth.RoleAgent)])
		if key != "" {
			m.Header.Set("Idempotency-Key", key)
		}
		reply, err := nc.RequestMsg(m, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	if reply := request(map[string]any{"complaint_id": answering.ID, "csat": 5, "effort": 9, "resolved": true}, ""); reply.Header.Get("Nats-Service-Error-Code") != "400" {
		t.Fatalf("a bad answer over NATS: %v %s", reply.Header, reply.Data)
	}
	yes := map[string]any{"complaint_id": answering.ID, "csat": 5, "effort": 6, "nps": 9, "resolved": true, "comment": "Working now"}
	for range 2 { // the second is a retry: the same reply, nothing new
		reply := request(yes, "survey-tool-81")
		if err := json.Unmarshal(reply.Data, &view); err != nil || reply.Header.Get("Nats-Service-Error") != "" || view["status"] != "closed" {
			t.Fatalf("answer over NATS: %v %s", reply.Header, reply.Data)
		}
	}
	if view["closed_reason"] != "customer-confirmed-resolved" || len(view["answers"].([]any)) != 2 {
		t.Fatalf("closed follow-up: %v", view)
	}
	a.eventually("/v1/complaints/"+answering.ID, func(b map[string]any) bool { return b["status"] == "closed" })
	types := followupTypes(t, s, answering.ID)
	if count(types, "ComplaintClosed") != 1 || count(types, "SurveyAnswered") != 2 || count(types, "FollowUpScheduled") != 2 ||
		count(types, "SurveyRequested") != 2 || count(types, "LowSatisfactionAlert") != 1 {
		t.Fatalf("answering customer's follow-up: %v", types)
	}

	// The silent customer: two chasers, then closure for no response.
	silentView := a.eventually("/v1/followups/"+silent.ID, func(b map[string]any) bool { return b["status"] == "closed" })
	if silentView["closed_reason"] != "no-response" || silentView["chasers_sent"] != 2.0 {
		t.Fatalf("silent customer's follow-up: %v", silentView)
	}
	types = followupTypes(t, s, silent.ID)
	if count(types, "SurveyChaserSent") != 2 || count(types, "NotificationRequested") != 3 || count(types, "ComplaintClosed") != 1 {
		t.Fatalf("silent customer's follow-up: %v", types)
	}
	report := a.eventually("/v1/reports/silent-customers", func(b map[string]any) bool { return b["total"] == 1.0 })
	rows := report["complaints"].([]any)
	row := rows[0].(map[string]any)
	documented.call("GET /v1/followups/{id}", nil, nil, answering.ID)
	documented.call("GET /v1/followups/{id}", nil, nil, silent.ID)
	documented.call("GET /v1/reports/silent-customers", nil, nil)
	if len(rows) != 1 || row["complaint_id"] != silent.ID || !strings.HasPrefix(fmt.Sprint(row["customer_id"]), "c-other-") || row["product"] != "broadband" ||
		row["team"] != "network-support" || row["root_cause"] != "network.outage" {
		t.Fatalf("silent-customers report: %v", report)
	}
	// As it stood before anyone was closed for silence (2020), and as it stands now.
	var then, now map[string]any
	a.call(http.MethodGet, "/v1/reports/silent-customers?as_of=2020-01-01T00:00:00Z", nil, http.StatusOK, &then)
	a.call(http.MethodGet, "/v1/reports/silent-customers?as_of="+time.Now().UTC().Format(time.RFC3339Nano), nil, http.StatusOK, &now)
	if then["total"] != 0.0 || now["total"] != 1.0 {
		t.Fatalf("silent customers as of 2020: %v; as of now: %v", then, now)
	}
	a.call(http.MethodGet, "/v1/reports/silent-customers?as_of=yesterday", nil, http.StatusBadRequest, nil)
}

// With no delay the survey is out as soon as the redress is settled: what
// the load generator and complaintctl walk run with.
func TestWithNoFollowupDelayTheSurveyIsOutAtOnce(t *testing.T) {
	s := startWithFollowupPolicy(t, "version: fast\nsurvey_delay: 0s\nchasers: [30s]\nclose_after: 60s\n")
	a := api{t: t, addr: oneAddress(s.Addr())}
	sub := resolveComplaint(t, a)
	settled(t, s, sub.ID, 1)
	view := a.eventually("/v1/followups/"+sub.ID, nil)
	if view["status"] != "awaiting_answer" {
		t.Fatalf("follow-up %v: want the survey out at once", view)
	}
	a.as(sub.CustomerToken).call(http.MethodPost, "/v1/followups/"+sub.ID+"/answer",
		map[string]any{"csat": 5, "effort": 6, "resolved": true}, http.StatusOK, nil)
	a.eventually("/v1/complaints/"+sub.ID, func(b map[string]any) bool { return b["status"] == "closed" })
}

// A survey scheduled before the system stops is sent once after it starts
// again, even when it fell due while the system was down: the timer is on
// the server's disk, not in the process.
func TestAScheduledSurveyIsSentOnceAfterARestart(t *testing.T) {
	dataDir, configDir := t.TempDir(), t.TempDir()
	writeTestTokens(t, dataDir)
	policy := "version: restart\nsurvey_delay: 2s\nchasers: []\nclose_after: 60s\n"
	if err := os.WriteFile(filepath.Join(configDir, "followup.yaml"), []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startFollowupSystem(t, dataDir, configDir)
	a := api{t: t, addr: oneAddress(s.Addr())}
	sub := resolveComplaint(t, a)
	settled(t, s, sub.ID, 1)
	view := a.eventually("/v1/followups/"+sub.ID, nil)
	if view["status"] != "scheduled" {
		s.Stop()
		t.Fatalf("before the restart: %v", view)
	}
	due, _ := time.Parse(time.RFC3339Nano, view["survey_due"].(string))
	s.Stop()
	time.Sleep(time.Until(due) + 500*time.Millisecond) // the system is down: nothing to wait on

	s = startFollowupSystem(t, dataDir, configDir)
	defer s.Stop()
	a = api{t: t, addr: oneAddress(s.Addr())}
	a.eventually("/v1/followups/"+sub.ID, func(b map[string]any) bool { return b["status"] == "awaiting_answer" })
	a.as(sub.CustomerToken).call(http.MethodPost, "/v1/followups/"+sub.ID+"/answer",
		map[string]any{"csat": 4, "effort": 6, "resolved": true}, http.StatusOK, nil)
	if types := followupTypes(t, s, sub.ID); count(types, "SurveyRequested") != 1 || count(types, "NotificationRequested") != 1 {
		t.Fatalf("after the restart: %v", types)
	}
}
