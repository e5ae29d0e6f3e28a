package bus

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// FuzzRedriveRequest answers arbitrary re-drive requests (dead-letter and
// event headers, payload) as a consumer's re-drive listener does, with a
// handler that always succeeds: no panic, the answer is one of the three
// outcomes and marshals, a failure says why, and only a dead letter of this
// consumer whose event decodes reaches the handler.
func FuzzRedriveRequest(f *testing.F) {
	const durable = "fuzz"
	m, err := newMetrics(nil)
	if err != nil {
		f.Fatal(err)
	}
	handled := 0
	c := &Consumer{
		sub: Subscription{Durable: durable, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Authenticate: func(string, eventlog.RecordedEvent) error { return nil },
			AckWait: 30 * time.Second, Retry: Retry{}.withDefaults()},
		h:       func(context.Context, eventlog.RecordedEvent) error { handled++; return nil },
		metrics: m, wantType: map[string]bool{}, runCtx: context.Background(),
	}
	f.Add(durable, "complaints.events.case.c1", "ev-1", "complaints.v1.CaseOpened", "case-c1", "12", "handler-error", []byte{0x0a, 0x02, 0x63, 0x31})
	f.Add(durable, "complaints.events.case.c1", "ev-1", "complaints.v1.CaseOpened", "case-c2", "12", "forged", []byte{})
	f.Add("other", "complaints.events.case.c1", "ev-1", "complaints.v1.CaseOpened", "case-c1", "1", "", []byte{})
	f.Add(durable, "", "ev-1", "complaints.v1.CaseOpened", "", "", "", []byte{})
	f.Add(durable, "complaints.events.case", "", "", "", "x", "undecodable", []byte("\xff"))
	f.Add(durable, "complaints.events.case.c1", "ev-1", "complaints.v1.CaseOpened", "case-c1", "18446744073709551616", "", []byte{0xff, 0xff})
	f.Add("", "", "", "", "", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, consumer, subject, id, typ, stream, seq, reason string, data []byte) {
		h := nats.Header{}
		set := func(k, v string) {
			if v != "" {
				h.Set(k, v)
			}
		}
		set(HeaderDLConsumer, consumer)
		set(HeaderDLSubject, subject)
		set(HeaderDLMsgID, id)
		set(HeaderDLStreamSequence, seq)
		set(HeaderDLAttempts, seq)
		set(HeaderDLReason, reason)
		set(HeaderDLAt, seq)
		set(natswire.HeaderEventType, typ)
		set(natswire.HeaderStream, stream)
		set(natswire.HeaderLogPosition, seq)
		set(nats.MsgIdHdr, id)
		before := handled
		res := c.redriveOne(&nats.Msg{Subject: RedriveSubject(durable), Header: h, Data: data})
		switch res.Outcome {
		case RedriveHandled, RedriveIgnored:
		case RedriveFailed:
			if res.Reason == "" && res.Error == "" {
				t.Fatalf("a failure that says nothing: %+v", res)
			}
		default:
			t.Fatalf("outcome %q", res.Outcome)
		}
		if handled != before && (consumer != durable || res.Outcome != RedriveHandled) {
			t.Fatalf("handled a re-drive answered %+v (consumer %q)", res, consumer)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("answer does not marshal: %v", err)
		}
	})
}
