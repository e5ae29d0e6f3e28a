package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Timer kinds.
const (
	KindEscalateApproval = "escalate-approval"
	KindRetryIssuance    = "retry-issuance"
)

// Resolved is a CaseResolved and who recorded it.
type Resolved struct {
	Event *complaintsv1.CaseResolved
	// EventID is the CaseResolved event's id: the causation and idempotency
	// key of the decision.
	EventID string
	// Actor recorded the resolution (its metadata): never the approver.
	Actor eventlog.Actor
}

// DecideFor decides redress for a resolved case, from the CaseResolved
// alone: the policy's plan, reserved from the budgets first when it is
// issued without approval. A redelivered resolution decides nothing new: the
// decision is made once per resolution (and its events' ids derive from the
// resolution's event id). A resolution the policy has no rule for is
// decided as earning nothing and settled.
func (a *Compensation) DecideFor(ctx context.Context, r Resolved) error {
	ev := r.Event
	id := ev.ComplaintId
	resolution := max(ev.Resolution, 1)
	current, _, err := a.redresses.Load(ctx, id)
	if err != nil && !errors.Is(err, es.ErrNotFound) {
		return err
	}
	if current.Status != domain.Undecided && current.Resolution >= resolution {
		return a.ensureTimers(ctx, current) // decided before: a redelivery
	}
	if ev.DisputedAmountMinor == nil {
		if ev, err = a.withReceipt(ctx, ev); err != nil {
			return err
		}
	}
	facts := domain.FactsOf(ev)
	plan, _ := a.Policy.Plan(facts, resolution)
	now := a.now()
	period := domain.Period(now)
	exhausted := false
	if items := plan.Reservation(); len(items) > 0 {
		exhausted, err = a.reserve(ctx, reservation{ComplaintID: id, ID: reservationID(id, resolution), Period: period, Items: items, At: now})
		if err != nil {
			return err
		}
	}
	res, err := a.redresses.Handle(ctx, id, es.Command[domain.Command]{
		Body: domain.DecideRedress{Facts: facts, Plan: plan, Resolution: resolution, ResolvedBy: ev.ResolvedBy, ResolverActor: string(r.Actor),
			CustomerID: ev.CustomerId, BudgetExhausted: exhausted, BudgetPeriod: period, At: now},
		ComplaintID: id, CausationID: r.EventID, IdempotencyKey: r.EventID, Actor: Actor,
	})
	if err != nil {
		return err
	}
	return a.ensureTimers(ctx, res.State)
}

// withReceipt completes a resolution of a case opened before CaseOpened
// carried the amount in dispute (an installation upgraded with such cases
// open): the amount, its currency, the reference and the customer come from
// the complaint's ComplaintReceived, as they did before. Every case opened
// since carries them in its CaseResolved.
func (a *Compensation) withReceipt(ctx context.Context, ev *complaintsv1.CaseResolved) (*complaintsv1.CaseResolved, error) {
	if a.streams == nil {
		return ev, nil
	}
	events, err := a.streams.ReadStream(ctx, eventlog.StreamName("complaint", ev.ComplaintId), eventlog.FromStart)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return ev, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if e.Type != receivedType {
			continue
		}
		m, err := es.Decode(e)
		if err != nil {
			return nil, err
		}
		c := m.(*complaintsv1.ComplaintReceived)
		out := proto.CloneOf(ev)
		out.DisputedAmountMinor, out.DisputedCurrency = proto.Int64(c.DisputedAmountMinor), c.Currency
		out.Reference, out.CustomerId = c.Reference, c.CustomerId
		out.VulnerableCustomer = out.VulnerableCustomer || c.CustomerVulnerable
		if out.Product == "" {
			out.Product = c.Product
		}
		return out, nil
	}
	return ev, nil
}

var receivedType = es.TypeOf(&complaintsv1.ComplaintReceived{})

func reservationID(complaintID string, resolution int32) string {
	return fmt.Sprintf("%s/%d", complaintID, resolution)
}

