package domain

import (
	"cmp"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// SilentCustomer is a complaint closed because its customer answered neither
// the survey nor its chasers: someone should call them.
type SilentCustomer struct {
	ComplaintID string    `json:"complaint_id"`
	CustomerID  string    `json:"customer_id"`
	Product     string    `json:"product"`
	Team        string    `json:"team"`
	RootCause   string    `json:"root_cause"`
	ClosedAt    time.Time `json:"closed_at"`
}

// MaxSilentListed bounds the complaints the report keeps listed, newest
// first; its counts cover every one.
const MaxSilentListed = 2000

// SilentCustomers is the silent-customers report as folded from
// ComplaintClosed events: counts by team and cause, and the latest closures.
// Each closure is folded once: a complaint closes once, and the projection
// resumes exactly after the last event it folded.
type SilentCustomers struct {
	Counts map[string]int64 `json:"counts"` // by "<team>\x00<root cause>"
	Listed []SilentCustomer `json:"listed"` // newest last, at most MaxSilentListed
}

// NewSilentCustomers is the empty report.
func NewSilentCustomers() SilentCustomers {
	return SilentCustomers{Counts: map[string]int64{}}
}

func groupKey(team, cause string) string { return team + "\x00" + cause }

// EvolveSilent folds one event into the report: a closure for no response.
func EvolveSilent(s SilentCustomers, event proto.Message) SilentCustomers {
	e, ok := event.(*complaintsv1.ComplaintClosed)
	if !ok || e.Reason != ReasonNoResponse {
		return s
	}
	s.Counts[groupKey(e.Team, e.RootCause)]++
	s.Listed = append(s.Listed, SilentCustomer{
		ComplaintID: e.ComplaintId, CustomerID: e.CustomerId, Product: e.Product, Team: e.Team, RootCause: e.RootCause,
		ClosedAt: e.ClosedAt.AsTime(),
	})
	if over := len(s.Listed) - MaxSilentListed; over > 0 {
		s.Listed = slices.Delete(s.Listed, 0, over)
	}
	return s
}

// SilentQuery selects what the report shows.
type SilentQuery struct {
	Team, RootCause string
	// Limit bounds the complaints listed (default 100).
	Limit int
}

// SilentGroup counts the silent customers of one team and cause.
type SilentGroup struct {
	Team      string
	RootCause string
	Count     int64
}

// SilentReport is what the report shows: every group's count, and the
// matching complaints, newest first.
type SilentReport struct {
	Total      int64
	Groups     []SilentGroup
	Complaints []SilentCustomer
	// Truncated: more complaints match than are listed.
	Truncated bool
}

// Report answers a query. It does not change s.
func (s SilentCustomers) Report(q SilentQuery) SilentReport {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var r SilentReport
	for key, n := range s.Counts {
		team, cause, _ := cutKey(key)
		if (q.Team != "" && team != q.Team) || (q.RootCause != "" && cause != q.RootCause) {
			continue
		}
		r.Total += n
		r.Groups = append(r.Groups, SilentGroup{Team: team, RootCause: cause, Count: n})
	}
	slices.SortFunc(r.Groups, func(a, b SilentGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Team, b.Team), cmp.Compare(a.RootCause, b.RootCause))
	})
	for i := len(s.Listed) - 1; i >= 0; i-- {
		c := s.Listed[i]
		if (q.Team != "" && c.Team != q.Team) || (q.RootCause != "" && c.RootCause != q.RootCause) {
			continue
		}
		if len(r.Complaints) == q.Limit {
			r.Truncated = true
			break
		}
		r.Complaints = append(r.Complaints, c)
	}
	if int64(len(r.Complaints)) < r.Total {
		r.Truncated = true
	}
	return r
}

func cutKey(key string) (team, cause string, ok bool) {
	for i := range len(key) {
		if key[i] == 0 {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}
