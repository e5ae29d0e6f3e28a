package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// How the load generator learns that a complaint's case is assigned, its
// survey out and the complaint closed (-watch).
const (
	// WatchPoll polls the case, follow-up and complaint views.
	WatchPoll = "poll"
	// WatchEvents reads the CaseAssigned, SurveyRequested and
	// ComplaintClosed events on NATS, as another company system would.
	WatchEvents = "events"
)

// defaultNATSURL is the embedded server of make run.
const defaultNATSURL = "nats://127.0.0.1:4222"

// defaultNATSUsers is where make run's embedded server writes its users'
// credentials.
const defaultNATSUsers = "data/nats-users"

// The events the load generator waits for with -watch events, and the
// milestone each marks.
var milestoneOf = map[string]milestone{
	es.TypeOf(&complaintsv1.CaseAssigned{}):    caseAssigned,
	es.TypeOf(&complaintsv1.SurveyRequested{}): surveyOut,
	es.TypeOf(&complaintsv1.ComplaintClosed{}): complaintClosed,
}

// milestone is a step of a complaint the load generator waits for before
// playing its next part.
type milestone int

const (
	caseAssigned    milestone = iota // the case has a team: the agent may take it
	surveyOut                        // the survey is out: the customer may answer
	complaintClosed                  // the complaint is closed: done
)

func (m milestone) String() string {
	return [...]string{"CaseAssigned", "SurveyRequested", "ComplaintClosed"}[m]
}

type reached struct {
	id string
	m  milestone
}

// milestones collects the events of cases and follow-ups published since it
// started (subjects complaints.events.{case,followup}.<complaint id>), and
// tells each waiter when its complaint reaches the milestone it waits for.
type milestones struct {
	nc *nats.Conn
	cc jetstream.ConsumeContext

	mu      sync.Mutex
	seen    map[reached]string      // reached before anyone waited: the case's team, or ""
	waiters map[reached]chan string // waiting, not yet reached
	err     error                   // the consumer failed for good
	// fallbacks counts the waits a view answered, not an event.
	fallbacks atomic.Int64
	failed    chan struct{}
}

// watchMilestones connects to NATS at url, as the user "outside" when
// usersDir holds its credentials (else without any: a server that asks for
// none), and reads the case and follow-up events from now on with an
// ordered consumer of its own: what that user may do.
func watchMilestones(ctx context.Context, url, usersDir string) (*milestones, error) {
	opts := []nats.Option{nats.Name("loadgen")}
	if hasCredentials(usersDir, natsauth.Outside) {
		o, err := natsauth.ClientOptions(usersDir, natsauth.Outside)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o...)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	w := &milestones{nc: nc, seen: map[reached]string{}, waiters: map[reached]chan string{}, failed: make(chan struct{})}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	// Only events published from now on: the consumer exists once Consume
	// returns, before the first complaint is filed.
	cons, err := js.OrderedConsumer(ctx, natswire.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{natswire.CategorySubject("case"), natswire.CategorySubject("followup")},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("ordered consumer on %s: %w", natswire.StreamName, err)
	}
	w.cc, err = cons.Consume(w.handle, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		// The ordered consumer recreates itself after most errors; one it
		// cannot get past (permissions, a deleted stream) ends the watch.
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrStreamNotFound) ||
			errors.Is(err, nats.ErrPermissionViolation) || errors.Is(err, nats.ErrAuthorization) {
			w.fail(err)
		}
	}))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("consume %s: %w", natswire.StreamName, err)
	}
	return w, nil
}

func hasCredentials(dir, user string) bool {
	for _, p := range []string{natsauth.CredsFile(dir, user), natsauth.SeedFile(dir, user)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

func (w *milestones) handle(msg jetstream.Msg) {
	events, err := natswire.DecodeAll(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		return
	}
	id, ok := complaintOfSubject(msg.Subject())
	if !ok {
		return
	}
	for _, e := range events {
		m, ok := milestoneOf[e.Type]
		if !ok {
			continue
		}
		value := ""
		if m == caseAssigned {
			var a complaintsv1.CaseAssigned
			if proto.Unmarshal(e.Data, &a) != nil || a.Team == "" {
				continue
			}
			value = a.Team
		}
		w.reach(reached{id, m}, value)
	}
}

// reach records that a complaint reached a milestone: the first time only
// (a case is assigned again when an agent takes it).
func (w *milestones) reach(r reached, value string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.waiters[r]; ok {
		ch <- value
		delete(w.waiters, r)
		return
	}
	if _, ok := w.seen[r]; !ok {
		w.seen[r] = value
	}
}

// complaintOfSubject is the complaint id of a case's or a follow-up's
// event subject.
func complaintOfSubject(subject string) (string, bool) {
	stream, err := natswire.StreamFromSubject(subject)
	if err != nil {
		return "", false
	}
	cat, id, err := eventlog.SplitStream(stream)
	if err != nil || (cat != "followup" && cat != "case") || id == "" {
		return "", false
	}
	return id, true
}

func (w *milestones) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		close(w.failed)
	}
}

// fallbackEvery is how often a waiter also asks the API, in case the event
// it waits for has another name or shape on the server measured (an older
// version's).
const fallbackEvery = time.Second

// wait returns once complaint id has reached m (with the case's team for
// caseAssigned), or when fallback, asked every fallbackEvery, says it has, or
// when ctx ends or the watch fails.
func (w *milestones) wait(ctx context.Context, id string, m milestone, fallback func(context.Context) (string, bool, error)) (string, error) {
	r := reached{id, m}
	w.mu.Lock()
	if v, ok := w.seen[r]; ok {
		delete(w.seen, r)
		w.mu.Unlock()
		return v, nil
	}
	ch := make(chan string, 1)
	w.waiters[r] = ch
	w.mu.Unlock()
	forget := func() {
		w.mu.Lock()
		delete(w.waiters, r)
		w.mu.Unlock()
	}
	tick := time.NewTicker(fallbackEvery)
	defer tick.Stop()
	for {
		select {
		case v := <-ch:
			return v, nil
		case <-tick.C:
			if v, ok, err := fallback(ctx); err == nil && ok {
				w.fallbacks.Add(1)
				forget()
				return v, nil
			}
		case <-w.failed:
			forget()
			return "", fmt.Errorf("watching the events: %w", w.err)
		case <-ctx.Done():
			forget()
			return "", fmt.Errorf("%w (no %s event seen)", ctx.Err(), m)
		}
	}
}

// stop ends the consumer and the connection.
func (w *milestones) stop() {
	w.cc.Stop()
	w.nc.Close()
}

// usersDirDefault is $NATS_CREDENTIALS_DIR, else make run's folder.
func usersDirDefault() string {
	if d := os.Getenv("NATS_CREDENTIALS_DIR"); d != "" {
		return d
	}
	return filepath.FromSlash(defaultNATSUsers)
}

func natsURLDefault() string {
	if u := os.Getenv("NATS_URL"); u != "" {
		return u
	}
	return defaultNATSURL
}