// reservation is what to set aside from the budgets: the monetary items of
// one resolution. An approver's reservation (ApprovedBy set) is made even
// when a budget is exhausted, recorded as over budget.
type reservation struct {
	ComplaintID, ID, Period string
	Items                   []*complaintsv1.RedressItem
	ApprovedBy              string
	At                      time.Time
}

// reserve sets the items aside from their categories' budgets, one
// reservation per category. It reports whether a budget was exhausted (then
// nothing more is reserved).
func (a *Compensation) reserve(ctx context.Context, r reservation) (exhausted bool, err error) {
	sums := map[string]int64{}
	currency := map[string]string{}
	var categories []string
	for _, it := range r.Items {
		if it.AmountMinor <= 0 {
			continue
		}
		if _, ok := a.Policy.BudgetLimit(it.Category); !ok {
			continue
		}
		if _, ok := sums[it.Category]; !ok {
			categories = append(categories, it.Category)
		}
		sums[it.Category] += it.AmountMinor
		currency[it.Category] = it.Currency
	}
	slices.Sort(categories)
	for _, c := range categories {
		limit, _ := a.Policy.BudgetLimit(c)
		_, err := a.budgets.Handle(ctx, domain.BudgetID(r.Period, c), es.Command[domain.BudgetCommand]{
			Body: domain.Reserve{Period: r.Period, Category: c, ReservationID: r.ID, ComplaintID: r.ComplaintID,
				AmountMinor: sums[c], Currency: currency[c], LimitMinor: limit, Override: r.ApprovedBy != "", ApprovedBy: r.ApprovedBy, At: r.At},
			ComplaintID: r.ComplaintID, CausationID: r.ID, IdempotencyKey: "reserve/" + r.ID + "/" + c, Actor: Actor,
		})
		if errors.Is(err, domain.ErrBudgetExhausted) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// release gives back a resolution's reservations in every budgeted category.
func (a *Compensation) release(ctx context.Context, complaintID, reservation, period, reason string, at time.Time) error {
	for c := range a.Policy.Budgets.MonthlyMinor {
		_, err := a.budgets.Handle(ctx, domain.BudgetID(period, c), es.Command[domain.BudgetCommand]{
			Body:        domain.Release{Period: period, Category: c, ReservationID: reservation, ComplaintID: complaintID, Reason: reason, At: at},
			ComplaintID: complaintID, CausationID: reservation, IdempotencyKey: "release/" + reservation + "/" + c, Actor: Actor,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Approval is an approver's answer: POST /v1/redress/{id}/approval.
type Approval struct {
	Decision domain.Decision
	Reason   string
	Items    []*complaintsv1.RedressItem
	// Approver is the caller's actor, Subject its id and Roles its roles.
	Approver       eventlog.Actor
	Roles          []string
	IdempotencyKey string
}

// Approve records an approver's answer on redress waiting for approval. The
// approver may not be the person who resolved the case (four eyes), nor
// approve more than the policy lets their role. An approved redress is
// reserved from its budgets even when they are exhausted (recorded as over
// budget) and its monetary items are requested; a rejected one gives its
// reservations back and is settled with nothing to pay.
//
// An approval retried with its IdempotencyKey (the answer was lost) records
// nothing and is answered with the redress as it stands, replayed true; the
// key used for another decision or by another approver is refused with
// ErrApprovalKeyReused.
func (a *Compensation) Approve(ctx context.Context, complaintID string, ap Approval) (red domain.Redress, replayed bool, err error) {
	if !eventlog.ValidID(complaintID) {
		return domain.Redress{}, false, decider.Refusef(ErrNoRedress, "complaint %q", complaintID)
	}
	current, _, err := a.redresses.Load(ctx, complaintID)
	if errors.Is(err, es.ErrNotFound) {
		return domain.Redress{}, false, decider.Refusef(ErrNoRedress, "complaint %s", complaintID)
	}
	if err != nil {
		return domain.Redress{}, false, err
	}
	key := ap.IdempotencyKey
	if key != "" {
		key = "approval/" + key
		if done, err := a.approvedBefore(ctx, complaintID, key, ap); err != nil || done {
			return current, done, err
		}
	}
	red, err = a.approve(ctx, complaintID, current, key, ap)
	return red, false, err
}

// ErrApprovalKeyReused is returned by Approve for an Idempotency-Key that
// already carried another decision, or another approver's.
var ErrApprovalKeyReused = errors.New("the Idempotency-Key was used for another approval decision")

// approvalEvent is the first event each decision records.
var approvalEvent = map[domain.Decision]string{
	domain.Approve: es.TypeOf(&complaintsv1.RedressApproved{}),
	domain.Reject:  es.TypeOf(&complaintsv1.RedressRejected{}),
	domain.Amend:   es.TypeOf(&complaintsv1.RedressAmended{}),
}

// approvedBefore reports whether the redress stream holds the decision an
// approval under key recorded: the same decision by the same approver is a
// retry, anything else under that key ErrApprovalKeyReused.
func (a *Compensation) approvedBefore(ctx context.Context, complaintID, key string, ap Approval) (bool, error) {
	if a.streams == nil {
		return false, nil
	}
	events, err := a.streams.ReadStream(ctx, eventlog.StreamName(domain.Category, complaintID), eventlog.FromStart)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range events {
		if e.Metadata.CausationID != key {
			continue
		}
		if e.Type != approvalEvent[ap.Decision] || e.Metadata.Actor != ap.Approver {
			return false, fmt.Errorf("%w: it recorded %s by %s", ErrApprovalKeyReused, strings.TrimPrefix(e.Type, "complaints.v1."), e.Metadata.Actor)
		}
		return true, nil
	}
	return false, nil
}

func (a *Compensation) approve(ctx context.Context, complaintID string, current domain.Redress, key string, ap Approval) (domain.Redress, error) {
	now := a.now()
	cmd := domain.DecideApproval{Decision: ap.Decision, Reason: ap.Reason, Items: ap.Items, Approver: string(ap.Approver),
		Subject: ap.Approver.ID(), RoleLimit: a.Policy.RoleLimit(ap.Roles), At: now}
	// Decide once without appending, so a refused approval reserves nothing.
	events, err := a.decider.Decide(cmd, current)
	if err != nil {
		return current, err
	}
	period := current.Decided.GetBudgetPeriod()
	if period == "" {
		period = domain.Period(now)
	}
	reserved := reservationID(complaintID, current.Resolution)
	switch ap.Decision {
	case domain.Approve:
		if _, err := a.reserve(ctx, reservation{ComplaintID: complaintID, ID: reserved, Period: period, Items: current.Items,
			ApprovedBy: string(ap.Approver), At: now}); err != nil {
			return current, err
		}
	case domain.Amend:
		if err := a.release(ctx, complaintID, reserved, period, "amended", now); err != nil {
			return current, err
		}
		for _, e := range events {
			if am, ok := e.(*complaintsv1.RedressAmended); ok {
				if _, err := a.reserve(ctx, reservation{ComplaintID: complaintID, ID: reserved + "/amended", Period: period, Items: am.Items,
					ApprovedBy: string(ap.Approver), At: now}); err != nil {
					return current, err
				}
			}
		}
	}
	res, err := a.redresses.Handle(ctx, complaintID, es.Command[domain.Command]{
		Body: cmd, ComplaintID: complaintID, CausationID: key, IdempotencyKey: key, Actor: ap.Approver,
	})
	if err != nil {
		return res.State, err
	}
	if ap.Decision == domain.Reject {
		if err := a.release(ctx, complaintID, reserved, period, "rejected", now); err != nil {
			return res.State, err
		}
	}
	return res.State, a.ensureTimers(ctx, res.State)
}

// Confirmation is the payment system's answer for one issuance.
type Confirmation struct {
	ComplaintID, IssuanceID string
	Issued                  bool
	Reason                  string
	ExternalReference       string
	Attempt                 int32
	Actor                   eventlog.Actor
}

// Confirm records a confirmation. A duplicate (the same issuance confirmed
// again, the same attempt failed again) appends nothing and is answered
// with the redress as it stands.
func (a *Compensation) Confirm(ctx context.Context, c Confirmation) (domain.Redress, bool, error) {
	if !eventlog.ValidID(c.ComplaintID) {
		return domain.Redress{}, false, decider.Refusef(ErrNoRedress, "complaint %q", c.ComplaintID)
	}
	status := "failed"
	if c.Issued {
		status = "issued"
	}
	key := fmt.Sprintf("confirm/%s/%d/%s", c.IssuanceID, c.Attempt, status)
	if c.Issued {
		key = "confirm/" + c.IssuanceID + "/issued"
	}
	res, err := a.redresses.Handle(ctx, c.ComplaintID, es.Command[domain.Command]{
		Body: domain.ConfirmIssuance{IssuanceID: c.IssuanceID, Issued: c.Issued, Reason: c.Reason,
			ExternalReference: c.ExternalReference, Attempt: c.Attempt, At: a.now()},
		ComplaintID: c.ComplaintID, CausationID: key, IdempotencyKey: key, Actor: c.Actor,
	})
	if err != nil {
		// Only the domain's "no such issuance" of a complaint with no
		// redress is that: a failure to read or append stays what it is
		// (a 5xx the payment system retries), never a final 404.
		if res.State.Status == domain.Undecided && errors.Is(err, domain.ErrNoSuchIssuance) {
			err = decider.Refusef(ErrNoRedress, "complaint %s", c.ComplaintID)
		}
		return res.State, false, err
	}
	return res.State, len(res.Events) == 0, a.ensureTimers(ctx, res.State)
}

type retryCommand struct {
	IssuanceID string `json:"issuance_id"`
}

// OnTimer handles a fired timer: an approval escalating, a failed issuance
// requested again. A stale firing (the state no longer expects it) does
// nothing.
func (a *Compensation) OnTimer(ctx context.Context, f timer.Fired) error {
	var body domain.Command
	switch f.Kind {
	case KindEscalateApproval:
		body = domain.EscalateApproval{Due: f.Due, At: a.now()}
	case KindRetryIssuance:
		var c retryCommand
		if err := json.Unmarshal(f.Command, &c); err != nil {
			return nil // not ours to retry: a malformed timer is dropped
		}
		body = domain.RetryIssuance{IssuanceID: c.IssuanceID, Due: f.Due, At: a.now()}
	default:
		return nil
	}
	res, err := a.redresses.Handle(ctx, f.ComplaintID, es.Command[domain.Command]{
		Body: body, ComplaintID: f.ComplaintID, CausationID: f.FireID, IdempotencyKey: f.FireID, Actor: f.Actor(),
	})
	if err != nil {
		return err
	}
	return a.ensureTimers(ctx, res.State)
}

// ensureTimers schedules every deadline the state holds: the pending
// approval's escalation and the failed issuances' retries. Scheduling the
// same timer for the same time again replaces it, so it is safe after a
// redelivery, and it is what recovers a timer lost to a crash between the
// append and the schedule.
func (a *Compensation) ensureTimers(ctx context.Context, r domain.Redress) error {
	if a.timers == nil {
		return nil
	}
	if r.Status == domain.AwaitingApproval && !r.EscalateAt.IsZero() {
		id, err := timer.ID(r.ComplaintID, "approval-escalation")
		if err != nil {
			return err
		}
		if err := a.timers.Schedule(ctx, timer.Timer{Service: ServiceName, ID: id, Due: r.EscalateAt, Kind: KindEscalateApproval,
			Command: []byte("{}"), ComplaintID: r.ComplaintID, Actor: Actor}); err != nil {
			return err
		}
	}
	for _, iid := range r.IssuanceOrder {
		is := r.Issuances[iid]
		if is.Status != domain.Failed || is.RetryAt.IsZero() {
			continue
		}
		id, err := timer.ID(r.ComplaintID, "retry-"+is.Item.ItemId)
		if err != nil {
			return err
		}
		cmd, _ := json.Marshal(retryCommand{IssuanceID: is.ID})
		if err := a.timers.Schedule(ctx, timer.Timer{Service: ServiceName, ID: id, Due: is.RetryAt, Kind: KindRetryIssuance,
			Command: cmd, ComplaintID: r.ComplaintID, Actor: Actor}); err != nil {
			return err
		}
	}
	return nil
}
