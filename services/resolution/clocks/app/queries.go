package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

// ErrNoClocks: the complaint has no clock (yet: they start moments after
// the complaint is received).
var ErrNoClocks = errors.New("no clocks")

// HistoryEntry is one event of a clock stream.
type HistoryEntry struct {
	Event string
	Clock string
	At    time.Time
	Due   time.Time
}

// Show returns a complaint's clocks and their history.
func (a *Clocks) Show(ctx context.Context, complaintID string) (domain.Clocks, []HistoryEntry, error) {
	recorded, err := a.log.ReadStream(ctx, eventlog.StreamName(domain.Category, complaintID), eventlog.FromStart)
	if errors.Is(err, eventlog.ErrStreamNotFound) || err == nil && len(recorded) == 0 {
		return domain.Clocks{}, nil, ErrNoClocks
	}
	if err != nil {
		return domain.Clocks{}, nil, err
	}
	s := a.repo.Decider.Initial()
	var history []HistoryEntry
	for _, e := range recorded {
		m, err := es.Decode(e)
		if err != nil {
			return domain.Clocks{}, nil, err
		}
		s = a.repo.Decider.Evolve(s, m)
		history = append(history, entry(m, e.Type))
	}
	return s, history, nil
}

func entry(m proto.Message, typ string) HistoryEntry {
	h := HistoryEntry{Event: typ[strings.LastIndex(typ, ".")+1:]}
	if c, ok := m.(interface{ GetClock() string }); ok {
		h.Clock = c.GetClock()
	}
	t := func(x *timestamppb.Timestamp) time.Time {
		if x == nil {
			return time.Time{}
		}
		return x.AsTime()
	}
	switch e := m.(type) {
	case *complaintsv1.ClockStarted:
		h.At, h.Due = t(e.StartedAt), t(e.Due)
	case *complaintsv1.ClockPaused:
		h.At = t(e.PausedAt)
	case *complaintsv1.ClockResumed:
		h.At, h.Due = t(e.ResumedAt), t(e.Due)
	case *complaintsv1.ClockWarning:
		h.At, h.Due = t(e.WarnedAt), t(e.Due)
	case *complaintsv1.ClockBreached:
		h.At, h.Due = t(e.BreachedAt), t(e.Due)
	case *complaintsv1.ClockMet:
		h.At = t(e.MetAt)
	case *complaintsv1.ClockStopped:
		h.At = t(e.StoppedAt)
	case *complaintsv1.NotificationRequested:
		h.Clock = e.Purpose
		h.At = t(e.RequestedAt)
	}
	return h
}
