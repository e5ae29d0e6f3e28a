package adapters

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

// The operations below are the agent's and customer's commands, whatever
// the transport: the HTTP and NATS adapters decode a request, say who calls,
// and call them, so both validate, refuse and answer alike.

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = httpx.MaxIdempotencyKey

// caller is who calls an operation, and how a retry is recognised.
type caller struct {
	actor eventlog.Actor
	// subject is the caller's own id (an agent's), the default of the
	// agent, reviewer and contact fields; empty for a customer.
	subject string
	key     string
	// channel is where a customer's answer comes from by default.
	channel string
}

func (c caller) request() app.Request { return app.Request{Actor: c.actor, IdempotencyKey: c.key} }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// refused turns a case that is not open into a 404 saying why.
func refused(id string, err error) error {
	if errors.Is(err, domain.ErrCaseNotOpen) {
		return httpx.NotFound("no case is open for complaint " + id + " (yet: cases open moments after the complaint is received)")
	}
	return err
}

func caseOf(c domain.Case, err error, id string) (api.Case, error) {
	if err != nil {
		return api.Case{}, refused(id, err)
	}
	return toJSON(c), nil
}

func showOp(ctx context.Context, a *app.Resolution, id string) (api.Case, error) {
	c, err := a.Case(ctx, id)
	return caseOf(c, err, id)
}

func assignOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.AssignRequest) (api.Case, error) {
	var v httpx.Validator
	v.Required(req.Team, "team")
	v.MaxLen(req.Team, 100, "team")
	v.MaxLen(req.Agent, 100, "agent")
	v.MaxLen(req.AgentDisplayName, 100, "agent_display_name")
	v.MaxLen(req.Reason, 1000, "reason")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, err := a.Assign(ctx, cl.request(), id, domain.AssignCase{
		Team: req.Team, Agent: req.Agent, DisplayName: req.AgentDisplayName, Reason: req.Reason,
	})
	return caseOf(c, err, id)
}

func claimOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.ClaimRequest) (api.Case, error) {
	agent := orDefault(req.Agent, cl.subject)
	var v httpx.Validator
	v.Required(agent, "agent")
	v.MaxLen(agent, 100, "agent")
	v.MaxLen(req.AgentDisplayName, 100, "agent_display_name")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, err := a.Claim(ctx, cl.request(), id, domain.ClaimCase{Agent: agent, DisplayName: req.AgentDisplayName})
	return caseOf(c, err, id)
}

func escalateOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.EscalateRequest) (api.Case, error) {
	var v httpx.Validator
	v.Required(strings.TrimSpace(req.Reason), "reason")
	v.MaxLen(req.Reason, 1000, "reason")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, err := a.Escalate(ctx, cl.request(), id, domain.EscalateCase{Reason: req.Reason})
	return caseOf(c, err, id)
}

func reviewOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.ReviewRequest) (api.Case, error) {
	reviewer := orDefault(req.Reviewer, cl.subject)
	var v httpx.Validator
	v.Required(reviewer, "reviewer")
	v.MaxLen(reviewer, 100, "reviewer")
	v.MaxLen(req.Notes, 5000, "notes")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, err := a.Review(ctx, cl.request(), id, domain.ReviewCase{Reviewer: reviewer, Notes: req.Notes})
	return caseOf(c, err, id)
}

func requestInformationOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.InformationRequestRequest) (api.Case, error) {
	var v httpx.Validator
	v.Required(strings.TrimSpace(req.Question), "question")
	v.MaxLen(req.Question, 2000, "question")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, _, err := a.RequestInformation(ctx, cl.request(), id, domain.RequestInformation{Question: req.Question})
	return caseOf(c, err, id)
}

// AnswerChannels are the channels a customer's answer may come through.
var AnswerChannels = []string{"web", "email", "phone", "chat", "letter", "nats"}

