package system_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// reportPaths are the reports compared in TestReportsOverTheWholeSystem.
var reportPaths = []string{"/v1/reports/root-causes", "/v1/reports/effort", "/v1/reports/regulatory"}

// reports reads every report, without the fields that change on each read.
func reports(a api, query string) map[string]map[string]any {
	a.t.Helper()
	out := map[string]map[string]any{}
	for _, p := range reportPaths {
		var m map[string]any
		a.call(http.MethodGet, p+query, nil, http.StatusOK, &m)
		delete(m, "generated_at")
		delete(m, "log_position")
		delete(m, "as_of")
		out[p] = m
	}
	return out
}

// TestReportsOverTheWholeSystem: complaints walked through every service
// show in every report; a report as of an earlier instant is the state of
// then; a rebuild and a restart give the same figures.
func TestReportsOverTheWholeSystem(t *testing.T) {
	dir := t.TempDir()
	s := startSystem(t, dir)
	a := api{t: t, addr: oneAddress(s.Addr())}
	admin := a.as(testTokens["admin"])

	walkHappyPath(t, a)
	a.eventually("/v1/reports/effort", func(b map[string]any) bool {
		o, _ := b["overall"].(map[string]any)
		return o["closed"] == float64(1) && o["ces"].(map[string]any)["answers"] == float64(1)
	})
	first := reports(a, "")
	between := time.Now().UTC()
	time.Sleep(10 * time.Millisecond) // the next events are recorded after between
	walkHappyPath(t, a)
	a.eventually("/v1/reports/effort", func(b map[string]any) bool {
		o, _ := b["overall"].(map[string]any)
		return o["closed"] == float64(2) && o["ces"].(map[string]any)["answers"] == float64(2)
	})
	live := reports(a, "")

	root := live["/v1/reports/root-causes"]
	if root["total"] != float64(2) {
		t.Fatalf("root causes: %v", root)
	}
	cause := root["causes"].([]any)[0].(map[string]any)
	if cause["root_cause"] != "network.outage" || cause["complaints"] != float64(2) || cause["ces"] != float64(2) || cause["redress_paid_minor"].(float64) <= 0 {
		t.Errorf("network.outage: %v", cause)
	}
	reg := live["/v1/reports/regulatory"]["total"].(map[string]any)
	if reg["opened"] != float64(2) || reg["closed"] != float64(2) || reg["closed_within_3_business_days"] != float64(2) || reg["upheld"] != float64(2) {
		t.Errorf("regulatory: %v", reg)
	}

	if asOf := reports(a, "?as_of="+between.Format(time.RFC3339Nano)); !reflect.DeepEqual(asOf, first) {
		t.Errorf("as of %s:\n %v\nthen:\n %v", between, asOf, first)
	}

	status, _, body := a.do(http.MethodGet, "/v1/reports/regulatory?regime=default&format=csv&export=cfpb", nil, nil)
	if status != 200 || strings.Count(string(body), "Closed with monetary relief") != 2 {
		t.Errorf("CFPB export: %d %s", status, body)
	}
	status, _, _ = a.as(testTokens["agent"]).do(http.MethodGet, "/reports", nil, nil)
	if status != http.StatusForbidden {
		t.Errorf("the report page as an agent: %d", status)
	}
	status, _, body = a.as(testTokens["process-owner"]).do(http.MethodGet, "/reports", nil, nil)
	if status != 200 || !strings.Contains(string(body), `<svg id="pareto"`) {
		t.Errorf("the report page: %d %.300s", status, body)
	}

	var st struct {
		Rebuild struct {
			Running  bool   `json:"running"`
			Applied  uint64 `json:"applied"`
			Error    string `json:"error"`
			Finished string `json:"finished_at"`
		} `json:"rebuild"`
	}
	admin.call(http.MethodPost, "/v1/projections/prevention-facts/rebuild", nil, http.StatusAccepted, nil)
	testkit.EventuallyNil(t, func() error {
		admin.call(http.MethodGet, "/v1/projections/prevention-facts", nil, http.StatusOK, &st)
		if st.Rebuild.Running || st.Rebuild.Finished == "" {
			return fmt.Errorf("rebuild never finished: %+v", st)
		}
		return nil
	})
	if st.Rebuild.Error != "" || st.Rebuild.Applied == 0 {
		t.Fatalf("rebuild: %+v", st)
	}
	if rebuilt := reports(a, ""); !reflect.DeepEqual(rebuilt, live) {
		b1, _ := json.Marshal(rebuilt)
		b2, _ := json.Marshal(live)
		t.Errorf("after a rebuild:\n %s\nlive:\n %s", b1, b2)
	}

	s.Stop()
	s = startSystem(t, dir)
	defer s.Stop()
	a = api{t: t, addr: oneAddress(s.Addr())}
	a.eventually("/v1/reports/root-causes", func(b map[string]any) bool { return b["total"] == float64(2) })
	if restarted := reports(a, ""); !reflect.DeepEqual(restarted, live) {
		t.Errorf("after a restart:\n %v\nbefore:\n %v", restarted, live)
	}
}
