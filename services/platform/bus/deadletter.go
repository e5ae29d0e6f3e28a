package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// The dead-letter stream holds the events consumers gave up on, one subject
// per consumer; an operator lists them and re-drives them (complaintctl
// dead-letters).
const (
	DeadLetterStream        = "COMPLAINT_DEAD_LETTERS"
	DeadLetterSubjectPrefix = "complaints.deadletters"
	RedriveSubjectPrefix    = "complaints.redrive"
)

// DeadLetterSubject is where a consumer's dead letters go.
func DeadLetterSubject(durable string) string { return DeadLetterSubjectPrefix + "." + durable }

// RedriveSubject is where a consumer listens for dead letters to handle again.
func RedriveSubject(durable string) string { return RedriveSubjectPrefix + "." + durable }

// Headers a dead letter carries beside the event's own headers.
const (
	HeaderDLConsumer       = "Dead-Letter-Consumer"
	HeaderDLReason         = "Dead-Letter-Reason"
	HeaderDLError          = "Dead-Letter-Error"
	HeaderDLAttempts       = "Dead-Letter-Attempts"
	HeaderDLSubject        = "Dead-Letter-Subject"         // the event's subject
	HeaderDLStreamSequence = "Dead-Letter-Stream-Sequence" // the event's sequence in COMPLAINT_EVENTS
	HeaderDLMsgID          = "Dead-Letter-Msg-Id"          // the event's Nats-Msg-Id (its event id)
	HeaderDLAt             = "Dead-Letter-At"
)

// maxErrorLen bounds the error text kept in a dead letter.
const maxErrorLen = 1024

// DeadLetterStreamConfig is the dead-letter stream as the operator
// provisions it. File storage, kept until an operator removes an entry
// (after re-driving it); de-duplicated so that a dead letter written again
// after a crash is kept once.
func DeadLetterStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        DeadLetterStream,
		Description: "events a consumer could not handle, for an operator to inspect and re-drive",
		Subjects:    []string{DeadLetterSubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Duplicates:  natswire.DuplicateWindow,
		AllowDirect: true,
	}
}

// EnsureDeadLetterStream creates the dead-letter stream, or brings its
// settings up to date: the operator's provisioning step (see package
// provision).
func EnsureDeadLetterStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, DeadLetterStreamConfig())
	if err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", DeadLetterStream, err)
	}
	return st, nil
}

// OpenDeadLetterStream binds to the dead-letter stream the operator
// provisioned; it never creates it.
func OpenDeadLetterStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, DeadLetterStream)
	if err != nil {
		return nil, fmt.Errorf("bus: stream %s (run complaintctl provision as the operator): %w", DeadLetterStream, err)
	}
	return st, nil
}

