package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
)

// How the load generator learns that a complaint is closed (-watch).
const (
	// WatchPoll polls the complaint's view until its status is closed.
	WatchPoll = "poll"
	// WatchEvents reads the ComplaintClosed events on NATS, as another
	// company system would.
	WatchEvents = "events"
)

// defaultNATSURL is the embedded server of make run.
const defaultNATSURL = "nats://127.0.0.1:4222"

// defaultNATSUsers is where make run's embedded server writes its users'
// credentials.
const defaultNATSUsers = "data/nats-users"

var closedType = es.TypeOf(&complaintsv1.ComplaintClosed{})

// closures collects the ComplaintClosed events of the follow-up streams
// (subjects complaints.events.followup.<complaint id>) published since it
// started, and tells each waiter when its complaint's arrives.
type closures struct {
	nc *nats.Conn
	cc jetstream.ConsumeContext

	mu      sync.Mutex
	closed  map[string]bool          // seen before anyone waited
	waiters map[string]chan struct{} // waiting, not yet seen
	err     error                    // the consumer failed for good
	failed  chan struct{}
}

// watchClosures connects to NATS at url, as the user "outside" when
// usersDir holds its credentials (else without any: a server that asks for
// none), and reads the follow-up events from now on with an ordered consumer
// of its own: what that user may do.
func watchClosures(ctx context.Context, url, usersDir string) (*closures, error) {
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
	w := &closures{nc: nc, closed: map[string]bool{}, waiters: map[string]chan struct{}{}, failed: make(chan struct{})}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	// Only events published from now on: the consumer exists once Consume
	// returns, before the first complaint is filed.
	cons, err := js.OrderedConsumer(ctx, natswire.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{natswire.CategorySubject("followup")},
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

func (w *closures) handle(msg jetstream.Msg) {
	events, err := natswire.DecodeAll(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil || !slices.ContainsFunc(events, func(e eventlog.RecordedEvent) bool { return e.Type == closedType }) {
		return
	}
	id, ok := complaintOfSubject(msg.Subject())
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.waiters[id]; ok {
		close(ch)
		delete(w.waiters, id)
		return
	}
	w.closed[id] = true
}

// complaintOfSubject is the complaint id of a follow-up event's subject.
func complaintOfSubject(subject string) (string, bool) {
	stream, err := natswire.StreamFromSubject(subject)
	if err != nil {
		return "", false
	}
	cat, id, err := eventlog.SplitStream(stream)
	if err != nil || cat != "followup" || id == "" {
		return "", false
	}
	return id, true
}

func (w *closures) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		close(w.failed)
	}
}

// wait returns once complaint id's ComplaintClosed event has been seen, or
// when ctx ends or the watch fails.
func (w *closures) wait(ctx context.Context, id string) error {
	w.mu.Lock()
	if w.closed[id] {
		delete(w.closed, id)
		w.mu.Unlock()
		return nil
	}
	ch, ok := w.waiters[id]
	if !ok {
		ch = make(chan struct{})
		w.waiters[id] = ch
	}
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-w.failed:
		return fmt.Errorf("watching the events: %w", w.err)
	case <-ctx.Done():
		return fmt.Errorf("%w (no ComplaintClosed event seen)", ctx.Err())
	}
}

// stop ends the consumer and the connection.
func (w *closures) stop() {
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
