package app

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/page"
)

// FinalResponseClock is the prefix of the names of the clocks whose due
// time orders a queue: the final response a regime or the company promises.
const FinalResponseClock = "final-response"

// QueueEventTypes are the events the queue projection folds: the case's,
// the acknowledgement's promised date and the final-response clocks.
var QueueEventTypes = []string{
	es.TypeOf(&complaintsv1.CaseOpened{}), es.TypeOf(&complaintsv1.CaseTriaged{}), es.TypeOf(&complaintsv1.CaseAssigned{}),
	es.TypeOf(&complaintsv1.CaseClaimed{}), es.TypeOf(&complaintsv1.CaseTransferred{}), es.TypeOf(&complaintsv1.CaseEscalated{}),
	es.TypeOf(&complaintsv1.CaseReviewed{}), es.TypeOf(&complaintsv1.InformationRequested{}),
	es.TypeOf(&complaintsv1.InformationProvided{}), es.TypeOf(&complaintsv1.CaseResolved{}), es.TypeOf(&complaintsv1.CaseReopened{}),
	es.TypeOf(&complaintsv1.ComplaintAcknowledged{}), es.TypeOf(&complaintsv1.ClockStarted{}), es.TypeOf(&complaintsv1.ClockResumed{}),
}

// QueueCategories are the stream categories of QueueEventTypes.
var QueueCategories = []string{"case", "clock", "complaint"}

// QueueRow is one case as the queues see it.
type QueueRow struct {
	ComplaintID         string    `json:"id"`
	Opened              bool      `json:"opened,omitempty"`
	Reference           string    `json:"ref,omitempty"`
	Product             string    `json:"product,omitempty"`
	Status              string    `json:"status,omitempty"`
	Team                string    `json:"team,omitempty"`
	Agent               string    `json:"agent,omitempty"`
	Severity            string    `json:"severity,omitempty"`
	Priority            int       `json:"priority,omitempty"`
	Flags               []string  `json:"flags,omitempty"`
	Vulnerable          bool      `json:"vulnerable,omitempty"`
	ReviewRequired      bool      `json:"review,omitempty"`
	Reviewed            bool      `json:"reviewed,omitempty"`
	Tier                int       `json:"tier,omitempty"`
	OpenedAt            time.Time `json:"opened_at"`
	RespondBy           time.Time `json:"respond_by"`
	ClockDue            time.Time `json:"clock_due"`
	Transfers           int       `json:"transfers,omitempty"`
	InformationRequests int       `json:"requests,omitempty"`
	Reopens             int       `json:"reopens,omitempty"`
}

// Due is when the final response is due: the final-response clock's, else
// the acknowledgement's promise; zero when neither is known.
func (r QueueRow) Due() time.Time {
	if !r.ClockDue.IsZero() {
		return r.ClockDue
	}
	return r.RespondBy
}

func (r QueueRow) active() bool {
	return r.Opened && (r.Status == "open" || r.Status == "awaiting_customer" || r.Status == "reopened")
}

// Queues is the queue projection: every case's row, kept up to date from
// the log by a consumer, so a queue is read without reading the log. Safe
// for concurrent use. Folding an event twice changes nothing.
type Queues struct {
	mu   sync.RWMutex
	rows map[string]*QueueRow
	// byTeam indexes the active rows of each team in queue order (soonest
	// due first), so a page of a queue reads its rows in order instead of
	// scanning every case; indexed is each indexed row's entry, to take it
	// out before the row changes.
	byTeam  map[string]*btree.BTreeG[queueEntry]
	indexed map[string]queueEntry
	dirty   bool
	// keepResolved keeps the rows of resolved cases: set when one case's
	// history is replayed.
	keepResolved bool
}

// NewQueues returns an empty projection.
func NewQueues() *Queues {
	return &Queues{rows: map[string]*QueueRow{}, byTeam: map[string]*btree.BTreeG[queueEntry]{}, indexed: map[string]queueEntry{}}
}

// queueEntry is an active row in its team's index, under its sort key.
type queueEntry struct {
	team string
	key  sortKey
	row  *QueueRow
}

func entryLess(a, b queueEntry) bool { return a.key.less(b.key) }

// unindex takes the row of id out of its team's index. Call with mu held.
func (q *Queues) unindex(id string) {
	e, ok := q.indexed[id]
	if !ok {
		return
	}
	delete(q.indexed, id)
	if t := q.byTeam[e.team]; t != nil {
		t.Delete(e)
		if t.Len() == 0 {
			delete(q.byTeam, e.team)
		}
	}
}

// index puts an active row in its team's index. Call with mu held, the
// row not indexed.
func (q *Queues) index(r *QueueRow) {
	if !r.active() {
		return
	}
	if q.byTeam == nil {
		q.byTeam, q.indexed = map[string]*btree.BTreeG[queueEntry]{}, map[string]queueEntry{}
	}
	t := q.byTeam[r.Team]
	if t == nil {
		t = btree.NewG(32, entryLess)
		q.byTeam[r.Team] = t
	}
	e := queueEntry{team: r.Team, key: keyOf(*r), row: r}
	t.ReplaceOrInsert(e)
	q.indexed[r.ComplaintID] = e
}

