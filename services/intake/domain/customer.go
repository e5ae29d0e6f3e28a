package domain

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/decider"
)

// CustomerCategory is the stream category of intake's customer index:
// "customer-<customer id>".
const CustomerCategory = "customer"

// Changes a customer's complaint goes through in the index.
const (
	ChangeOpened    = "opened"
	ChangeClosed    = "closed"
	ChangeReopened  = "reopened"
	ChangeAbandoned = "abandoned"
)

// Standing is where an indexed complaint stands.
type Standing int

const (
	// Open: opened or reopened, and no closure indexed since. The log may
	// hold it closed already: a submission reads that (Closure) when it
	// would be a repeat contact on it, and indexes the closure first.
	Open Standing = iota + 1
	// Closed: follow-up closed it, and a later submission indexed that.
	Closed
	// Abandoned: the opening was never followed by the complaint itself.
	Abandoned
)

// IndexedComplaint is one complaint of a customer as the index knows it.
type IndexedComplaint struct {
	ID, Product, Channel, RecontactOf string
	Standing                          Standing
	OpenedAt                          time.Time
	ClosedAt                          time.Time
}

// CustomerStatus is where a customer stands.
type CustomerStatus int

const (
	// UnknownCustomer: no complaint indexed yet.
	UnknownCustomer CustomerStatus = iota
	// KnownCustomer: at least one complaint indexed.
	KnownCustomer
	// ErasedCustomer: the customer's personal data has been erased; their
	// complaints stay indexed (counts, repeat contacts).
	ErasedCustomer
)

// Customer is the customer index aggregate's state: the customer's
// complaints, oldest first.
type Customer struct {
	Status     CustomerStatus
	ID         string
	Complaints []IndexedComplaint
	// ErasedKeys are the key ids whose erasure has been recorded.
	ErasedKeys map[string]bool
}

// Find returns the indexed complaint with id.
func (c Customer) Find(id string) (IndexedComplaint, bool) {
	for _, k := range c.Complaints {
		if k.ID == id {
			return k, true
		}
	}
	return IndexedComplaint{}, false
}

// OpenFor returns the customer's open complaint about product, the most
// recently opened one when there are several.
func (c Customer) OpenFor(product string) (IndexedComplaint, bool) {
	for i := len(c.Complaints) - 1; i >= 0; i-- {
		if k := c.Complaints[i]; k.Standing == Open && k.Product == product {
			return k, true
		}
	}
	return IndexedComplaint{}, false
}

// ComplaintIDs lists the customer's complaints, abandoned openings left out.
func (c Customer) ComplaintIDs() []string {
	var out []string
	for _, k := range c.Complaints {
		if k.Standing != Abandoned {
			out = append(out, k.ID)
		}
	}
	return out
}

// recentlyClosed returns the customer's complaint about product that closed
// last, if it closed no earlier than window before at.
func (c Customer) recentlyClosed(product string, at time.Time, window time.Duration) (IndexedComplaint, bool) {
	var best IndexedComplaint
	for _, k := range c.Complaints {
		// A closure a little after at (another service's clock) counts too.
		if k.Product == product && k.Standing == Closed && !k.ClosedAt.IsZero() &&
			at.Sub(k.ClosedAt) <= window && k.ClosedAt.After(best.ClosedAt) {
			best = k
		}
	}
	return best, best.ID != ""
}

// OpeningInFlight is how long an opening in the index is taken to be a
// submission still being recorded, rather than one that failed half-way
// (after indexing, before its complaint was recorded).
const OpeningInFlight = 30 * time.Second

// Routing is what a submission is, once the index has routed it: the
// repeat-contact rule in one place. A submission opens a complaint when the
// index holds it (RecontactOf: the complaint closed within the recontact
// window it follows); otherwise it is a repeat contact on RepeatOn, the
// customer's open complaint about the same product.
type Routing struct {
	Opens       bool
	RecontactOf string
	RepeatOn    IndexedComplaint
}

