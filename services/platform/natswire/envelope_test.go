package natswire_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

func twoEvents() []eventlog.EventData {
	at := time.Date(2026, 12, 7, 9, 30, 0, 123, time.UTC)
	return []eventlog.EventData{
		{ID: "ev-1", Type: "complaints.v1.CaseOpened", SchemaVersion: 1, Data: []byte{0x0a, 0x01, 0x31},
			Metadata: eventlog.Metadata{ComplaintID: "c1", CausationID: "cmd-1", Service: "resolution", Actor: "system:resolution",
				RecordedAt: at, TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		{ID: "ev-2", Type: "complaints.v1.ClockStarted", SchemaVersion: 1, Data: nil,
			Metadata: eventlog.Metadata{ComplaintID: "c1", CausationID: "ev-1", Service: "resolution", Actor: "system:resolution", RecordedAt: at}},
	}
}

func TestAnAppendOfOneEventIsAPlainEventMessage(t *testing.T) {
	one := twoEvents()[:1]
	m, err := natswire.AppendMessage("case-c1", one)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := natswire.Message("case-c1", one[0])
	if m.Subject != plain.Subject || string(m.Data) != string(plain.Data) || m.Header.Get(natswire.HeaderEventType) != one[0].Type || natswire.IsEnvelope(m.Header) {
		t.Fatalf("one event written as %+v, want the plain event message %+v", m, plain)
	}
}

func TestAnEnvelopeReadsBackAsItsEvents(t *testing.T) {
	events := twoEvents()
	m, err := natswire.AppendMessage("case-c1", events)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "complaints.events.case.c1" || m.Header.Get(natswire.HeaderMsgID) != "ev-1" ||
		m.Header.Get(natswire.HeaderEventCount) != "2" || m.Header.Get(natswire.HeaderComplaintID) != "c1" ||
		m.Header.Get(natswire.HeaderService) != "resolution" || m.Header.Get(natswire.HeaderEventType) != "" {
		t.Fatalf("envelope headers %v on %s", m.Header, m.Subject)
	}
	got, err := natswire.DecodeAll(m.Subject, m.Header, m.Data)
	if err != nil || len(got) != 2 {
		t.Fatalf("decoded %d events: %v", len(got), err)
	}
	for i, e := range got {
		want := eventlog.RecordedEvent{EventData: events[i], Stream: "case-c1"}
		if !sameEvent(e, want) {
			t.Errorf("event %d read back as %+v, want %+v", i, e, want)
		}
	}
	if _, err := natswire.Decode(m.Subject, m.Header, m.Data); err == nil {
		t.Error("Decode read an envelope as one event")
	}
}

func TestABrokenEnvelopeIsRefused(t *testing.T) {
	m, err := natswire.AppendMessage("case-c1", twoEvents())
	if err != nil {
		t.Fatal(err)
	}
	for name, broken := range map[string]func(h nats.Header, data []byte) (nats.Header, []byte){
		"count does not match": func(h nats.Header, d []byte) (nats.Header, []byte) {
			h.Set(natswire.HeaderEventCount, "3")
			return h, d
		},
		"count not a number": func(h nats.Header, d []byte) (nats.Header, []byte) {
			h.Set(natswire.HeaderEventCount, "two")
			return h, d
		},
		"count too large": func(h nats.Header, d []byte) (nats.Header, []byte) {
			h.Set(natswire.HeaderEventCount, strconv.Itoa(natswire.MaxEnvelopeEvents+1))
			return h, d
		},
		"payload not an envelope": func(h nats.Header, _ []byte) (nats.Header, []byte) { return h, []byte("\xff\xff") },
	} {
		h := nats.Header{}
		for k, v := range m.Header {
			h[k] = append([]string(nil), v...)
		}
		h, data := broken(h, m.Data)
		if got, err := natswire.DecodeAll(m.Subject, h, data); err == nil {
			t.Errorf("%s: decoded %d events", name, len(got))
		}
	}
	if _, err := natswire.AppendMessage("case-c1", nil); err == nil {
		t.Error("an append of no event made a message")
	}
	if _, err := natswire.AppendMessage("case-c1", make([]eventlog.EventData, natswire.MaxEnvelopeEvents+1)); err == nil {
		t.Error("an append of too many events made a message")
	}
}

// FuzzDecodeEnvelope reads arbitrary payloads and counts as an envelope: no
// panic, every decoded event has an id, a type and the stream, and the
// events written back with AppendMessage decode to the same events.
func FuzzDecodeEnvelope(f *testing.F) {
	good, _ := natswire.AppendMessage("case-c1", twoEvents())
	f.Add("complaints.events.case.c1", "case-c1", "2", good.Data)
	f.Add("complaints.events.case.c1", "", "1", good.Data[:len(good.Data)/2])
	f.Add("complaints.events.case.c1", "case-c2", "-1", []byte{})
	f.Add("complaints.events.case", "case-c1", "2", good.Data)
	f.Fuzz(func(t *testing.T, subject, stream, count string, data []byte) {
		h := nats.Header{}
		h.Set(natswire.HeaderEventCount, count)
		if stream != "" {
			h.Set(natswire.HeaderStream, stream)
		}
		events, err := natswire.DecodeAll(subject, h, data)
		if err != nil {
			return
		}
		if len(events) == 0 {
			t.Fatal("decoded an envelope of no event")
		}
		back := make([]eventlog.EventData, len(events))
		for i, e := range events {
			if e.ID == "" || e.Type == "" || e.Stream == "" || e.Stream != events[0].Stream {
				t.Fatalf("decoded event %d without id, type or the envelope's stream: %+v", i, e)
			}
			back[i] = e.EventData
		}
		m, err := natswire.AppendMessage(events[0].Stream, back)
		if err != nil {
			return // a stream name only ever read, never written
		}
		again, err := natswire.DecodeAll(m.Subject, m.Header, m.Data)
		if err != nil || len(again) != len(events) {
			t.Fatalf("re-encoded envelope decodes to %d events: %v", len(again), err)
		}
		for i := range events {
			if !sameEvent(events[i], again[i]) {
				t.Fatalf("round trip changed event %d:\n got %+v\nwant %+v", i, again[i], events[i])
			}
		}
	})
}