// Apply folds one recorded event in (Evolve); events of other types are
// ignored.
func (q *Queues) Apply(e eventlog.RecordedEvent) error {
	if !slices.Contains(QueueEventTypes, e.Type) {
		return nil
	}
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	q.Evolve(e.Metadata.ComplaintID, m)
	return nil
}

// Evolve folds one event of complaint id into the queues.
func (q *Queues) Evolve(id string, m proto.Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	// The row leaves its team's index while it changes, and goes back
	// under its new key if it is still active.
	q.unindex(id)
	defer func() {
		if r := q.rows[id]; r != nil {
			q.index(r)
		}
	}()
	r := q.rows[id]
	if r == nil {
		r = &QueueRow{ComplaintID: id}
	}
	changed := true
	switch e := m.(type) {
	case *complaintsv1.CaseOpened:
		r.Opened, r.Product, r.Reference, r.OpenedAt = true, e.Product, e.Reference, e.OpenedAt.AsTime()
		if r.Status == "" {
			r.Status = "open"
		}
		if r.Tier == 0 {
			r.Tier = 1
		}
	case *complaintsv1.CaseTriaged:
		r.Severity, r.Priority, r.Flags, r.Vulnerable = e.Severity, int(e.Priority), append([]string(nil), e.Flags...), e.VulnerableCustomer
		r.ReviewRequired = e.ReviewRequired
	case *complaintsv1.CaseAssigned:
		if r.Team != e.Team {
			r.Agent = ""
		}
		r.Team = e.Team
		if e.Agent != "" {
			r.Agent = e.Agent
		}
	case *complaintsv1.CaseClaimed:
		r.Agent = e.Agent
	case *complaintsv1.CaseTransferred:
		r.Transfers = max(r.Transfers, int(e.Transfers))
	case *complaintsv1.CaseEscalated:
		r.Tier = max(r.Tier, int(e.Tier))
	case *complaintsv1.CaseReviewed:
		r.Reviewed = true
	case *complaintsv1.InformationRequested:
		r.InformationRequests = max(r.InformationRequests, int(e.InformationRequests))
		if r.Status != "resolved" {
			r.Status = "awaiting_customer"
		}
	case *complaintsv1.InformationProvided:
		if r.Status == "awaiting_customer" {
			r.Status = "open"
			if r.Reopens > 0 {
				r.Status = "reopened"
			}
		}
	case *complaintsv1.CaseResolved:
		r.Status = "resolved"
		if !q.keepResolved {
			// A resolved case leaves the queues; a reopen brings it back
			// (Resolution.OnQueueEvent reads its row again from the log).
			delete(q.rows, id)
			q.dirty = true
			return
		}
	case *complaintsv1.CaseReopened:
		r.Status, r.Reopens = "reopened", max(r.Reopens, int(e.Reopens))
		if e.Team != "" {
			r.Team = e.Team
		}
	case *complaintsv1.ComplaintAcknowledged:
		r.RespondBy = e.RespondBy.AsTime()
	case *complaintsv1.ClockStarted:
		if strings.HasPrefix(e.Clock, FinalResponseClock) {
			r.ClockDue = e.Due.AsTime()
		}
	case *complaintsv1.ClockResumed:
		if strings.HasPrefix(e.Clock, FinalResponseClock) {
			r.ClockDue = e.Due.AsTime()
		}
	default:
		changed = false
	}
	if changed {
		q.rows[id] = r
		q.dirty = true
	}
}

// Has reports whether the projection holds an opened case's row.
func (q *Queues) Has(id string) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	r, ok := q.rows[id]
	return ok && r.Opened
}

// Row returns a case's row.
func (q *Queues) Row(id string) (QueueRow, bool) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	r, ok := q.rows[id]
	if !ok {
		return QueueRow{}, false
	}
	return *r, true
}

// Put sets a case's row.
func (q *Queues) Put(r QueueRow) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.unindex(r.ComplaintID)
	q.rows[r.ComplaintID] = &r
	q.index(&r)
	q.dirty = true
}

// Len is the number of rows held.
func (q *Queues) Len() int {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return len(q.rows)
}

// QueueFilter selects and pages a team's queue.
type QueueFilter struct {
	Team string
	// Statuses: open, awaiting_customer, reopened; all three when empty.
	Statuses []string
	// Priority, when not 0, keeps the cases of that priority.
	Priority int
	// Flags keeps the cases carrying every one of them.
	Flags []string
	// Agent keeps one agent's cases; Unassigned the cases nobody owns.
	Agent      string
	Unassigned bool
	// Cursor continues after the last case of the previous page.
	Cursor string
	// Limit is the page size (default 50, at most 200).
	Limit int
}

// ErrBadCursor: the cursor is not one this API gave.
var ErrBadCursor = fmt.Errorf("the cursor is not one a previous page gave")

