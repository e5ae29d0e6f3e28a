package prevention_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/platform/natsserver"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
)

// Component test: prevention's app and adapters alone. The log is the
// in-memory one; the projection keeps its snapshot in a JetStream KV bucket,
// so an embedded server provides that.

var tokens = auth.StaticTokens{
	"owner-token":   {Subject: "owner-1", Roles: []auth.Role{auth.RoleProcessOwner}},
	"auditor-token": {Subject: "audit-1", Roles: []auth.Role{auth.RoleAuditor}},
	"agent-token":   {Subject: "agent-7", Roles: []auth.Role{auth.RoleAgent}},
}

type report struct {
	Position uint64 `json:"log_position"`
	Total    int64  `json:"total"`
	Causes   []struct {
		RootCause  string  `json:"root_cause"`
		Complaints int64   `json:"complaints"`
		Cumulative float64 `json:"cumulative_share"`
	} `json:"causes"`
}

func TestTheRootCauseReportFollowsTheLogAndIsForProcessOwnersAndAuditors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	log := memlog.New()
	t.Cleanup(func() { _ = log.Close() })
	_, js := natsserver.JetStreamForTest(t)
	rootCauses, err := adapters.NewRootCauses(ctx, log, js)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = rootCauses.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	mux := http.NewServeMux()
	adapters.HTTP{App: app.New(rootCauses)}.Routes(mux)
	handler := auth.Authenticate(tokens, mux)

	get := func(token string) (int, report) {
		req := httptest.NewRequest(http.MethodGet, "/v1/reports/root-causes", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		var r report
		_ = json.Unmarshal(rec.Body.Bytes(), &r)
		return rec.Code, r
	}

	for _, cause := range []string{"network.outage", "billing.error", "network.outage"} {
		id := uuid.NewString()
		data, err := es.Encode(uuid.NewString(), &complaintsv1.CaseResolved{ComplaintId: id, RootCause: cause}, eventlog.Metadata{ComplaintID: id})
		if err != nil {
			t.Fatal(err)
		}
		opened, err := es.Encode(uuid.NewString(), &complaintsv1.CaseOpened{ComplaintId: id}, eventlog.Metadata{ComplaintID: id})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := log.Append(ctx, eventlog.StreamName("case", id), eventlog.NoStream(), opened, data); err != nil {
			t.Fatal(err)
		}
	}

	// Wait for the projection to reach the last event (position 6), then
	// check the exact report.
	deadline := time.Now().Add(10 * time.Second)
	var got report
	for {
		code, r := get("owner-token")
		if code != http.StatusOK {
			t.Fatalf("GET as process owner: %d", code)
		}
		if got = r; got.Position == 6 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got.Position != 6 || got.Total != 3 || len(got.Causes) != 2 ||
		got.Causes[0].RootCause != "network.outage" || got.Causes[0].Complaints != 2 ||
		got.Causes[1].RootCause != "billing.error" || got.Causes[1].Cumulative != 1 {
		t.Fatalf("report %+v, want network.outage 2 then billing.error 1 at position 6", got)
	}

	for token, want := range map[string]int{"": 401, "agent-token": 403, "auditor-token": 200} {
		if code, _ := get(token); code != want {
			t.Errorf("token %q: %d, want %d", token, code, want)
		}
	}
}