// Route is the routing of submission id about product by the index c
// (after RouteSubmission). ok is false when the index routed it nowhere,
// which RouteSubmission never leaves.
func (c Customer) Route(id, product string) (r Routing, ok bool) {
	if k, found := c.Find(id); found {
		return Routing{Opens: true, RecontactOf: k.RecontactOf}, true
	}
	open, found := c.OpenFor(product)
	return Routing{RepeatOn: open}, found
}

// OpeningAbandoned says whether the opening k, whose complaint is not
// recorded, is to be abandoned at now (so that the submission waiting on it
// opens a complaint of its own) rather than waited for.
func (k IndexedComplaint) OpeningAbandoned(now time.Time) bool {
	return now.Sub(k.OpenedAt) >= OpeningInFlight
}

// TimelineEvent is one event of a complaint's timeline, as Closure reads
// it: the event's id and its message.
type TimelineEvent struct {
	ID    string
	Event proto.Message
}

// Closing is the event that closed a complaint: its id (the cause the
// index records the closure under) and when.
type Closing struct {
	ID string
	At time.Time
}

// Closure is the closing that stands at the end of a complaint's timeline:
// its last ComplaintClosed, unless a CaseReopened came after it. A
// complaint that stands closed takes no repeat contact: the index, which
// learns of a closure only when a submission finds the complaint open in it,
// is told of it first.
func Closure(timeline []TimelineEvent) (Closing, bool) {
	var last Closing
	closed := false
	for _, e := range timeline {
		switch m := e.Event.(type) {
		case *complaintsv1.ComplaintClosed:
			last, closed = Closing{ID: e.ID, At: m.GetClosedAt().AsTime()}, true
		case *complaintsv1.CaseReopened:
			closed = false
		}
	}
	return last, closed
}

// CustomerCommand is a command the customer index decider accepts.
type CustomerCommand interface{ isCustomerCommand() }

// RouteSubmission decides what a submission is: a new complaint (indexed as
// opened, linked to a complaint closed within the recontact window), or,
// while a complaint about the same product is open, nothing here: the app
// records a repeat contact on that complaint.
type RouteSubmission struct {
	CustomerID, ComplaintID, Product, Channel string
	At                                        time.Time
}

// RecordClosure indexes that a complaint closed.
type RecordClosure struct {
	ComplaintID string
	At          time.Time
}

// RecordReopen indexes that a complaint is open again.
type RecordReopen struct {
	ComplaintID string
	At          time.Time
}

// AbandonOpening indexes that an opening was never followed by its
// complaint (the submission failed after the index was written), so
// submissions are no longer attached to it.
type AbandonOpening struct {
	ComplaintID string
	At          time.Time
}

// ErasePersonalData records that the customer's key is destroyed.
type ErasePersonalData struct {
	CustomerID string
	// KeyID is the key generation destroyed; "" when the customer has no
	// key left.
	KeyID    string
	ErasedBy string
	Reason   string
	At       time.Time
}

func (RouteSubmission) isCustomerCommand()   {}
func (RecordClosure) isCustomerCommand()     {}
func (RecordReopen) isCustomerCommand()      {}
func (AbandonOpening) isCustomerCommand()    {}
func (ErasePersonalData) isCustomerCommand() {}

// ErrUnknownCustomer: no complaint of this customer is known.
var ErrUnknownCustomer = decider.NotFound("no complaint of this customer is known")

// NewCustomerDecider is the customer index decider under policy p.
func NewCustomerDecider(p Policy) decider.Decider[Customer, CustomerCommand] {
	return decider.Decider[Customer, CustomerCommand]{
		Initial: func() Customer { return Customer{} },
		Decide:  func(cmd CustomerCommand, c Customer) ([]proto.Message, error) { return DecideCustomer(p, cmd, c) },
		Evolve:  EvolveCustomer,
	}
}

