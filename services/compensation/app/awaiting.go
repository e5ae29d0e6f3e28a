package app

import (
	"context"
	"strconv"
	"time"

	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/page"
)

// ErrNoAwaitingList answers a list of redress awaiting approval where the
// projection does not run.
var ErrNoAwaitingList = decider.NotFound("the list of redress awaiting approval is not kept by this process")

// AwaitingPage is one page of the redress waiting for an approver.
type AwaitingPage struct {
	Redress []domain.AwaitingRedress
	// NextCursor continues after the last; empty on the last page.
	NextCursor string
}

// AwaitingApproval lists the redress waiting for an approver, the longest
// waiting first: limit of them (default 100, at most 500) after cursor.
func (a *Compensation) AwaitingApproval(_ context.Context, cursor string, limit int) (AwaitingPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	var after *domain.AwaitingRedress
	if cursor != "" {
		k, ok := decodeAwaitingCursor(cursor)
		if !ok {
			return AwaitingPage{}, decider.Rejects("cursor", "is not one a previous page gave")
		}
		after = &k
	}
	if a.awaiting == nil {
		return AwaitingPage{}, ErrNoAwaitingList
	}
	var page AwaitingPage
	a.awaiting.Awaiting(func(w domain.Awaiting) {
		list, more := w.Oldest(after, limit)
		page.Redress = list
		if more {
			page.NextCursor = encodeAwaitingCursor(list[len(list)-1])
		}
	})
	return page, nil
}

func encodeAwaitingCursor(r domain.AwaitingRedress) string {
	return page.Cursor(strconv.FormatInt(r.DecidedAt.UnixNano(), 10), r.ComplaintID)
}

func decodeAwaitingCursor(c string) (domain.AwaitingRedress, bool) {
	f, ok := page.Fields(c, 2)
	if !ok {
		return domain.AwaitingRedress{}, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || !eventlog.ValidID(f[1]) {
		return domain.AwaitingRedress{}, false
	}
	return domain.AwaitingRedress{ComplaintID: f[1], DecidedAt: time.Unix(0, n).UTC()}, true
}
