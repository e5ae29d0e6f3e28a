package esdblog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Writer isolation (ADR 0037).
//
// EventStoreDB records nothing of who wrote an event: its log record holds
// the stream, the event id and type, a server timestamp, the data and the
// metadata the client sent, and no user. What the server does enforce is a
// stream's access control list, kept in the stream's metadata ($$<stream>)
// and checked when a write arrives. So the owner of a category writes, before
// the first event of each of its streams, an ACL that lets only its own user
// write the stream, delete it or change its metadata, and the relay vouches
// for an event only when that ACL was the stream's one and only metadata
// and was in the log before the event.

// adminsRole is EventStoreDB's administrators' group. It passes every ACL
// whatever the ACL says, so naming it beside the owner changes nothing.
const adminsRole = "$admins"

// metadataEventType is the type of a stream-metadata event.
const metadataEventType = "$metadata"

// streamACL is the metadata the owner of a stream writes before the stream's
// first event: write, delete and metadata write for its own user only. Read
// and metadata read are left to the default ACL ($userStreamAcl), which lets
// the other services and the relay read.
func streamACL(owner string) []byte {
	b, _ := json.Marshal(map[string]any{
		"$acl": map[string][]string{
			"$w":  {owner},
			"$d":  {owner},
			"$mw": {owner},
		},
	})
	return b
}

// streamGuard is what the server holds of a stream's metadata: its last
// metadata event, as read from $$<stream>.
type streamGuard struct {
	// found: the stream has metadata. The rest is meaningful only then.
	found bool
	// revision is the EventStoreDB revision of the last metadata event: 0
	// when the metadata was written once and never changed.
	revision uint64
	// position is where the last metadata event is in the log; known is
	// false when the server did not say.
	position eventlog.Position
	known    bool
	// acl is the stream's own ACL; nil when the metadata has none. An
	// unreadable document counts as no ACL.
	acl *aclRoles
}

// aclRoles are the roles an ACL grants each right; a nil slice is a right
// the ACL leaves to the default ACL.
type aclRoles struct {
	write, delete, metaWrite []string
}

// parseGuard reads a metadata event.
func parseGuard(r *esdb.RecordedEvent) streamGuard {
	g := streamGuard{found: true, revision: r.EventNumber}
	g.position, g.known = positionOf(r.Position)
	var doc struct {
		ACL *struct {
			W  roles `json:"$w"`
			D  roles `json:"$d"`
			MW roles `json:"$mw"`
		} `json:"$acl"`
	}
	if json.Unmarshal(r.Data, &doc) == nil && doc.ACL != nil {
		g.acl = &aclRoles{write: doc.ACL.W, delete: doc.ACL.D, metaWrite: doc.ACL.MW}
	}
	return g
}

// roles is an ACL entry: EventStoreDB takes a single role as a string or
// several as an array.
type roles []string

func (r *roles) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*r = roles{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	if many == nil {
		many = []string{}
	}
	*r = many
	return nil
}

// keptTo reports whether an ACL entry grants the right to no one but owner
// (and administrators, who pass every ACL anyway). An entry the ACL leaves
// out falls back to the default ACL, which the stream does not control.
func keptTo(entry []string, owner string) bool {
	if entry == nil {
		return false
	}
	for _, r := range entry {
		if r != owner && r != adminsRole {
			return false
		}
	}
	return true
}

// keptTo reports whether no one but owner may write the stream, delete it
// or change its metadata.
func (g streamGuard) keptTo(owner string) bool {
	return g.found && g.acl != nil &&
		keptTo(g.acl.write, owner) && keptTo(g.acl.delete, owner) && keptTo(g.acl.metaWrite, owner)
}

// guardedBy reports whether a stream's metadata is the owner's ACL: the
// stream is kept to owner, who may write it.
func (g streamGuard) guardedBy(owner string) bool {
	return g.keptTo(owner) && slices.Contains(g.acl.write, owner)
}

// vouch decides whether the server's records show that an event at position
// pos in a stream was written by owner (or an administrator): the stream's
// metadata was written once, is the owner's ACL, and was in the log before
// the event. While that ACL is in force only owner may write the stream,
// and since the metadata never changed it was in force for every event
// after it. It returns "" when so, otherwise why not. Pure: the caller reads
// the metadata.
func vouch(owner string, g streamGuard, pos eventlog.Position) string {
	switch {
	case owner == "":
		return "no writer is configured for the stream's category"
	case !g.found:
		return "the stream has no metadata, so no ACL of its own: any user the default ACL lets write could have written it"
	case g.acl == nil:
		return "the stream's metadata has no ACL: any user the default ACL lets write could have written it"
	case !g.keptTo(owner):
		return fmt.Sprintf("the stream's ACL does not keep writing, deleting and changing its metadata to %s alone", owner)
	case g.revision != 0:
		return fmt.Sprintf("the stream's metadata was changed (%d times): its ACL may not have been in force when the event was written", g.revision)
	case !g.known:
		return "the server did not say where the stream's ACL is in the log"
	case pos == 0:
		return "the event's position is unknown"
	case g.position >= pos:
		return "the stream's ACL was written after the event"
	}
	return ""
}

