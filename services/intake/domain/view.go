package domain

import (
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// Complaint statuses as a customer or support agent sees them.
const (
	StatusAcknowledged     = "acknowledged"
	StatusInvestigating    = "investigating"
	StatusAwaitingCustomer = "awaiting_customer"
	StatusResolved         = "resolved"
	StatusReopened         = "reopened"
	StatusAwaitingFeedback = "awaiting_feedback"
	StatusClosed           = "closed"
)

// Clock states in the view.
const (
	ClockRunning  = "running"
	ClockPaused   = "paused"
	ClockMet      = "met"
	ClockBreached = "breached"
	// ClockStopped: the complaint closed while the clock ran or was paused.
	ClockStopped = "stopped"
)

// Clock is one clock of the complaint's regime or service levels, as the
// view shows it.
type Clock struct {
	Name string
	// Kind is "regulatory" or "internal".
	Kind  string
	Due   time.Time
	State string
	// Late: met after it had breached.
	Late bool
}

// Effort is what the complaint has cost the customer. Contacts are the
// customer's own contacts: the submission, each repeat contact and each
// answer to an information request.
type Effort struct {
	Contacts, RepeatContacts, ChannelSwitches, Transfers, InformationRequests, Reopens int
}

// View is the whole story of one complaint across every service, folded from
// its timeline. Personal data stays sealed here; the HTTP edge opens it.
type View struct {
	ID                  string
	Reference           string
	Status              string
	CustomerID          string
	CustomerName        *complaintsv1.SealedValue
	CustomerEmail       *complaintsv1.SealedValue
	CustomerPhone       *complaintsv1.SealedValue
	Channel             string
	Product             string
	ProductCategory     string
	Description         string
	DesiredOutcome      string
	DisputedAmountMinor int64
	DisputedCurrency    string
	Vulnerable          bool
	VulnerabilityDetail *complaintsv1.SealedValue
	RecontactOf         string
	ReceivedAt          time.Time
	Acknowledgement     string
	RespondBy           time.Time

	CaseOpened bool
	Team       string
	Agent      string
	// AgentDisplayName is the owning agent's name as shown to the customer
	// ("Sam from Billing"); empty when the agent has none or no agent owns
	// the case.
	AgentDisplayName string
	Severity         string
	Priority         int32
	Flags            []string
	Tier             int32
	Outcome          complaintsv1.Outcome
	RootCause        string
	Summary          string
	ResolvedAt       time.Time

	Clocks []Clock
	Effort Effort
	// OpenRequests are the information requests the customer has not
	// answered yet, oldest first.
	OpenRequests []InformationRequest

	RedressDecided bool
	RedressIssued  bool
	RedressKind    complaintsv1.RedressKind
	AmountMinor    int64
	Currency       string
	// RedressItems is every item of the redress decided (one, from the
	// event's kind and amount, for events that list no items).
	RedressItems []RedressItem

	SurveyRequested bool
	Answered        bool
	CSAT            int32
	CES             int32
	ResolvedByWord  bool
	AnsweredAt      time.Time

	ClosedAt time.Time
}

// InformationRequest is a question put to the customer.
type InformationRequest struct {
	ID          string
	Question    string
	RequestedAt time.Time
}

// RedressItem is one item of redress decided: what the customer gets.
type RedressItem struct {
	Kind        complaintsv1.RedressKind
	AmountMinor int64
	Currency    string
}

// Survey states as the customer sees them.
const (
	SurveyNotRequested = "not_requested"
	SurveyRequested    = "requested"
	SurveyAnswered     = "answered"
)

// Survey says where the follow-up survey stands.
func (v View) Survey() string {
	switch {
	case v.Answered:
		return SurveyAnswered
	case v.SurveyRequested:
		return SurveyRequested
	}
	return SurveyNotRequested
}

// Now says to the customer, in a sentence, what is happening to their
// complaint. It names no one and nothing of the staff's working.
func (v View) Now() string {
	switch v.Status {
	case StatusAcknowledged:
		return "We have received your complaint and will give you our response by the date we promised."
	case StatusInvestigating:
		return "Your complaint is being looked into."
	case StatusAwaitingCustomer:
		return "We have asked you a question; we continue as soon as you answer it."
	case StatusResolved:
		return "We have given you our response to your complaint."
	case StatusReopened:
		return "Your complaint is open again and is being looked into."
	case StatusAwaitingFeedback:
		return "We have asked you whether your problem is now solved; please tell us."
	case StatusClosed:
		return "Your complaint is closed."
	}
	return ""
}

// Found reports whether the complaint has been received.
func (v View) Found() bool { return v.ID != "" }

func (v *View) clock(name string) *Clock {
	for i := range v.Clocks {
		if v.Clocks[i].Name == name {
			return &v.Clocks[i]
		}
	}
	return nil
}

func clockKind(k complaintsv1.ClockKind) string {
	switch k {
	case complaintsv1.ClockKind_CLOCK_KIND_REGULATORY:
		return "regulatory"
	case complaintsv1.ClockKind_CLOCK_KIND_INTERNAL:
		return "internal"
	default:
		return "unspecified"
	}
}

// EvolveView folds one event of any service into the view. The caller
// passes a fresh View or one it owns: slices are appended to in place.
func EvolveView(v View, event proto.Message) View {
	switch e := event.(type) {
	case *complaintsv1.ComplaintReceived:
		v.ID, v.Reference, v.CustomerID = e.ComplaintId, e.Reference, e.CustomerId
		v.CustomerName, v.CustomerEmail, v.CustomerPhone = e.CustomerName, e.CustomerEmail, e.CustomerPhone
		v.Channel, v.Product, v.ProductCategory = e.Channel, e.Product, e.ProductCategory
		v.Description, v.DesiredOutcome = e.Description, e.DesiredOutcome
		v.DisputedAmountMinor, v.DisputedCurrency = e.DisputedAmountMinor, e.Currency
		v.Vulnerable, v.VulnerabilityDetail = e.CustomerVulnerable, e.VulnerabilityDetail
		v.RecontactOf = e.RecontactOf
		v.ReceivedAt = e.ReceivedAt.AsTime()
		v.Status = StatusAcknowledged
		v.Effort.Contacts++
	case *complaintsv1.ComplaintAcknowledged:
		v.Acknowledgement, v.RespondBy = e.Message, e.RespondBy.AsTime()
	case *complaintsv1.RepeatContactRecorded:
		v.Effort.Contacts++
		v.Effort.RepeatContacts++
		if e.ChannelSwitch {
			v.Effort.ChannelSwitches++
		}
	case *complaintsv1.CaseOpened:
		v.CaseOpened = true
		v.Tier = 1
		v.Status = StatusInvestigating
	case *complaintsv1.CaseTriaged:
		v.Severity, v.Priority, v.Flags = e.Severity, e.Priority, e.Flags
		v.Vulnerable = v.Vulnerable || e.VulnerableCustomer
	case *complaintsv1.CaseAssigned:
		v.Team = e.Team
		if e.Agent != "" {
			v.Agent, v.AgentDisplayName = e.Agent, e.AgentDisplayName
		}
	case *complaintsv1.CaseClaimed:
		v.Agent, v.AgentDisplayName = e.Agent, e.AgentDisplayName
	case *complaintsv1.CaseTransferred:
		v.Team = e.ToTeam
		v.Effort.Transfers++
	case *complaintsv1.CaseEscalated:
		v.Tier = e.Tier
	case *complaintsv1.InformationRequested:
		v.Effort.InformationRequests++
		v.Status = StatusAwaitingCustomer
		v.OpenRequests = append(v.OpenRequests, InformationRequest{ID: e.RequestId, Question: e.Question, RequestedAt: e.RequestedAt.AsTime()})
	case *complaintsv1.InformationProvided:
		v.OpenRequests = slices.DeleteFunc(v.OpenRequests, func(r InformationRequest) bool { return r.ID == e.RequestId })
		v.Effort.Contacts++
		if v.Status == StatusAwaitingCustomer {
			v.Status = StatusInvestigating
		}
	case *complaintsv1.CaseResolved:
		v.Outcome, v.RootCause, v.Summary, v.ResolvedAt = e.Outcome, e.RootCause, e.Summary, e.ResolvedAt.AsTime()
		// A resolution withdraws what was still asked.
		v.OpenRequests = nil
		if e.Team != "" {
			v.Team = e.Team
		}
		v.Status = StatusResolved
	case *complaintsv1.CaseReopened:
		v.Effort.Reopens++
		if e.Team != "" {
			v.Team = e.Team
		}
		v.ClosedAt = time.Time{}
		v.Status = StatusReopened
	case *complaintsv1.ClockStarted:
		c := Clock{Name: e.Clock, Kind: clockKind(e.Kind), Due: e.Due.AsTime(), State: ClockRunning}
		if old := v.clock(e.Clock); old != nil {
			*old = c
		} else {
			v.Clocks = append(v.Clocks, c)
		}
	case *complaintsv1.ClockPaused:
		if c := v.clock(e.Clock); c != nil && c.State == ClockRunning {
			c.State = ClockPaused
		}
	case *complaintsv1.ClockResumed:
		if c := v.clock(e.Clock); c != nil {
			c.Due = e.Due.AsTime()
			if c.State == ClockPaused {
				c.State = ClockRunning
			}
		}
	case *complaintsv1.ClockBreached:
		if c := v.clock(e.Clock); c != nil && c.State != ClockMet {
			c.State = ClockBreached
		}
	case *complaintsv1.ClockStopped:
		if c := v.clock(e.Clock); c != nil && (c.State == ClockRunning || c.State == ClockPaused) {
			c.State = ClockStopped
		}
	case *complaintsv1.ClockMet:
		if c := v.clock(e.Clock); c != nil {
			c.Late = e.Late || c.State == ClockBreached
			c.State = ClockMet
		}
	case *complaintsv1.RedressDecided:
		v.RedressDecided = true
		v.RedressKind, v.AmountMinor, v.Currency = e.Kind, e.AmountMinor, e.Currency
		v.RedressItems = nil
		for _, it := range e.Items {
			v.RedressItems = append(v.RedressItems, RedressItem{Kind: it.Kind, AmountMinor: it.AmountMinor, Currency: it.Currency})
		}
		if len(v.RedressItems) == 0 {
			v.RedressItems = []RedressItem{{Kind: e.Kind, AmountMinor: e.AmountMinor, Currency: e.Currency}}
		}
	case *complaintsv1.RedressIssued:
		v.RedressIssued = true
	case *complaintsv1.SurveyRequested:
		v.SurveyRequested = true
		v.Status = StatusAwaitingFeedback
	case *complaintsv1.SurveyAnswered:
		v.Answered = true
		v.CSAT, v.CES, v.ResolvedByWord, v.AnsweredAt = e.Csat, e.Effort, e.Resolved, e.AnsweredAt.AsTime()
	case *complaintsv1.ComplaintClosed:
		v.ClosedAt = e.ClosedAt.AsTime()
		v.Status = StatusClosed
	}
	return v
}
