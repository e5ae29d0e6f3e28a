package domain

import (
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Fact is one complaint as the reports see it: its dimensions, its
// outcome, its times, its redress and the effort it cost the customer.
// Facts are folded from the events of all five services (EvolveFacts);
// every report is a pass over them.
type Fact struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Product    string    `json:"product,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	Regime     string    `json:"regime,omitempty"`
	Team       string    `json:"team,omitempty"`
	RootCause  string    `json:"root_cause,omitempty"`
	// Outcome is the latest resolution's (complaintsv1.Outcome).
	Outcome int32 `json:"outcome,omitempty"`
	// FirstResolvedAt is the first final response; ResolvedAt the latest,
	// zero while the complaint is open again after a reopen.
	FirstResolvedAt time.Time `json:"first_resolved_at,omitzero"`
	ResolvedAt      time.Time `json:"resolved_at,omitzero"`
	ClosedAt        time.Time `json:"closed_at,omitzero"`
	CloseReason     string    `json:"close_reason,omitempty"`
	// Redress: decided is the latest decision's monetary total, paid the
	// sum of issued monetary items; NonMonetary counts decided items
	// without an amount (apology, guarantee of change, replacement...).
	Currency      string `json:"currency,omitempty"`
	DecidedMinor  int64  `json:"decided_minor,omitempty"`
	PaidMinor     int64  `json:"paid_minor,omitempty"`
	NonMonetary   int32  `json:"non_monetary,omitempty"`
	RepeatContact int32  `json:"repeat_contacts,omitempty"`
	// ChannelSwitches counts repeat contacts and answers to information
	// requests on another channel than the complaint's.
	ChannelSwitches int32 `json:"channel_switches,omitempty"`
	Transfers       int32 `json:"transfers,omitempty"`
	InfoRequests    int32 `json:"information_requests,omitempty"`
	Reopens         int32 `json:"reopens,omitempty"`
	// RecontactOf is the earlier complaint this one comes back about.
	RecontactOf string `json:"recontact_of,omitempty"`
	// Recontacts are when later complaints came back about this one.
	Recontacts []time.Time `json:"recontacts,omitempty"`
	FCR        bool        `json:"fcr,omitempty"`
	// Survey: the latest answer; CES is the Customer Effort Score (1-7).
	Surveyed bool  `json:"surveyed,omitempty"`
	CES      int32 `json:"ces,omitempty"`
	CSAT     int32 `json:"csat,omitempty"`
	NPS      int32 `json:"nps,omitempty"`
}

// Effort is the steps the customer had to take beyond the first contact:
// repeat contacts, channel switches, transfers, information requests and
// reopens (Dixon's "effort drivers").
func (f *Fact) Effort() int32 {
	return f.RepeatContact + f.ChannelSwitches + f.Transfers + f.InfoRequests + f.Reopens
}

// Open reports whether the complaint awaits a final response.
func (f *Fact) Open() bool { return f.ResolvedAt.IsZero() }

// Facts is the fact table: one Fact per complaint, in the order the log
// first named them. Its JSON form is its snapshot.
type Facts struct {
	// Rows are the facts in log order: reports scan them.
	Rows []*Fact `json:"facts"`
	// byID indexes Rows by complaint id; it is rebuilt from Rows after a
	// snapshot is restored.
	byID map[string]*Fact
	// LastOfCustomer is the latest complaint of each customer fingerprint,
	// to find a recontact the intake did not link.
	LastOfCustomer map[string]string `json:"last_of_customer,omitempty"`
	// Events counts the events folded in.
	Events int64 `json:"events"`
}

// NewFacts is the fact table before any event.
func NewFacts() *Facts {
	return &Facts{byID: map[string]*Fact{}, LastOfCustomer: map[string]string{}}
}

// Get is the fact of complaint id, if the table has one.
func (t *Facts) Get(id string) (*Fact, bool) {
	if len(t.byID) != len(t.Rows) {
		t.byID = make(map[string]*Fact, len(t.Rows))
		for _, f := range t.Rows {
			t.byID[f.ID] = f
		}
	}
	f, ok := t.byID[id]
	return f, ok
}

func (t *Facts) fact(id string) *Fact {
	f, ok := t.Get(id)
	if !ok {
		f = &Fact{ID: id}
		t.byID[id] = f
		t.Rows = append(t.Rows, f)
	}
	return f
}

func at(ts interface{ AsTime() time.Time }, fallback time.Time) time.Time {
	if t := ts.AsTime(); !t.IsZero() && t.Unix() != 0 {
		return t.UTC()
	}
	return fallback
}

// Evolve folds one event of any service into the table; recordedAt is when
// it was recorded, used when the event has no time of its own. Events the
// reports do not need leave it as it is.
func (t *Facts) Evolve(event proto.Message, recordedAt time.Time) {
	t.Events++
	switch e := event.(type) {
	case *complaintsv1.ComplaintReceived:
		f := t.fact(e.ComplaintId)
		f.ReceivedAt = at(e.ReceivedAt, recordedAt)
		f.Product, f.Channel, f.Regime = e.Product, e.Channel, e.Regime
		f.RecontactOf = e.RecontactOf
		if f.RecontactOf == "" && e.CustomerFingerprint != "" {
			if prev, ok := t.Get(t.LastOfCustomer[e.CustomerFingerprint]); ok && !prev.ClosedAt.IsZero() && prev.ID != f.ID {
				f.RecontactOf = prev.ID
			}
		}
		if prev, ok := t.Get(f.RecontactOf); ok && prev.ID != f.ID {
			prev.Recontacts = append(prev.Recontacts, f.ReceivedAt)
		}
		if e.CustomerFingerprint != "" {
			t.LastOfCustomer[e.CustomerFingerprint] = f.ID
		}
	case *complaintsv1.CaseOpened:
		f := t.fact(e.ComplaintId)
		if f.Product == "" {
			f.Product = e.Product
		}
		if f.Channel == "" {
			f.Channel = e.Channel
		}
		if f.ReceivedAt.IsZero() {
			f.ReceivedAt = at(e.OpenedAt, recordedAt)
		}
	case *complaintsv1.RepeatContactRecorded:
		f := t.fact(e.ComplaintId)
		f.RepeatContact++
		if e.ChannelSwitch {
			f.ChannelSwitches++
		}
	case *complaintsv1.CaseAssigned:
		if e.Team != "" {
			t.fact(e.ComplaintId).Team = e.Team
		}
	case *complaintsv1.CaseTransferred:
		f := t.fact(e.ComplaintId)
		f.Transfers++
		if e.ToTeam != "" {
			f.Team = e.ToTeam
		}
	case *complaintsv1.InformationRequested:
		t.fact(e.ComplaintId).InfoRequests++
	case *complaintsv1.InformationProvided:
		// The customer answered on another channel than they complained on.
		if f := t.fact(e.ComplaintId); e.Channel != "" && f.Channel != "" && e.Channel != f.Channel {
			f.ChannelSwitches++
		}
	case *complaintsv1.CaseReopened:
		f := t.fact(e.ComplaintId)
		f.Reopens++
		f.ResolvedAt, f.ClosedAt, f.CloseReason = time.Time{}, time.Time{}, ""
		if e.Team != "" {
			f.Team = e.Team
		}
	case *complaintsv1.CaseResolved:
		f := t.fact(e.ComplaintId)
		f.ResolvedAt = at(e.ResolvedAt, recordedAt)
		if f.FirstResolvedAt.IsZero() {
			f.FirstResolvedAt = f.ResolvedAt
		}
		f.Outcome = int32(e.Outcome)
		if e.RootCause != "" {
			f.RootCause = e.RootCause
		}
		if e.Team != "" {
			f.Team = e.Team
		}
		if f.Product == "" {
			f.Product = e.Product
		}
		f.FCR = e.FirstContactResolution
	case *complaintsv1.RedressDecided:
		f := t.fact(e.ComplaintId)
		f.DecidedMinor, f.NonMonetary = 0, 0
		if len(e.Items) == 0 {
			f.DecidedMinor = e.AmountMinor
			if e.Currency != "" {
				f.Currency = e.Currency
			}
		}
		for _, it := range e.Items {
			if it.AmountMinor > 0 {
				f.DecidedMinor += it.AmountMinor
				if it.Currency != "" {
					f.Currency = it.Currency
				}
			} else {
				f.NonMonetary++
			}
		}
	case *complaintsv1.RedressIssued:
		f := t.fact(e.ComplaintId)
		f.PaidMinor += e.AmountMinor
		if e.Currency != "" {
			f.Currency = e.Currency
		}
	case *complaintsv1.SurveyAnswered:
		f := t.fact(e.ComplaintId)
		f.Surveyed, f.CES, f.CSAT, f.NPS = true, e.Effort, e.Csat, e.Nps
	case *complaintsv1.ComplaintClosed:
		f := t.fact(e.ComplaintId)
		f.ClosedAt, f.CloseReason = at(e.ClosedAt, recordedAt), e.Reason
	default:
		t.Events--
	}
}

// Each calls fn for every complaint in log order.
func (t *Facts) Each(fn func(*Fact)) {
	for _, f := range t.Rows {
		fn(f)
	}
}

// FactEvents are the event types the fact table folds: a projection
// subscribes to these only.
var FactEvents = []proto.Message{
	&complaintsv1.ComplaintReceived{}, &complaintsv1.CaseOpened{}, &complaintsv1.RepeatContactRecorded{},
	&complaintsv1.CaseAssigned{}, &complaintsv1.CaseTransferred{}, &complaintsv1.InformationRequested{}, &complaintsv1.InformationProvided{},
	&complaintsv1.CaseReopened{}, &complaintsv1.CaseResolved{}, &complaintsv1.RedressDecided{},
	&complaintsv1.RedressIssued{}, &complaintsv1.SurveyAnswered{}, &complaintsv1.ComplaintClosed{},
}