// guardOf reads a stream's metadata.
func (l *Log) guardOf(ctx context.Context, stream string) (streamGuard, error) {
	rs, err := l.client.ReadStream(ctx, "$$"+stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return streamGuard{}, l.failMeta(ctx, stream, err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	switch {
	case errors.Is(err, io.EOF), isCode(err, esdb.ErrorCodeResourceNotFound):
		return streamGuard{}, nil
	case err != nil:
		return streamGuard{}, l.failMeta(ctx, stream, err)
	}
	r := ev.OriginalEvent()
	if r == nil || r.EventType != metadataEventType {
		return streamGuard{}, nil
	}
	return parseGuard(r), nil
}

func (l *Log) failMeta(ctx context.Context, stream string, err error) error {
	return l.fail(ctx, "read the metadata of "+stream, rightReadMeta, err)
}

// ForeignACLError says that a stream the adapter was about to create already
// has metadata that is not its owner's ACL: another user got there first.
type ForeignACLError struct {
	Stream, Owner string
}

func (e *ForeignACLError) Error() string {
	return fmt.Sprintf("esdblog: stream %s already has metadata that does not keep it to %s: "+
		"another user set it before the stream's first event; nothing was written", e.Stream, e.Owner)
}

// guard makes sure a stream about to be created carries its owner's ACL: it
// writes the ACL as the stream's first metadata, or, when the stream already
// has metadata, checks that it is that ACL (a retry of this append, another
// instance of the same service creating the stream at the same moment).
func (l *Log) guard(ctx context.Context, stream, owner string) error {
	acl := esdb.EventData{
		EventID:     uuid.New(),
		EventType:   metadataEventType,
		ContentType: esdb.ContentTypeJson,
		Data:        streamACL(owner),
	}
	_, werr := l.client.AppendToStream(ctx, "$$"+stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, acl)
	if werr == nil {
		return nil
	}
	if isCode(werr, esdb.ErrorCodeAccessDenied) {
		return l.fail(ctx, "write the ACL of "+stream, rightWriteMeta, werr)
	}
	// The stream has metadata already (wrong expected version), or the
	// write's fate is unknown: what the server holds tells.
	g, err := l.guardOf(ctx, stream)
	if err != nil {
		return err
	}
	if !g.found {
		return fmt.Errorf("esdblog: write the ACL of %s: %w", stream, werr)
	}
	if !g.guardedBy(owner) || g.revision != 0 {
		l.logger.Error("a stream about to be created already has metadata that is not its owner's ACL",
			"stream", stream, "owner", owner, "metadata_revision", g.revision)
		return &ForeignACLError{Stream: stream, Owner: owner}
	}
	return nil
}

// ownerOf is the user allowed to write a stream's category, "" when none is
// configured.
func (l *Log) ownerOf(stream string) string {
	cat, _, err := eventlog.SplitStream(stream)
	if err != nil {
		return ""
	}
	return l.writers[cat]
}

// Vouch tells whether the server's records show that e was written by the
// user configured as its category's writer (Options.Writers): "" when they
// do, otherwise why not. An error means it could not tell (the metadata
// could not be read) and may be asked again. The relay asks before it
// publishes an event (relay.Options.Writers).
func (l *Log) Vouch(ctx context.Context, e eventlog.RecordedEvent) (string, error) {
	owner := l.ownerOf(e.Stream)
	if owner == "" {
		return vouch("", streamGuard{}, e.Position), nil
	}
	if at, ok := l.vouched.get(e.Stream); ok && at < e.Position {
		return "", nil
	}
	g, err := l.guardOf(ctx, e.Stream)
	if err != nil {
		return "", err
	}
	reason := vouch(owner, g, e.Position)
	if reason == "" {
		l.vouched.put(e.Stream, g.position)
	}
	return reason, nil
}

// vouchedStreams remembers, for streams already vouched for, where their ACL
// is: an event after it is vouched for without reading the metadata again,
// since only the owner can change it. Bounded: it forgets everything when
// full.
type vouchedStreams struct {
	mu sync.Mutex
	m  map[string]eventlog.Position
}

const vouchedCapacity = 10000

func (v *vouchedStreams) get(stream string) (eventlog.Position, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.m[stream]
	return p, ok
}

func (v *vouchedStreams) put(stream string, at eventlog.Position) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= vouchedCapacity {
		v.m = make(map[string]eventlog.Position)
	}
	v.m[stream] = at
}

// WritersOf builds Options.Writers from the table of which service writes
// each category and the EventStoreDB user of each service. No users gives no
// writers (no isolation); otherwise every service of the table must have a
// user, and every user named must be a service of the table, so that a
// misspelt name is refused at start-up rather than leaving a category
// without a writer.
func WritersOf(serviceByCategory, userByService map[string]string) (map[string]string, error) {
	if len(userByService) == 0 {
		return nil, nil
	}
	services := map[string]bool{}
	out := make(map[string]string, len(serviceByCategory))
	var missing []string
	for cat, svc := range serviceByCategory {
		services[svc] = true
		u := userByService[svc]
		if u == "" {
			missing = append(missing, svc)
			continue
		}
		out[cat] = u
	}
	var unknown []string
	for svc := range userByService {
		if !services[svc] {
			unknown = append(unknown, svc)
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	slices.Sort(unknown)
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("esdblog: no EventStoreDB user for service %s: every service needs its own", strings.Join(missing, ", "))
	case len(unknown) > 0:
		return nil, fmt.Errorf("esdblog: EventStoreDB user for %s, which is no service that writes a category", strings.Join(unknown, ", "))
	}
	return out, nil
}
