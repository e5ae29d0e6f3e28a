package esdblog

// These tests run the real EventStoreDB client against in-process gRPC
// servers that answer the Streams API as the nodes of a cluster do: a
// follower refuses a call that asks for the leader (NotLeader, with the
// leader's address in the trailers) and answers one that does not from its
// own, possibly stale, copy. What they check is what goes over the wire.

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
)

// call is one call a node received.
type call struct {
	method         string // "append", "read", "subscribe"
	requiresLeader bool
	hasDeadline    bool
	from           *api.ReadReq_Options_Position // where a subscription to $all starts
}

// node is one EventStoreDB node of the test cluster.
type node struct {
	api.UnimplementedStreamsServer
	addr string

	mu      sync.Mutex
	leader  *node // nil: this node is the leader
	calls   []call
	streams map[string][]*api.ReadResp_ReadEvent_RecordedEvent
	all     []*api.ReadResp_ReadEvent_RecordedEvent
	hang    bool          // reads of a stream never answer
	dropAt  int           // a subscription is dropped after this many events (0: never)
	dropped chan struct{} // closed when a subscription was dropped
	// stepDownTo, when set, becomes the leader as the subscription is
	// dropped, and this node its follower.
	stepDownTo *node
}

func startNode(t *testing.T) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{addr: ln.Addr().String(), streams: map[string][]*api.ReadResp_ReadEvent_RecordedEvent{}, dropped: make(chan struct{})}
	s := grpc.NewServer()
	api.RegisterStreamsServer(s, n)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return n
}

// follow makes n a follower of leader (nil: n is the leader).
func (n *node) follow(leader *node) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.leader = leader
}

func (n *node) record(method string, ctx context.Context, from *api.ReadReq_Options_Position) *node {
	md, _ := metadata.FromIncomingContext(ctx)
	_, dl := ctx.Deadline()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, call{method: method, requiresLeader: len(md.Get(requiresLeader)) == 1 && md.Get(requiresLeader)[0] == "true", hasDeadline: dl, from: from})
	return n.leader
}

func (n *node) callsOf(method string) []call {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []call
	for _, c := range n.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// notLeader is a follower's answer to a call that asks for the leader.
func notLeader(set func(metadata.MD) error, leader *node) error {
	host, port, _ := net.SplitHostPort(leader.addr)
	_ = set(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port))
	return status.Error(codes.NotFound, "leader info available")
}

func requires(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get(requiresLeader)
	return len(v) == 1 && v[0] == "true"
}

func (n *node) Append(srv api.Streams_AppendServer) error {
	if leader := n.record("append", srv.Context(), nil); leader != nil {
		if requires(srv.Context()) {
			return notLeader(func(md metadata.MD) error { srv.SetTrailer(md); return nil }, leader)
		}
		return status.Error(codes.Unavailable, "this follower forwards nothing in this test")
	}
	head, err := srv.Recv()
	if err != nil {
		return err
	}
	stream := string(head.GetOptions().GetStreamIdentifier().GetStreamName())
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		m, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := m.GetProposedMessage()
		pos := uint64(len(n.all)+1) * 100
		md := map[string]string{"created": strconv.FormatInt(time.Now().UnixNano()/100, 10)}
		for k, v := range pm.Metadata {
			md[k] = v
		}
		ev := &api.ReadResp_ReadEvent_RecordedEvent{
			Id: pm.Id, StreamIdentifier: head.GetOptions().GetStreamIdentifier(),
			StreamRevision: uint64(len(n.streams[stream])), PreparePosition: pos, CommitPosition: pos,
			Metadata: md, CustomMetadata: pm.CustomMetadata, Data: pm.Data,
		}
		n.streams[stream] = append(n.streams[stream], ev)
		n.all = append(n.all, ev)
	}
	evs := n.streams[stream]
	last := evs[len(evs)-1]
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.StreamRevision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: last.CommitPosition, PreparePosition: last.PreparePosition}},
	}}})
}

func event(ev *api.ReadResp_ReadEvent_RecordedEvent) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: ev, Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: ev.CommitPosition}}}}
}

