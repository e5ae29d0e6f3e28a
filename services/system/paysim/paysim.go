// Package paysim is a simulated payment and voucher system: it reads
// RedressIssuanceRequested events from the event stream (subject
// complaints.events.redress.<complaint id>) and confirms each on the
// documented request subject complaints.compensation.confirm, as a
// company's payment system would. Like a real one it de-duplicates on the
// issuance id: a request seen again gets the same external reference.
//
// It can be told to fail (a share of requests, or every Nth) and to answer
// twice, to show that compensation records each issuance once. It needs
// only what the payment systems' NATS user ("payments") may do: a consumer
// of its own on the redress events, and confirmations; and each
// confirmation carries a bearer token of the payments role (ADR 0036).
package paysim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	compadapters "github.com/complaintflow/complaintflow/services/compensation/adapters"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// SubjectConfirm is where confirmations are sent (compensation's
// request subject for the payment systems).
const SubjectConfirm = compadapters.SubjectConfirm

// DefaultDurable is the simulator's consumer on the event stream.
const DefaultDurable = "paysim"

// Options tune the simulator. With a Token and nothing else it confirms
// every request once.
type Options struct {
	// Token is the bearer token of the payments role every confirmation
	// carries in its Authorization header (required).
	Token string
	// FailRate is the share of requests answered "failed" (0 to 1).
	FailRate float64
	// FailEvery fails every Nth request (0: never).
	FailEvery int
	// AnswerTwice sends every confirmation twice.
	AnswerTwice bool
	// Durable names its consumer on the event stream (default "paysim").
	Durable string
	// Timeout bounds one confirmation request (default 10s).
	Timeout time.Duration
	// Concurrency bounds the requests answered at once (default 32).
	Concurrency int
	Logger      *slog.Logger
}

// Stats count what the simulator did.
type Stats struct {
	Requests, Issued, Failed, Answers int64
}

// Sim is a running simulator.
type Sim struct {
	nc       *nats.Conn
	o        Options
	cc       jetstream.ConsumeContext
	mu       sync.Mutex
	refs     map[string]string // issuance id -> external reference
	slots    chan struct{}
	wg       sync.WaitGroup
	n        atomic.Int64
	issued   atomic.Int64
	failed   atomic.Int64
	answers  atomic.Int64
	requests atomic.Int64
}

// Start consumes issuance requests over nc until Stop.
func Start(ctx context.Context, nc *nats.Conn, o Options) (*Sim, error) {
	if o.Durable == "" {
		o.Durable = DefaultDurable
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Token == "" {
		return nil, errors.New("paysim: a token of the payments role is needed to confirm issuances")
	}
	if err := checkFailures(o.FailRate, o.FailEvery); err != nil {
		return nil, fmt.Errorf("paysim: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, natswire.StreamName, jetstream.ConsumerConfig{
		Durable: o.Durable, Description: "simulated payment system",
		FilterSubject: Declaration.Reads,
		AckPolicy:     jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait: 30 * time.Second, MaxAckPending: 4 * o.Concurrency,
	})
	if err != nil {
		return nil, fmt.Errorf("paysim: consumer: %w", err)
	}
	s := &Sim{nc: nc, o: o, refs: map[string]string{}, slots: make(chan struct{}, o.Concurrency)}
	s.cc, err = cons.Consume(func(msg jetstream.Msg) {
		// Requests are answered concurrently: each is acknowledged on its
		// own, and their order does not matter to a payment system.
		s.slots <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer func() { <-s.slots; s.wg.Done() }()
			s.handle(msg)
		}()
	})
	if err != nil {
		return nil, fmt.Errorf("paysim: consume: %w", err)
	}
	return s, nil
}

// checkFailures refuses a fail rate outside 0..1 and a negative
// fail-every.
func checkFailures(rate float64, every int) error {
	if rate < 0 || rate > 1 || every < 0 {
		return errors.New("fail rate must be within 0..1 and fail-every not negative")
	}
	return nil
}

// Stop ends consumption once the requests in hand are answered.
func (s *Sim) Stop() {
	s.cc.Drain()
	<-s.cc.Closed()
	s.wg.Wait()
}

// Stats returns the counts so far.
func (s *Sim) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Issued: s.issued.Load(), Failed: s.failed.Load(), Answers: s.answers.Load()}
}

// handle answers the issuance requests of one message (an append of
// compensation's may request several issuances at once), and acknowledges
// it once each is answered.
func (s *Sim) handle(msg jetstream.Msg) {
	events, err := natswire.DecodeAll(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		_ = msg.Term()
		return
	}
	for _, e := range events {
		if e.Type != es.TypeOf(&complaintsv1.RedressIssuanceRequested{}) {
			continue
		}
		m, err := es.Decode(e)
		req, ok := m.(*complaintsv1.RedressIssuanceRequested)
		if err != nil || !ok || e.Metadata.Service != "compensation" {
			continue // not a request compensation made
		}
		s.requests.Add(1)
		answer := s.decide(req)
		times := 1
		if s.o.AnswerTwice {
			times = 2
		}
		for range times {
			if err := s.confirm(answer); err != nil {
				// The whole message comes back: the requests answered
				// already are answered again, with the same reference.
				s.o.Logger.Warn("paysim: confirmation not accepted, will retry", "issuance_id", req.IssuanceId, "err", err)
				_ = msg.NakWithDelay(time.Second)
				return
			}
		}
	}
	_ = msg.Ack()
}

// decide answers one request: the same issued issuance keeps its reference.
func (s *Sim) decide(req *complaintsv1.RedressIssuanceRequested) api.IssuanceConfirmation {
	c := api.IssuanceConfirmation{ComplaintID: req.ComplaintId, IssuanceID: req.IssuanceId, Attempt: req.Attempt}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.refs[req.IssuanceId]; ok {
		c.Status, c.ExternalReference = "issued", ref
		return c
	}
	n := s.n.Add(1)
	if (s.o.FailEvery > 0 && n%int64(s.o.FailEvery) == 0) || (s.o.FailRate > 0 && rand.Float64() < s.o.FailRate) {
		s.failed.Add(1)
		c.Status, c.Reason = "failed", "simulated failure: payee account not reachable"
		return c
	}
	ref := fmt.Sprintf("PAYSIM-%06d", n)
	s.refs[req.IssuanceId] = ref
	s.issued.Add(1)
	c.Status, c.ExternalReference = "issued", ref
	return c
}

func (s *Sim) confirm(c api.IssuanceConfirmation) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	m := nats.NewMsg(SubjectConfirm)
	m.Data = body
	m.Header.Set("Authorization", "Bearer "+s.o.Token)
	reply, err := s.nc.RequestMsg(m, s.o.Timeout)
	if err != nil {
		return err
	}
	s.answers.Add(1)
	if code := reply.Header.Get("Nats-Service-Error-Code"); code != "" {
		// Refused for its token (401, 403): nothing was judged, so the
		// confirmation is kept to send again once the token is put right.
		if code == "401" || code == "403" {
			return fmt.Errorf("compensation refused the simulator's token (%s): %s", code, reply.Data)
		}
		// A refusal of the confirmation itself (unknown issuance, say) is
		// permanent: not retried.
		if strings.HasPrefix(code, "4") {
			s.o.Logger.Warn("paysim: confirmation refused", "issuance_id", c.IssuanceID, "code", code, "body", string(reply.Data))
			return nil
		}
		return fmt.Errorf("compensation answered %s: %s", code, reply.Data)
	}
	return nil
}
