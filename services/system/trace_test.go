package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// traceID is the trace-id field of a W3C traceparent.
func traceID(traceparent string) string {
	parts := strings.Split(traceparent, "-")
	if len(parts) != 4 {
		return ""
	}
	return parts[1]
}

// An event appended by a service reacting to another service's event carries
// the trace of the request that started the chain: the trace context went
// from the HTTP request into the log, over NATS and into the next service.
func TestTraceContextFollowsTheComplaintAcrossServices(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	id := walkHappyPath(t, a)

	events, err := s.Log().ReadTimeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string]eventlog.RecordedEvent{}
	for _, e := range events {
		if e.Metadata.TraceParent == "" {
			t.Errorf("%s recorded by %s has no trace context", es.ShortType(e.Type), e.Metadata.Service)
		}
		byType[es.ShortType(e.Type)] = e
	}
	// Each pair: an event, and one a different service appended because of it.
	for _, pair := range [][2]string{
		{"ComplaintReceived", "CaseOpened"},
		{"CaseResolved", "RedressDecided"},
	} {
		cause, effect := byType[pair[0]], byType[pair[1]]
		if cause.Metadata.Service == effect.Metadata.Service {
			t.Fatalf("%s and %s were recorded by the same service", pair[0], pair[1])
		}
		if got, want := traceID(effect.Metadata.TraceParent), traceID(cause.Metadata.TraceParent); got == "" || got != want {
			t.Errorf("%s (%s) is in trace %q, %s (%s) in trace %q: the trace did not cross services",
				pair[1], effect.Metadata.Service, got, pair[0], cause.Metadata.Service, want)
		}
		if effect.Metadata.CausationID != cause.ID {
			t.Errorf("%s's causation id is %q, want the id of %s (%s)", pair[1], effect.Metadata.CausationID, pair[0], cause.ID)
		}
	}
}

// Customer name and e-mail address are sealed before they enter the log: no
// event of the complaint holds them in clear, though the API still shows them.
func TestPersonalDataNeverEntersTheLogInClear(t *testing.T) {
	s := startSystem(t, t.TempDir())
	defer s.Stop()
	a := api{t: t, addr: oneAddress(s.Addr())}
	id := walkHappyPath(t, a)

	events, err := s.Log().ReadTimeline(context.Background(), id)
	if err != nil || len(events) == 0 {
		t.Fatalf("timeline: %d events, %v", len(events), err)
	}
	customer := sampleComplaint["customer"].(map[string]any)
	for _, e := range events {
		for _, secret := range []string{customer["name"].(string), customer["email"].(string)} {
			if bytes.Contains(e.Data, []byte(secret)) {
				t.Errorf("%s holds %q in clear", es.ShortType(e.Type), secret)
			}
		}
	}
	var view map[string]any
	a.call("GET", "/v1/complaints/"+id, nil, 200, &view)
	if !strings.Contains(mustJSON(t, view), customer["email"].(string)) {
		t.Errorf("the complaint view does not show the customer's e-mail to the agent: %v", view)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