func (n *node) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	ctx := srv.Context()
	opts := req.GetOptions()
	method := "read"
	var from *api.ReadReq_Options_Position
	if opts.GetSubscription() != nil {
		method = "subscribe"
		from = opts.GetAll().GetPosition()
	}
	if leader := n.record(method, ctx, from); leader != nil {
		if requires(ctx) {
			return notLeader(func(md metadata.MD) error { srv.SetTrailer(md); return nil }, leader)
		}
		// A stale follower: it has not seen the leader's writes.
		if s := opts.GetStream(); s != nil {
			return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: s.StreamIdentifier}}})
		}
		return nil
	}
	if method == "subscribe" {
		return n.subscribe(ctx, from, srv)
	}
	n.mu.Lock()
	hang := n.hang
	n.mu.Unlock()
	if hang {
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	s := opts.GetStream()
	if s == nil {
		return nil // $all: the tests read none of it but the probe's last event
	}
	n.mu.Lock()
	evs := append([]*api.ReadResp_ReadEvent_RecordedEvent(nil), n.streams[string(s.StreamIdentifier.StreamName)]...)
	n.mu.Unlock()
	if len(evs) == 0 {
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: s.StreamIdentifier}}})
	}
	for _, ev := range evs {
		if err := srv.Send(event(ev)); err != nil {
			return err
		}
	}
	return nil
}

