package writers_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/bus/writers"
)

// events are the catalogue's events: its top-level messages that no other
// message embeds (SealedValue and PolicyRef are parts of events, not events).
func events() []protoreflect.MessageDescriptor {
	msgs := complaintsv1.File_complaints_v1_events_proto.Messages()
	embedded := map[protoreflect.FullName]bool{}
	for i := range msgs.Len() {
		fields := msgs.Get(i).Fields()
		for j := range fields.Len() {
			if m := fields.Get(j).Message(); m != nil {
				embedded[m.FullName()] = true
			}
		}
	}
	var out []protoreflect.MessageDescriptor
	for i := range msgs.Len() {
		if m := msgs.Get(i); !embedded[m.FullName()] {
			out = append(out, m)
		}
	}
	return out
}

func TestEveryEventOfTheCatalogueHasOneWriter(t *testing.T) {
	evs := events()
	if len(evs) < 10 {
		t.Fatalf("found %d events in the catalogue, want at least the 10 of the lifecycle", len(evs))
	}
	for _, m := range evs {
		cats, ok := writers.Categories(string(m.FullName()))
		if !ok {
			t.Errorf("event %s has no category: place it in writers.categoriesOf", m.FullName())
			continue
		}
		for _, cat := range cats {
			if _, ok := writers.Writer(cat); !ok {
				t.Errorf("event %s is in category %q, which has no writer", m.FullName(), cat)
			}
		}
	}
	for _, name := range []string{"complaints.v1.SealedValue", "complaints.v1.PolicyRef", "complaints.v1.Nonexistent", "CaseResolved"} {
		if c, ok := writers.Categories(name); ok {
			t.Errorf("%s placed in categories %q, but it is not an event", name, c)
		}
	}
}

func TestEachServiceWritesItsOwnEvents(t *testing.T) {
	writes := map[string][]string{}
	for _, svc := range []string{"intake", "resolution", "compensation", "followup", "prevention"} {
		writes[svc] = writers.EventTypes(svc)
		if len(writes[svc]) == 0 {
			t.Errorf("%s writes no event type", svc)
		}
	}
	for typ, want := range map[string][]string{
		"ComplaintReceived":     {"intake"},
		"CaseResolved":          {"resolution"},
		"ClockBreached":         {"resolution"},
		"RedressSettled":        {"compensation"},
		"ComplaintClosed":       {"followup"},
		"SystemicIssueDetected": {"prevention"},
		"NotificationRequested": {"intake", "resolution", "compensation", "followup"},
	} {
		var got []string
		for svc, types := range writes {
			if slices.Contains(types, "complaints.v1."+typ) {
				got = append(got, svc)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s is written by %v, want %v", typ, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	const resolved = "complaints.v1.CaseResolved"
	for _, c := range []struct {
		category, eventType, service string
		ok                           bool
	}{
		{"case", resolved, "resolution", true},
		{"complaint", "complaints.v1.ComplaintReceived", "intake", true},
		{"followup", "complaints.v1.ComplaintClosed", "followup", true},
		{"case", resolved, "intake", false},                          // another service claims the event
		{"case", resolved, "", false},                                // no service named
		{"complaint", resolved, "resolution", false},                 // the right writer, on another category
		{"case", "complaints.v1.ComplaintReceived", "intake", false}, // a type of another category
		{"case", "complaints.v1.SealedValue", "resolution", false},   // not an event
		{"payments", resolved, "resolution", false},                  // unknown category
	} {
		err := writers.Check(c.category, c.eventType, c.service)
		var forged *writers.ForgedError
		if c.ok != (err == nil) || (err != nil && !errors.As(err, &forged)) {
			t.Errorf("Check(%q, %q, %q) = %v, want ok=%v", c.category, c.eventType, c.service, err, c.ok)
		}
	}
}