func answerOp(ctx context.Context, a *app.Resolution, cl caller, id, requestID string, req api.InformationAnswer) (api.CaseStatus, error) {
	channel := orDefault(req.Channel, cl.channel)
	var v httpx.Validator
	v.Required(strings.TrimSpace(req.Answer), "answer")
	v.MaxLen(req.Answer, 5000, "answer")
	v.Check(slices.Contains(AnswerChannels, channel), "channel", "must be one of "+strings.Join(AnswerChannels, ", "))
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.CaseStatus{}, p
	}
	c, err := a.ProvideInformation(ctx, cl.request(), id, domain.ProvideInformation{RequestID: requestID, Answer: req.Answer, Channel: channel})
	if err != nil {
		return api.CaseStatus{}, refused(id, err)
	}
	return statusOf(c), nil
}

func contactOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.ContactRequest) (api.Case, error) {
	agent := orDefault(req.Agent, cl.subject)
	var v httpx.Validator
	v.Check(slices.Contains(api.ContactChannels, req.Channel), "channel", "must be one of "+strings.Join(api.ContactChannels, ", "))
	v.Required(agent, "agent")
	v.MaxLen(agent, 100, "agent")
	v.MaxLen(req.Summary, 5000, "summary")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, err := a.RecordContact(ctx, cl.request(), id, domain.RecordContact{Agent: agent, Channel: req.Channel, Summary: req.Summary})
	return caseOf(c, err, id)
}

func resolveOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.ResolveRequest) (api.Case, error) {
	var v httpx.Validator
	outcome, ok := complaintsv1.ParseOutcome(req.Outcome)
	v.Check(ok, "outcome", "must be one of upheld, partly_upheld, rejected")
	v.Required(req.RootCause, "root_cause")
	if req.RootCause != "" {
		v.Check(a.KnowsRootCause(req.RootCause), "root_cause", "must be a code listed by GET /v1/root-causes")
	}
	v.MaxLen(req.Summary, 5000, "summary")
	v.MaxLen(req.Agent, 100, "agent")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.Case{}, p
	}
	c, err := a.Resolve(ctx, cl.request(), id, domain.ResolveCase{
		Outcome: outcome, RootCause: req.RootCause, Summary: req.Summary, Agent: orDefault(req.Agent, cl.subject),
	})
	return caseOf(c, err, id)
}

func reopenOp(ctx context.Context, a *app.Resolution, cl caller, id string, req api.ReopenRequest) (api.CaseStatus, error) {
	var v httpx.Validator
	v.Required(strings.TrimSpace(req.Reason), "reason")
	v.MaxLen(req.Reason, 2000, "reason")
	v.IdempotencyKey(cl.key)
	if p := v.Problem(); p != nil {
		return api.CaseStatus{}, p
	}
	c, err := a.Reopen(ctx, cl.request(), id, domain.ReopenCase{Reason: req.Reason})
	if err != nil {
		return api.CaseStatus{}, refused(id, err)
	}
	return statusOf(c), nil
}

// queueQuery is a queue request's parameters, as strings.
type queueQuery struct {
	Team, Status, Priority, Flag, Agent, Unassigned, Cursor, Limit string
}

// QueueStatuses are the statuses a queue filters on.
var QueueStatuses = []string{"open", "awaiting_customer", "reopened"}

