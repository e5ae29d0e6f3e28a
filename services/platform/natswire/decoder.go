package natswire

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// A Decoder reads the events of a log's messages as DecodeAll does, for a
// reader that goes through many of them (a subscription, a rebuild):
//   - it reads an envelope's wire format directly, without building its
//     protobuf messages first;
//   - an event's type, service and actor, which few values take, are kept
//     once each and shared by the events that carry them; an envelope's
//     complaint id is its header's;
//   - an event's Data is the part of the message's data that holds it, not
//     a copy: the message's data must not be changed afterwards;
//   - the events a reader does not want (keep) are checked like the others
//     but never built.
//
// A Decoder is used by one goroutine at a time.
type Decoder struct {
	// Keep, if set, tells which event types the reader wants; the others
	// are left out of what Append returns.
	Keep func(eventType string) bool

	shared map[string]string
	kept   map[string]bool
}

// maxShared bounds the strings a Decoder keeps to share.
const maxShared = 4096

// share returns b as a string, the same string every time for equal bytes.
func (d *Decoder) share(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.shared[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.shared == nil {
		d.shared = map[string]string{}
	}
	if len(d.shared) < maxShared {
		d.shared[s] = s
	}
	return s
}

func (d *Decoder) keeps(eventType string) bool {
	if d.Keep == nil {
		return true
	}
	k, ok := d.kept[eventType]
	if !ok {
		k = d.Keep(eventType)
		if d.kept == nil {
			d.kept = map[string]bool{}
		}
		if len(d.kept) < maxShared {
			d.kept[eventType] = k
		}
	}
	return k
}

// Append appends to out the events of the JetStream message at stream
// sequence seq that Keep keeps, each with its revision and position
// (PositionOf), and returns out. A message that DecodeAll refuses is
// refused, whatever Keep says of its events.
func (d *Decoder) Append(out []eventlog.RecordedEvent, seq uint64, subject string, h nats.Header, data []byte) ([]eventlog.RecordedEvent, error) {
	if !IsEnvelope(h) {
		e, err := Decode(subject, h, data)
		if err != nil {
			return out, err
		}
		if !d.keeps(e.Type) {
			return out, nil
		}
		e.Revision, e.Position = RevisionOf(seq, 0, 1), PositionOf(seq, 0, 1)
		return append(out, e), nil
	}
	count, err := strconv.Atoi(h.Get(HeaderEventCount))
	if err != nil || count < 1 || count > MaxEnvelopeEvents {
		return out, fmt.Errorf("natswire: envelope on %q with event count %q", subject, h.Get(HeaderEventCount))
	}
	stream := h.Get(HeaderStream)
	if fromSubject, err := StreamFromSubject(subject); err != nil {
		return out, err
	} else if stream == "" {
		stream = fromSubject
	}
	complaint := h.Get(HeaderComplaintID)
	var prev eventlog.RecordedEvent
	i := 0
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return out, envelopeError(subject, protowire.ParseError(n))
		}
		b = b[n:]
		if num != 1 || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return out, envelopeError(subject, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return out, envelopeError(subject, protowire.ParseError(n))
		}
		b = b[n:]
		var r rawEvent
		if err := r.parse(v); err != nil {
			return out, envelopeError(subject, err)
		}
		if i >= count {
			// Counted on to the end, to say how many there are.
			i++
			continue
		}
		if len(r.id) == 0 || len(r.typ) == 0 {
			return out, fmt.Errorf("natswire: event %d of the envelope on %q lacks id or type", i, subject)
		}
		if t := d.share(r.typ); d.keeps(t) {
			e := eventlog.RecordedEvent{Stream: stream}
			e.ID, e.Type, e.SchemaVersion, e.Data = string(r.id), t, int(r.schemaVersion), r.data
			e.Metadata = eventlog.Metadata{
				ComplaintID: same(r.complaintID, complaint, prev.Metadata.ComplaintID),
				CausationID: same(r.causationID, prev.Metadata.CausationID, ""),
				Service:     d.share(r.service),
				Actor:       eventlog.Actor(d.share(r.actor)),
				TraceParent: same(r.traceParent, prev.Metadata.TraceParent, ""),
				TraceState:  same(r.traceState, prev.Metadata.TraceState, ""),
			}
			if r.recorded {
				e.Metadata.RecordedAt = recordedAt(r.seconds, r.nanos)
			}
			e.Revision, e.Position = RevisionOf(seq, i, count), PositionOf(seq, i, count)
			out = append(out, e)
			prev = e
		}
		i++
	}
	if i != count {
		return out, fmt.Errorf("natswire: envelope on %q holds %d events, its header says %d", subject, i, count)
	}
	return out, nil
}

// same returns b as a string: one of the strings given when it is equal to
// it, a new one otherwise.
func same(b []byte, candidates ...string) string {
	if len(b) == 0 {
		return ""
	}
	for _, c := range candidates {
		if c == string(b) {
			return c
		}
	}
	return string(b)
}

// recordedAt is the time of a google.protobuf.Timestamp, zero when it is
// not a valid one or its year has not four digits (as DecodeAll).
func recordedAt(seconds int64, nanos int32) time.Time {
	const minValid, maxValid = -62135596800, 253402300799 // 0001-01-01, 9999-12-31T23:59:59 UTC
	if seconds < minValid || seconds > maxValid || nanos < 0 || nanos >= 1e9 {
		return time.Time{}
	}
	return time.Unix(seconds, int64(nanos)).UTC()
}

func envelopeError(subject string, err error) error {
	return fmt.Errorf("natswire: envelope on %q: %w", subject, err)
}

// rawEvent is one complaints.log.v1.EnvelopedEvent as its bytes, before any
// of it is copied.
type rawEvent struct {
	id, typ, data, complaintID, causationID, service, actor, traceParent, traceState []byte
	schemaVersion                                                                    int32
	recorded                                                                         bool
	seconds                                                                          int64
	nanos                                                                            int32
}

var errInvalidUTF8 = errors.New("string field contains invalid UTF-8")

// parse reads the fields of an EnvelopedEvent as protobuf does: the last
// of a repeated scalar wins, an unknown field (or a known one of another
// wire type) is passed over, a string must be valid UTF-8.
func (r *rawEvent) parse(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case typ == protowire.BytesType && num >= 1 && num <= 11 && num != 3 && num != 9:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			if num != 4 && !utf8.Valid(v) {
				return errInvalidUTF8
			}
			switch num {
			case 1:
				r.id = v
			case 2:
				r.typ = v
			case 4:
				r.data = v[:len(v):len(v)]
			case 5:
				r.complaintID = v
			case 6:
				r.causationID = v
			case 7:
				r.service = v
			case 8:
				r.actor = v
			case 10:
				r.traceParent = v
			case 11:
				r.traceState = v
			}
		case num == 3 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			r.schemaVersion = int32(v)
		case num == 9 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			r.recorded = true
			if err := r.parseTimestamp(v); err != nil {
				return err
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return nil
}

// parseTimestamp reads a google.protobuf.Timestamp into the event's,
// merging with what an earlier one set, as protobuf does.
func (r *rawEvent) parseTimestamp(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if (num == 1 || num == 2) && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			if num == 1 {
				r.seconds = int64(v)
			} else {
				r.nanos = int32(v)
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}