// Page is a page of a queue.
type Page struct {
	Rows       []QueueRow
	NextCursor string
}

// Queue lists the active cases of a team, the soonest due first (then the
// most urgent, then the oldest); cases with no known due time come last.
func (q *Queues) Queue(f QueueFilter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	var after *sortKey
	if f.Cursor != "" {
		k, err := decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		after = &k
	}
	// The team's index is in queue order: read from the cursor on until
	// limit+1 rows match the filter.
	rows := make([]QueueRow, 0, limit+1)
	q.mu.RLock()
	collect := func(e queueEntry) bool {
		if after != nil && !after.less(e.key) {
			return true
		}
		if !f.matches(*e.row) {
			return true
		}
		row := *e.row
		row.Flags = slices.Clone(e.row.Flags)
		rows = append(rows, row)
		return len(rows) <= limit
	}
	if t := q.byTeam[f.Team]; t != nil {
		if after != nil {
			t.AscendGreaterOrEqual(queueEntry{key: *after}, collect)
		} else {
			t.Ascend(collect)
		}
	}
	q.mu.RUnlock()
	var p Page
	if len(rows) > limit {
		rows = rows[:limit]
		p.NextCursor = keyOf(rows[limit-1]).encode()
	}
	p.Rows = rows
	return p, nil
}

func (f QueueFilter) matches(r QueueRow) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, r.Status):
		return false
	case f.Priority != 0 && r.Priority != f.Priority:
		return false
	case f.Agent != "" && r.Agent != f.Agent:
		return false
	case f.Unassigned && r.Agent != "":
		return false
	}
	for _, flag := range f.Flags {
		if !slices.Contains(r.Flags, flag) {
			return false
		}
	}
	return true
}

// sortKey orders a queue: due time (unknown last), priority, opening, id.
type sortKey struct {
	Due      int64 // unix nanoseconds; max for unknown
	Priority int
	Opened   int64
	ID       string
}

func keyOf(r QueueRow) sortKey {
	due := int64(1<<63 - 1)
	if d := r.Due(); !d.IsZero() {
		due = d.UnixNano()
	}
	p := r.Priority
	if p == 0 {
		p = 9
	}
	return sortKey{Due: due, Priority: p, Opened: r.OpenedAt.UnixNano(), ID: r.ComplaintID}
}

func (k sortKey) compare(o sortKey) int {
	switch {
	case k.Due != o.Due:
		return cmpInt(k.Due, o.Due)
	case k.Priority != o.Priority:
		return cmpInt(int64(k.Priority), int64(o.Priority))
	case k.Opened != o.Opened:
		return cmpInt(k.Opened, o.Opened)
	default:
		return strings.Compare(k.ID, o.ID)
	}
}

func (k sortKey) less(o sortKey) bool { return k.compare(o) < 0 }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (k sortKey) encode() string {
	return page.Cursor(strconv.FormatInt(k.Due, 10), strconv.Itoa(k.Priority), strconv.FormatInt(k.Opened, 10), k.ID)
}

func decodeCursor(c string) (sortKey, error) {
	parts, ok := page.Fields(c, 4)
	if !ok {
		return sortKey{}, ErrBadCursor
	}
	due, err1 := strconv.ParseInt(parts[0], 10, 64)
	prio, err2 := strconv.Atoi(parts[1])
	opened, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || !eventlog.ValidID(parts[3]) {
		return sortKey{}, ErrBadCursor
	}
	return sortKey{Due: due, Priority: prio, Opened: opened, ID: parts[3]}, nil
}

// Snapshot is the projection's rows (active cases, and complaints whose
// case is not open yet), for saving; dirty says whether anything changed
// since the last snapshot.
func (q *Queues) Snapshot() (data []byte, dirty bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	rows := make([]*QueueRow, 0, len(q.rows))
	for _, r := range q.rows {
		rows = append(rows, r)
	}
	data, err = json.Marshal(rows)
	dirty, q.dirty = q.dirty, false
	return data, dirty, err
}

// MarshalJSON is the projection's snapshot (projection.New and Run save and
// restore it): its rows.
func (q *Queues) MarshalJSON() ([]byte, error) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	rows := make([]*QueueRow, 0, len(q.rows))
	for _, r := range q.rows {
		rows = append(rows, r)
	}
	return json.Marshal(rows)
}

// UnmarshalJSON restores a snapshot into an empty projection.
func (q *Queues) UnmarshalJSON(data []byte) error {
	if q.rows == nil {
		q.rows = map[string]*QueueRow{}
	}
	if q.byTeam == nil {
		q.byTeam, q.indexed = map[string]*btree.BTreeG[queueEntry]{}, map[string]queueEntry{}
	}
	return q.Restore(data)
}

// Restore loads a snapshot into an empty projection.
func (q *Queues) Restore(data []byte) error {
	var rows []*QueueRow
	if err := json.Unmarshal(data, &rows); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, r := range rows {
		if _, ok := q.rows[r.ComplaintID]; !ok {
			q.rows[r.ComplaintID] = r
			q.index(r)
		}
	}
	return nil
}