// subscribe serves a catch-up subscription to $all from a position: the
// events after it, then those appended later, until dropAt events were sent.
func (n *node) subscribe(ctx context.Context, from *api.ReadReq_Options_Position, srv api.Streams_ReadServer) error {
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	sent := 0
	next := 0
	for {
		n.mu.Lock()
		var ev *api.ReadResp_ReadEvent_RecordedEvent
		for next < len(n.all) && ev == nil {
			if from == nil || n.all[next].CommitPosition > from.CommitPosition {
				ev = n.all[next]
			}
			next++
		}
		dropAt := n.dropAt
		n.mu.Unlock()
		if ev == nil {
			select {
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		if err := srv.Send(event(ev)); err != nil {
			return err
		}
		sent++
		if dropAt > 0 && sent == dropAt {
			n.mu.Lock()
			n.dropAt = 0
			if next := n.stepDownTo; next != nil {
				next.follow(nil)
				n.leader = next
			}
			close(n.dropped)
			n.mu.Unlock()
			return status.Error(codes.Unavailable, "the node is no longer the leader")
		}
	}
}

func connect(t *testing.T, to *node, o Options) *Log {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	l, err := New(ctx, "esdb://"+to.addr+"?tls=false", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// failover makes to the leader, with a copy of the log of from, which
// follows it from then on.
func failover(from, to *node) {
	from.mu.Lock()
	defer from.mu.Unlock()
	to.mu.Lock()
	to.leader = nil
	to.all = append([]*api.ReadResp_ReadEvent_RecordedEvent(nil), from.all...)
	to.streams = map[string][]*api.ReadResp_ReadEvent_RecordedEvent{}
	for k, v := range from.streams {
		to.streams[k] = append([]*api.ReadResp_ReadEvent_RecordedEvent(nil), v...)
	}
	to.mu.Unlock()
	from.leader = to
}

// TestEveryCallAsksForTheLeader: the start-up probe, an append and a read
// each ask for the leader; sent to a follower (the node first named, then
// the former leader after each failover) they are refused with NotLeader,
// and made again on the leader, where the events are.
func TestEveryCallAsksForTheLeader(t *testing.T) {
	x, y := startNode(t), startNode(t)
	x.follow(y)
	l := connect(t, x, Options{}) // the probe's reads: refused by x, answered by y
	ctx := context.Background()

	failover(y, x) // the client is on y, now a follower
	id := uuid.NewString()
	stream := eventlog.StreamName("complaint", id)
	e := testEvent(3)
	e.Metadata.ComplaintID = id
	res, err := l.Append(ctx, stream, eventlog.NoStream(), e)
	if err != nil {
		t.Fatal(err)
	}
	if res.NextRevision != 1 || res.Position == 0 {
		t.Fatalf("append answered %+v", res)
	}

	failover(x, y) // the client is on x, now a follower that answers "not found" to a stale read
	got, err := l.ReadStream(ctx, stream, eventlog.FromStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("read %+v, want the appended event %s: the read did not go to the leader", got, e.ID)
	}

	for _, step := range []struct {
		what              string
		method            string
		refusedBy, leader *node
		refused, answered int
	}{
		{"the probe", "read", x, y, 1, 2},
		{"the append", "append", y, x, 1, 1},
		{"the read", "read", x, y, 2, 3},
	} {
		if n := len(step.refusedBy.callsOf(step.method)); n < step.refused {
			t.Errorf("%s: the follower received %d calls, want %d: the client did not go there first", step.what, n, step.refused)
		}
		if n := len(step.leader.callsOf(step.method)); n < step.answered {
			t.Errorf("%s: the leader received %d calls, want %d after NotLeader", step.what, n, step.answered)
		}
	}
	for _, n := range []*node{x, y} {
		for _, c := range append(n.callsOf("read"), n.callsOf("append")...) {
			if !c.requiresLeader {
				t.Errorf("a %s went out without requires-leader", c.method)
			}
			if c.method == "read" && !c.hasDeadline {
				t.Error("a read went out without a deadline")
			}
		}
	}
}

// TestASubscriptionFollowsTheLeader: the leader drops a subscription when
// it steps down; the subscription is opened again after the last event
// delivered, is refused by the former leader (now a follower) with the new
// leader's address, and carries on there.
func TestASubscriptionFollowsTheLeader(t *testing.T) {
	a, b := startNode(t), startNode(t)
	b.follow(a)
	l := connect(t, a, Options{})
	ctx := context.Background()

	// Both nodes hold the same log, as replicas do.
	id := uuid.NewString()
	var ids []string
	for range 2 {
		e := testEvent(1)
		e.Metadata.ComplaintID = id
		ids = append(ids, e.ID)
		if _, err := l.Append(ctx, eventlog.StreamName("complaint", id), eventlog.Any(), e); err != nil {
			t.Fatal(err)
		}
	}
	a.mu.Lock()
	b.mu.Lock()
	b.all = append(b.all, a.all...)
	for k, v := range a.streams {
		b.streams[k] = append([]*api.ReadResp_ReadEvent_RecordedEvent(nil), v...)
	}
	b.mu.Unlock()
	// The failover: a drops the subscription after the first event, and is
	// a follower of b from then on.
	a.dropAt, a.stepDownTo = 1, b
	a.mu.Unlock()

	var mu sync.Mutex
	var seen []eventlog.RecordedEvent
	sub, err := l.Subscribe(ctx, 0, eventlog.Filter{Categories: []string{"complaint"}}, func(_ context.Context, ev eventlog.RecordedEvent) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()

	testkit.Eventually(t, "both events delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if seen[0].ID != ids[0] || seen[1].ID != ids[1] {
		t.Fatalf("delivered %s, %s; want %s, %s", seen[0].ID, seen[1].ID, ids[0], ids[1])
	}
	subs := b.callsOf("subscribe")
	if len(subs) == 0 {
		t.Fatal("the subscription never reached the new leader")
	}
	from := subs[len(subs)-1].from
	if from == nil || from.CommitPosition != uint64(seen[0].Position)-1 {
		t.Fatalf("the new leader was asked from %v, want just after the first event (%d)", from, seen[0].Position-1)
	}
	refused := a.callsOf("subscribe")
	for _, c := range refused {
		if !c.requiresLeader {
			t.Error("a subscription reached the former leader without requires-leader")
		}
	}
	if len(refused) < 2 {
		t.Errorf("the former leader saw %d subscriptions, want the first and the refused one", len(refused))
	}
}

// TestAReadHasADeadline: a read the server never answers ends with an error
// once its deadline has passed, instead of holding a repository forever.
func TestAReadHasADeadline(t *testing.T) {
	leader := startNode(t)
	l := connect(t, leader, Options{ReadTimeout: 200 * time.Millisecond})
	leader.mu.Lock()
	leader.hang = true
	leader.mu.Unlock()

	_, err := l.ReadStream(context.Background(), eventlog.StreamName("complaint", uuid.NewString()), eventlog.FromStart)
	if err == nil {
		t.Fatal("a read that was never answered returned no error")
	}
	if !isCode(err, esdb.ErrorCodeDeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline exceeded", err)
	}
	calls := leader.callsOf("read")
	if !calls[len(calls)-1].hasDeadline {
		t.Fatal("the read reached the server without a deadline")
	}
}
