package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/natsreply"
)

// RedriveResult is a consumer's answer to a re-drive request.
type RedriveResult struct {
	// Outcome is "handled" (the handler succeeded), "ignored" (the consumer
	// does not handle this event type) or "failed".
	Outcome string `json:"outcome"`
	// Reason and Error say why it failed (Reason as in dead letters).
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Outcomes of a re-drive.
const (
	RedriveHandled = outcomeHandled
	RedriveIgnored = outcomeIgnored
	RedriveFailed  = "failed"
)

// RedriveTimeout bounds the handling of one re-driven event, retries included.
const RedriveTimeout = 20 * time.Second

// listenForRedrives answers re-drive requests: a dead letter of this
// consumer, sent as stored, goes through the same checks and handler as a
// delivered event (never through the event log). One replica of the service
// answers each request (a queue group named after the durable). A re-drive
// that fails leaves nothing behind: the dead letter stays where it is, and the
// answer says why. A request whose reply subject is not an inbox is refused
// (logged and counted, never handled nor answered): the answer would be
// published with the service's rights, on an event subject or a key.
func (c *Consumer) listenForRedrives() (*nats.Subscription, error) {
	return c.js.Conn().QueueSubscribe(RedriveSubject(c.sub.Durable), c.sub.Durable, func(m *nats.Msg) {
		if !natsreply.IsInbox(m.Reply) {
			c.metrics.replies.Refuse(m.Subject, m.Reply)
			return
		}
		res := c.redriveOne(m)
		data, _ := json.Marshal(res)
		_ = m.Respond(data)
	})
}

func (c *Consumer) redriveOne(m *nats.Msg) RedriveResult {
	dl, err := ParseDeadLetter(m.Header, m.Data)
	if err != nil {
		return RedriveResult{Outcome: RedriveFailed, Reason: ReasonUndecodable, Error: err.Error()}
	}
	if dl.Consumer != c.sub.Durable {
		return RedriveResult{Outcome: RedriveFailed, Error: "a dead letter of consumer " + dl.Consumer + ", not " + c.sub.Durable}
	}
	e, err := dl.Event()
	if err != nil {
		return RedriveResult{Outcome: RedriveFailed, Reason: ReasonUndecodable, Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(c.runCtx, RedriveTimeout)
	defer cancel()
	started := time.Now()
	out := c.handle(ctx, dl.Subject, e, func() {})
	c.metrics.handled(context.WithoutCancel(ctx), c.sub.Durable, e.Type, "redrive-"+out.name, started)
	res := RedriveResult{Outcome: out.name}
	if out.name != outcomeHandled && out.name != outcomeIgnored {
		res = RedriveResult{Outcome: RedriveFailed, Reason: out.reason}
		if out.err != nil {
			res.Error = headerSafe(out.err.Error(), maxErrorLen)
		}
		if out.name == outcomeStopped && c.runCtx.Err() == nil {
			res.Error = "still failing after " + RedriveTimeout.String()
		}
	}
	c.sub.Logger.Info("bus: dead letter re-driven", "consumer", c.sub.Durable, "event_type", e.Type, "event_id", e.ID,
		"stream_seq", dl.StreamSequence, "outcome", res.Outcome, "reason", res.Reason)
	return res
}

// Redrive sends a dead letter back to its consumer's handler and returns the
// consumer's answer. It does not remove the dead letter: the caller does so
// once the answer is RedriveHandled or RedriveIgnored. Re-driving the same
// dead letter twice is safe, as handlers are idempotent.
func Redrive(ctx context.Context, nc *nats.Conn, dl DeadLetter) (RedriveResult, error) {
	m := dl.Message("")
	m.Subject = RedriveSubject(dl.Consumer)
	reply, err := nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return RedriveResult{}, fmt.Errorf("consumer %s is not running: start its service and try again", dl.Consumer)
		}
		return RedriveResult{}, err
	}
	var res RedriveResult
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		return res, fmt.Errorf("answer of consumer %s: %w", dl.Consumer, err)
	}
	return res, nil
}
