package writers_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
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

// categories are the categories a message of the catalogue names (option
// categories of events.proto).
func categories(m protoreflect.MessageDescriptor) []string {
	return proto.GetExtension(m.Options(), complaintsv1.E_Categories).([]string)
}

func TestEveryEventOfTheCatalogueHasOneWriter(t *testing.T) {
	evs := events()
	if len(evs) < 10 {
		t.Fatalf("found %d events in the catalogue, want at least the 10 of the lifecycle", len(evs))
	}
	used := map[string]bool{}
	for _, m := range evs {
		named := categories(m)
		if len(named) == 0 {
			t.Errorf("event %s names no category: give it option (complaints.v1.categories) in events.proto", m.FullName())
			continue
		}
		cats, ok := writers.Categories(string(m.FullName()))
		if !ok || !slices.Equal(cats, named) {
			t.Errorf("event %s is placed in %v, %v; the catalogue says %v", m.FullName(), cats, ok, named)
		}
		for _, cat := range named {
			used[cat] = true
			if _, ok := writers.Writer(cat); !ok {
				t.Errorf("event %s is in category %q, which has no writer: list it in option (complaints.v1.stream_writers) of events.proto", m.FullName(), cat)
			}
		}
	}
	for cat, service := range writers.ByCategory {
		if !used[cat] {
			t.Errorf("category %q has a writer (%s) but no event of the catalogue is in it", cat, service)
		}
	}
	msgs := complaintsv1.File_complaints_v1_events_proto.Messages()
	for i := range msgs.Len() {
		if m := msgs.Get(i); !slices.Contains(evs, m) && len(categories(m)) > 0 {
			t.Errorf("%s is a part of events, not an event, yet names categories %v", m.FullName(), categories(m))
		}
	}
	for _, name := range []string{"complaints.v1.SealedValue", "complaints.v1.PolicyRef", "complaints.v1.RedressItem", "complaints.v1.StreamWriter", "complaints.v1.Nonexistent", "CaseResolved"} {
		if c, ok := writers.Categories(name); ok {
			t.Errorf("%s placed in categories %q, but it is not an event", name, c)
		}
	}
}

// The table is the catalogue's: the package's own files name no service and
// no category of it.
func TestThePackageNamesNoServiceNorCategory(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for category, service := range writers.ByCategory {
		names = append(names, category, service)
	}
	if len(names) == 0 {
		t.Fatal("the catalogue lists no writer")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.Contains(string(b), `"`+n+`"`) {
				t.Errorf("%s names %q", f, n)
			}
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