// DeadLetter is an event a consumer gave up on, and why.
type DeadLetter struct {
	// Sequence is the dead letter's own sequence in COMPLAINT_DEAD_LETTERS
	// (0 until stored), and At when it was written.
	Sequence uint64    `json:"sequence"`
	At       time.Time `json:"at"`
	Consumer string    `json:"consumer"`
	Reason   string    `json:"reason"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
	// Subject and StreamSequence place the event in COMPLAINT_EVENTS.
	Subject        string `json:"subject"`
	StreamSequence uint64 `json:"stream_sequence"`
	// Header holds the event's own headers (Nats-Msg-Id included), Data its
	// payload, as they were delivered.
	Header nats.Header `json:"header"`
	Data   []byte      `json:"data"`
}

// EventType and EventID are the event's, from its headers.
func (d DeadLetter) EventType() string { return d.Header.Get(natswire.HeaderEventType) }
func (d DeadLetter) EventID() string   { return d.Header.Get(natswire.HeaderMsgID) }

func deadLetterOf(durable, subject string, h nats.Header, data []byte, seq uint64, out outcome) DeadLetter {
	dl := DeadLetter{
		At: time.Now().UTC(), Consumer: durable, Reason: out.reason, Attempts: out.attempts,
		Subject: subject, StreamSequence: seq, Header: nats.Header{}, Data: data,
	}
	if out.err != nil {
		dl.Error = out.err.Error()
	}
	for k, v := range h {
		dl.Header[k] = append([]string(nil), v...)
	}
	return dl
}

// envelopedDeadLetter is the dead letter of one event of an envelope: the
// event as a plain event message of its own, its log position in
// Log-Position, and the envelope's subject and stream sequence.
func envelopedDeadLetter(durable, subject string, e eventlog.RecordedEvent, seq uint64, out outcome) DeadLetter {
	dl := DeadLetterOfEvent(durable, e, out.reason, out.err, out.attempts)
	dl.Subject, dl.StreamSequence = subject, seq
	return dl
}

// Message is the dead letter as stored: the event's headers, except the
// server's own (Nats-*), which would steer the publish; the event id kept
// under Dead-Letter-Msg-Id; the dead-letter headers; the event's payload.
// msgID de-duplicates the dead letter itself.
func (d DeadLetter) Message(msgID string) *nats.Msg {
	m := nats.NewMsg(DeadLetterSubject(d.Consumer))
	for k, v := range d.Header {
		if strings.HasPrefix(k, "Nats-") || strings.HasPrefix(k, "Dead-Letter-") {
			continue
		}
		m.Header[k] = append([]string(nil), v...)
	}
	m.Header.Set(HeaderDLMsgID, d.Header.Get(natswire.HeaderMsgID))
	m.Header.Set(HeaderDLConsumer, d.Consumer)
	m.Header.Set(HeaderDLReason, d.Reason)
	m.Header.Set(HeaderDLError, headerSafe(d.Error, maxErrorLen))
	m.Header.Set(HeaderDLAttempts, strconv.Itoa(d.Attempts))
	m.Header.Set(HeaderDLSubject, d.Subject)
	m.Header.Set(HeaderDLStreamSequence, strconv.FormatUint(d.StreamSequence, 10))
	m.Header.Set(HeaderDLAt, d.At.UTC().Format(time.RFC3339Nano))
	if msgID != "" {
		m.Header.Set(nats.MsgIdHdr, msgID)
	}
	m.Data = d.Data
	return m
}

// headerSafe keeps s on one header line, valid UTF-8, at most n bytes.
func headerSafe(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// ParseDeadLetter reads a dead letter back from a stored (or re-drive)
// message's headers and data.
func ParseDeadLetter(h nats.Header, data []byte) (DeadLetter, error) {
	d := DeadLetter{
		Consumer: h.Get(HeaderDLConsumer), Reason: h.Get(HeaderDLReason), Error: h.Get(HeaderDLError),
		Subject: h.Get(HeaderDLSubject), Header: nats.Header{}, Data: data,
	}
	if d.Consumer == "" || d.Subject == "" {
		return d, errors.New("bus: not a dead letter: it names no consumer or subject")
	}
	d.Attempts, _ = strconv.Atoi(h.Get(HeaderDLAttempts))
	d.StreamSequence, _ = strconv.ParseUint(h.Get(HeaderDLStreamSequence), 10, 64)
	d.At, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderDLAt))
	for k, v := range h {
		if strings.HasPrefix(k, "Dead-Letter-") || strings.HasPrefix(k, "Nats-") {
			continue
		}
		d.Header[k] = append([]string(nil), v...)
	}
	if id := h.Get(HeaderDLMsgID); id != "" {
		d.Header.Set(natswire.HeaderMsgID, id)
	}
	return d, nil
}

// ReadDeadLetter reads the dead letter stored at seq.
func ReadDeadLetter(ctx context.Context, st jetstream.Stream, seq uint64) (DeadLetter, error) {
	raw, err := st.GetMsg(ctx, seq)
	if err != nil {
		return DeadLetter{}, err
	}
	d, err := ParseDeadLetter(raw.Header, raw.Data)
	d.Sequence = raw.Sequence
	if d.At.IsZero() {
		d.At = raw.Time
	}
	return d, err
}

// Event is the dead letter's event, as the consumer's handler sees it.
func (d DeadLetter) Event() (eventlog.RecordedEvent, error) {
	e, err := natswire.Decode(d.Subject, d.Header, d.Data)
	if err != nil {
		return e, err
	}
	e.Position = natswire.LastOfMessage(d.StreamSequence)
	e.Revision = eventlog.Revision(e.Position)
	h := d.Header
	if p, err := strconv.ParseUint(h.Get(natswire.HeaderLogPosition), 10, 64); err == nil {
		e.Position = eventlog.Position(p)
	}
	if r, err := strconv.ParseUint(h.Get(natswire.HeaderLogRevision), 10, 64); err == nil {
		e.Revision = eventlog.Revision(r)
	}
	return e, nil
}

// deadLetterMsgID names a consumer's dead letter of one event (by its log
// position), so that a dead letter written again (the process died before
// acknowledging the event) is stored once.
func deadLetterMsgID(durable string, seq uint64) string { return DeadLetterMsgID(durable, seq) }

// DeadLetterMsgID names the dead letter a consumer writes for the event at
// one stream sequence (or log position): the same dead letter written again
// within the stream's duplicate window is stored once.
func DeadLetterMsgID(consumer string, seq uint64) string {
	return consumer + "/" + strconv.FormatUint(seq, 10)
}

// ProjectionConsumerPrefix starts the consumer name of a projection's dead
// letters, "projection.<name>": a projection reads the whole log, not a
// durable consumer, and its dead letters are not re-driven but folded by
// rebuilding it (see package projection).
const ProjectionConsumerPrefix = "projection."

// DeadLetterOfEvent is the dead letter of an event that a reader of the
// event log (not a bus consumer) gave up on: its headers are the ones the
// event has on the bus as a plain event message (natswire), with its log
// position in Log-Position; StreamSequence is its log position too.
func DeadLetterOfEvent(consumer string, e eventlog.RecordedEvent, reason string, cause error, attempts int) DeadLetter {
	dl := DeadLetter{
		At: time.Now().UTC(), Consumer: consumer, Reason: reason, Attempts: attempts,
		Subject: natswire.SubjectPrefix + ".unknown", StreamSequence: uint64(e.Position), Header: nats.Header{}, Data: e.Data,
	}
	if cause != nil {
		dl.Error = cause.Error()
	}
	if m, err := natswire.Message(e.Stream, e.EventData); err == nil {
		dl.Subject, dl.Header = m.Subject, m.Header
	} else {
		dl.Header.Set(natswire.HeaderMsgID, e.ID)
		dl.Header.Set(natswire.HeaderEventType, e.Type)
		dl.Header.Set(natswire.HeaderStream, e.Stream)
	}
	dl.Header.Set(natswire.HeaderLogPosition, strconv.FormatUint(uint64(e.Position), 10))
	return dl
}

// PublishDeadLetter stores a dead letter under msgID, which de-duplicates
// it (see DeadLetterMsgID): ack.Duplicate says it was stored already. It
// waits at most 10s, even once ctx has ended, so that a consumer stopping
// still records what it gave up on.
func PublishDeadLetter(ctx context.Context, js jetstream.Publisher, dl DeadLetter, msgID string) (*jetstream.PubAck, error) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return js.PublishMsg(pctx, dl.Message(msgID))
}

// publishDeadLetter stores a dead letter, counts it and logs it (ids, type
// and reason only: never the payload, which may hold personal data).
func (c *Consumer) publishDeadLetter(ctx context.Context, dl DeadLetter, msgID string) error {
	ack, err := PublishDeadLetter(ctx, c.js, dl, msgID)
	if err != nil {
		return err
	}
	if ack.Duplicate {
		return nil // written already, counted then
	}
	c.metrics.deadLettered(ctx, c.sub.Durable, dl.Reason)
	c.sub.Logger.Warn("bus: event dead-lettered", "consumer", c.sub.Durable, "reason", dl.Reason,
		"event_type", dl.EventType(), "event_id", dl.EventID(), "complaint_id", dl.Header.Get(natswire.HeaderComplaintID),
		"stream_seq", dl.StreamSequence, "attempts", dl.Attempts, "dead_letter_seq", ack.Sequence, "err", headerSafe(dl.Error, maxErrorLen))
	return nil
}

// ListDeadLetters reads the dead letters in store order, those of one
// consumer when consumer is not empty, at most limit of them when limit > 0.
func ListDeadLetters(ctx context.Context, st jetstream.Stream, consumer string, limit int) ([]DeadLetter, error) {
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	if info.State.Msgs == 0 {
		return out, nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		d, err := ReadDeadLetter(ctx, st, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // removed after a re-drive
		}
		if err != nil {
			return out, fmt.Errorf("dead letter %d: %w", seq, err)
		}
		if consumer != "" && d.Consumer != consumer {
			continue
		}
		out = append(out, d)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}