func queueOp(a *app.Resolution, q queueQuery) (api.Queue, error) {
	var v httpx.Validator
	v.Required(q.Team, "team")
	v.MaxLen(q.Team, 100, "team")
	f := app.QueueFilter{Team: q.Team, Agent: q.Agent, Cursor: q.Cursor}
	if q.Status != "" {
		f.Statuses = strings.Split(q.Status, ",")
		for _, s := range f.Statuses {
			v.Check(slices.Contains(QueueStatuses, s), "status", "must be one or more (comma-separated) of "+strings.Join(QueueStatuses, ", "))
		}
	}
	if q.Flag != "" {
		f.Flags = strings.Split(q.Flag, ",")
	}
	if q.Priority != "" {
		p, err := strconv.Atoi(q.Priority)
		v.Check(err == nil && p >= 1 && p <= 4, "priority", "must be 1 (most urgent) to 4")
		f.Priority = p
	}
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		v.Check(err == nil && n >= 1 && n <= 200, "limit", "must be 1 to 200")
		f.Limit = n
	}
	switch q.Unassigned {
	case "", "false":
	case "true":
		f.Unassigned = true
	default:
		v.Check(false, "unassigned", "must be true or false")
	}
	v.Check(!(f.Unassigned && f.Agent != ""), "unassigned", "cannot be combined with agent")
	v.MaxLen(q.Agent, 100, "agent")
	v.MaxLen(q.Cursor, 400, "cursor")
	if p := v.Problem(); p != nil {
		return api.Queue{}, p
	}
	page, err := a.Queue(f)
	if errors.Is(err, app.ErrBadCursor) {
		v.Check(false, "cursor", err.Error()+"; start again without one")
		return api.Queue{}, v.Problem()
	}
	if err != nil {
		return api.Queue{}, err
	}
	out := api.Queue{Team: q.Team, Items: make([]api.QueueItem, 0, len(page.Rows)), NextCursor: page.NextCursor}
	for _, r := range page.Rows {
		item := api.QueueItem{
			ComplaintID: r.ComplaintID, Reference: r.Reference, Product: r.Product, Status: r.Status, Team: r.Team, Agent: r.Agent,
			Severity: r.Severity, Priority: r.Priority, Flags: r.Flags, VulnerableCustomer: r.Vulnerable,
			ReviewRequired: r.ReviewRequired && !r.Reviewed, Tier: r.Tier, OpenedAt: r.OpenedAt,
			Transfers: r.Transfers, InformationRequests: r.InformationRequests, Reopens: r.Reopens,
		}
		if item.Flags == nil {
			item.Flags = []string{}
		}
		if d := r.Due(); !d.IsZero() {
			item.Due = &d
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}

func statusOf(c domain.Case) api.CaseStatus {
	return api.CaseStatus{ComplaintID: c.ComplaintID, Status: c.Status.String(), Team: c.Team, Reopens: c.Reopens}
}

func toJSON(c domain.Case) api.Case {
	out := api.Case{ComplaintID: c.ComplaintID, Status: c.Status.String(), Team: c.Team, Transfers: c.Transfers,
		Product: c.Product, Channel: c.Channel, OpenedAt: c.OpenedAt,
		Agent: c.Agent, AgentDisplayName: c.AgentDisplayName, Severity: c.Severity, Priority: c.Priority,
		VulnerableCustomer: c.Vulnerable, Flags: append([]string{}, c.Flags...), ReviewRequired: c.ReviewRequired,
		Reviewed: c.Reviewed, Tier: c.Tier, Regime: c.Regime, Escalations: c.Escalations, Reopens: c.Reopens,
		Contacts: c.Contacts, InformationRequests: []api.InformationRequest{}, Resolution: c.Resolutions,
	}
	if !c.FirstHumanContactAt.IsZero() {
		at := c.FirstHumanContactAt
		out.FirstHumanContactAt = &at
	}
	for _, r := range c.Requests {
		ir := api.InformationRequest{RequestID: r.ID, Question: r.Question, RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt, Status: api.RequestOpen}
		switch {
		case r.Standing == domain.Answered:
			at := r.AnsweredAt
			ir.Status, ir.Answer, ir.Channel, ir.AnsweredAt = api.RequestAnswered, r.Answer, r.Channel, &at
		case r.Standing == domain.Withdrawn:
			ir.Status = api.RequestWithdrawn
		}
		out.InformationRequests = append(out.InformationRequests, ir)
		if ir.Status == api.RequestOpen {
			open := ir
			out.OpenInformationRequest = &open
		}
	}
	if c.Resolutions > 0 {
		out.Outcome, out.RootCause, out.Summary = c.Outcome.APIName(), c.RootCause, c.Summary
		at, fcr := c.ResolvedAt, c.FirstContactResolution
		out.ResolvedAt, out.FirstContactResolution = &at, &fcr
	}
	return out
}