// DecideCustomer decides on the customer index.
func DecideCustomer(p Policy, cmd CustomerCommand, c Customer) ([]proto.Message, error) {
	switch cmd := cmd.(type) {
	case RouteSubmission:
		if _, ok := c.Find(cmd.ComplaintID); ok {
			return nil, nil // a retry of a submission already routed
		}
		if _, ok := c.OpenFor(cmd.Product); ok {
			return nil, nil // a repeat contact: recorded on the open complaint
		}
		e := indexed(cmd.CustomerID, cmd.ComplaintID, cmd.Product, ChangeOpened, cmd.At)
		e.Channel = cmd.Channel
		if prev, ok := c.recentlyClosed(cmd.Product, cmd.At, p.Contacts.RecontactWindow); ok {
			e.RecontactOf = prev.ID
		}
		return []proto.Message{e}, nil
	case RecordClosure:
		k, ok := c.Find(cmd.ComplaintID)
		if !ok || k.Standing != Open {
			return nil, nil
		}
		return []proto.Message{indexed(c.ID, k.ID, k.Product, ChangeClosed, cmd.At)}, nil
	case RecordReopen:
		k, ok := c.Find(cmd.ComplaintID)
		if !ok || k.Standing != Closed {
			return nil, nil
		}
		return []proto.Message{indexed(c.ID, k.ID, k.Product, ChangeReopened, cmd.At)}, nil
	case AbandonOpening:
		k, ok := c.Find(cmd.ComplaintID)
		if !ok || k.Standing != Open {
			return nil, nil
		}
		return []proto.Message{indexed(c.ID, k.ID, k.Product, ChangeAbandoned, cmd.At)}, nil
	case ErasePersonalData:
		if c.Status == UnknownCustomer {
			return nil, ErrUnknownCustomer
		}
		if c.ErasedKeys[cmd.KeyID] || (cmd.KeyID == "" && c.Status == ErasedCustomer) {
			return nil, nil // erased already
		}
		return []proto.Message{&complaintsv1.CustomerPersonalDataErased{
			CustomerId: cmd.CustomerID, KeyId: cmd.KeyID, ErasedBy: cmd.ErasedBy, Reason: cmd.Reason,
			ErasedAt: timestamppb.New(cmd.At), ComplaintIds: c.ComplaintIDs(),
		}}, nil
	default:
		return nil, fmt.Errorf("intake: unknown customer command %T", cmd)
	}
}

func indexed(customerID, complaintID, product, change string, at time.Time) *complaintsv1.CustomerComplaintIndexed {
	return &complaintsv1.CustomerComplaintIndexed{CustomerId: customerID, ComplaintId: complaintID, Product: product,
		Change: change, At: timestamppb.New(at)}
}

// EvolveCustomer folds one event into the customer index.
func EvolveCustomer(c Customer, event proto.Message) Customer {
	switch e := event.(type) {
	case *complaintsv1.CustomerComplaintIndexed:
		if c.Status == UnknownCustomer {
			c.Status = KnownCustomer
		}
		c.ID = e.CustomerId
		at := e.At.AsTime()
		i := -1
		for j, k := range c.Complaints {
			if k.ID == e.ComplaintId {
				i = j
			}
		}
		if e.Change == ChangeOpened {
			c.Complaints = append(c.Complaints, IndexedComplaint{ID: e.ComplaintId, Product: e.Product, Channel: e.Channel,
				RecontactOf: e.RecontactOf, Standing: Open, OpenedAt: at})
			return c
		}
		if i < 0 {
			return c
		}
		c.Complaints = slices.Clone(c.Complaints)
		k := &c.Complaints[i]
		switch e.Change {
		case ChangeClosed:
			k.Standing, k.ClosedAt = Closed, at
		case ChangeReopened:
			k.Standing, k.ClosedAt = Open, time.Time{}
		case ChangeAbandoned:
			k.Standing = Abandoned
		}
	case *complaintsv1.CustomerPersonalDataErased:
		c.Status = ErasedCustomer
		c.ID = e.CustomerId
		c.ErasedKeys = maps.Clone(c.ErasedKeys)
		if c.ErasedKeys == nil {
			c.ErasedKeys = map[string]bool{}
		}
		c.ErasedKeys[e.KeyId] = true
	}
	return c
}
