package natswire_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// FuzzDecode reads arbitrary subjects, headers and data as an event: no
// panic, a decoded event has an id, a type and a stream, and a decoded event
// written back with Message decodes to the same event.
func FuzzDecode(f *testing.F) {
	f.Add("complaints.events.case.42", "", "ev-1", "complaints.v1.CaseOpened", "1", "intake:nats", "2026-03-04T15:00:00Z", []byte{0x0a, 0x02, 0x34, 0x32})
	f.Add("complaints.events.complaint.c1", "complaint-c1", "ev-2", "complaints.v1.ComplaintReceived", "1", "customer:cust-1", "2026-03-04T15:00:00.123456789+02:00", []byte(nil))
	f.Add("complaints.events.case", "", "ev-3", "complaints.v1.CaseOpened", "x", "", "", []byte("\xff"))
	f.Add("complaints.events.case.4.2", "", "ev-4", "t", "-1", "", "not a time", []byte{})
	f.Add("other.subject", "case-9", "", "complaints.v1.CaseResolved", "1", "", "", []byte{})
	f.Add("complaints.events..", "-", "ev-5", "t", "99999999999999999999", "agent:a-1", "9999-12-31T23:59:59-23:59", []byte{})
	f.Fuzz(func(t *testing.T, subject, stream, id, typ, version, actor, recordedAt string, data []byte) {
		h := nats.Header{}
		set := func(k, v string) {
			if v != "" {
				h.Set(k, v)
			}
		}
		set(natswire.HeaderStream, stream)
		set(natswire.HeaderMsgID, id)
		set(natswire.HeaderEventType, typ)
		set(natswire.HeaderSchemaVersion, version)
		set(natswire.HeaderActor, actor)
		set(natswire.HeaderRecordedAt, recordedAt)
		set(natswire.HeaderComplaintID, id)
		set(natswire.HeaderService, typ)
		ev, err := natswire.Decode(subject, h, data)
		if err != nil {
			return
		}
		if ev.ID == "" || ev.Type == "" || ev.Stream == "" {
			t.Fatalf("decoded an event without id, type or stream: %+v", ev)
		}
		msg, err := natswire.Message(ev.Stream, eventlog.EventData{
			ID: ev.ID, Type: ev.Type, SchemaVersion: ev.SchemaVersion, Data: ev.Data, Metadata: ev.Metadata,
		})
		if err != nil {
			// A stream name Message refuses (not "<category>-<id>") is
			// only ever read, never written: nothing to compare.
			return
		}
		again, err := natswire.Decode(msg.Subject, msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v (%+v)", err, ev)
		}
		if !sameEvent(ev, again) {
			t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", again, ev)
		}
		if s, err := natswire.StreamFromSubject(msg.Subject); err != nil || s != ev.Stream {
			t.Fatalf("subject %q of stream %q reads back as %q (%v)", msg.Subject, ev.Stream, s, err)
		}
	})
}

func sameEvent(a, b eventlog.RecordedEvent) bool {
	am, bm := a.Metadata, b.Metadata
	return a.Stream == b.Stream && a.ID == b.ID && a.Type == b.Type && a.SchemaVersion == b.SchemaVersion &&
		string(a.Data) == string(b.Data) &&
		am.ComplaintID == bm.ComplaintID && am.CausationID == bm.CausationID && am.Service == bm.Service &&
		am.Actor == bm.Actor && am.TraceParent == bm.TraceParent && am.TraceState == bm.TraceState &&
		am.RecordedAt.Equal(bm.RecordedAt) && sameZero(am.RecordedAt, bm.RecordedAt)
}

func sameZero(a, b time.Time) bool { return a.IsZero() == b.IsZero() }
