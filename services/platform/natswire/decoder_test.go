package natswire_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

func TestADecoderReadsAnEnvelopeAsDecodeAllDoes(t *testing.T) {
	events := append(twoEvents(), eventlog.EventData{ID: "ev-3", Type: "complaints.v1.CaseOpened", SchemaVersion: 2, Data: []byte{1, 2, 3},
		Metadata: eventlog.Metadata{ComplaintID: "c1", Service: "resolution"}})
	m, err := natswire.AppendMessage("case-c1", events)
	if err != nil {
		t.Fatal(err)
	}
	var d natswire.Decoder
	got, err := d.Append(nil, 7, m.Subject, m.Header, m.Data)
	if err != nil || len(got) != 3 {
		t.Fatalf("decoded %d events: %v", len(got), err)
	}
	for i, e := range got {
		want := eventlog.RecordedEvent{EventData: events[i], Stream: "case-c1"}
		if !sameEvent(e, want) || e.Position != natswire.PositionOf(7, i, 3) || eventlog.Position(e.Revision) != e.Position {
			t.Errorf("event %d read back as %+v, want %+v", i, e, want)
		}
	}
	if got[0].Type != got[2].Type || got[0].Metadata.Service != got[1].Metadata.Service {
		t.Error("equal types and services differ")
	}

	d = natswire.Decoder{Keep: func(typ string) bool { return typ == "complaints.v1.CaseOpened" }}
	kept, err := d.Append(nil, 7, m.Subject, m.Header, m.Data)
	if err != nil || len(kept) != 2 || kept[0].ID != "ev-1" || kept[1].ID != "ev-3" || kept[1].Position != natswire.PositionOf(7, 2, 3) {
		t.Fatalf("kept %+v (%v), want ev-1 and ev-3 at their positions", kept, err)
	}
}

func TestADecoderReadsAPlainEventMessage(t *testing.T) {
	e := twoEvents()[0]
	m, _ := natswire.Message("case-c1", e)
	var d natswire.Decoder
	got, err := d.Append(nil, 3, m.Subject, m.Header, m.Data)
	if err != nil || len(got) != 1 || !sameEvent(got[0], eventlog.RecordedEvent{EventData: e, Stream: "case-c1"}) || got[0].Position != natswire.LastOfMessage(3) {
		t.Fatalf("read back %+v (%v)", got, err)
	}
	d.Keep = func(string) bool { return false }
	if got, err := d.Append(nil, 3, m.Subject, m.Header, m.Data); err != nil || len(got) != 0 {
		t.Fatalf("kept %+v (%v), want none", got, err)
	}
}

// FuzzDecoder reads arbitrary envelopes with a Decoder and with DecodeAll:
// both refuse the same ones and read the others alike.
func FuzzDecoder(f *testing.F) {
	m, err := natswire.AppendMessage("case-c1", twoEvents())
	if err != nil {
		f.Fatal(err)
	}
	f.Add("complaints.events.case.c1", 2, m.Data)
	f.Add("complaints.events.case.c1", 1, m.Data)
	f.Add("complaints.events.case.c1", 3, m.Data)
	f.Add("complaints.events.case.c1", 1, []byte{0x0a, 0x00})
	f.Add("complaints.events.case.c1", 1, []byte{0x0a, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, 'b'})
	f.Add("complaints.events.case.c1", 1, []byte{0x0a, 0x08, 0x0a, 0x01, 'a', 0x12, 0x01, 'b', 0x4a, 0x00})
	f.Add("complaints.events.case.c1", 1, []byte{0x0a, 0x06, 0x0a, 0x01, 0xff, 0x12, 0x01, 'b'})
	f.Add("complaints.events.case.c1", 1, []byte{0x0a, 0x09, 0x0a, 0x01, 'a', 0x12, 0x01, 'b', 0x18, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, subject string, count int, data []byte) {
		h := nats.Header{}
		h.Set(natswire.HeaderEventCount, strconv.Itoa(count))
		h.Set(natswire.HeaderComplaintID, "c1")
		want, werr := natswire.DecodeAll(subject, h, data)
		var d natswire.Decoder
		got, gerr := d.Append(nil, 5, subject, h, data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("DecodeAll: %v; Decoder: %v", werr, gerr)
		}
		if werr != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("Decoder read %d events, DecodeAll %d", len(got), len(want))
		}
		for i := range want {
			want[i].Position = natswire.PositionOf(5, i, len(want))
			if !sameEvent(got[i], want[i]) || got[i].Position != want[i].Position || !got[i].Metadata.RecordedAt.Equal(want[i].Metadata.RecordedAt) {
				t.Fatalf("event %d: Decoder %+v, DecodeAll %+v", i, got[i], want[i])
			}
		}
	})
}

func BenchmarkDecodeAll(b *testing.B) {
	m := benchEnvelope(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := natswire.DecodeAll(m.Subject, m.Header, m.Data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecoder(b *testing.B) {
	m := benchEnvelope(b)
	var d natswire.Decoder
	var out []eventlog.RecordedEvent
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, err = d.Append(out[:0], 1, m.Subject, m.Header, m.Data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEnvelope is an append of five events as a service writes them.
func benchEnvelope(b *testing.B) *nats.Msg {
	at := time.Date(2026, 12, 7, 9, 30, 0, 123, time.UTC)
	var events []eventlog.EventData
	for i := range 5 {
		events = append(events, eventlog.EventData{ID: "0193a7c2-6f1e-7c3a-9d2b-4e5f6a7b8c9" + strconv.Itoa(i), Type: "complaints.v1.CaseOpened", SchemaVersion: 1, Data: make([]byte, 120),
			Metadata: eventlog.Metadata{ComplaintID: "0193a7c2-6f1e-7c3a-9d2b-4e5f6a7b8c90", Service: "resolution", Actor: "system:resolution", RecordedAt: at}})
	}
	m, err := natswire.AppendMessage("case-0193a7c2-6f1e-7c3a-9d2b-4e5f6a7b8c90", events)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
