package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
)

// walkStep is one step of a walk as -json prints it.
type walkStep struct {
	Step      string  `json:"step"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Detail    string  `json:"detail"`
}

type walkResult struct {
	ComplaintID string           `json:"complaint_id"`
	Steps       []walkStep       `json:"steps"`
	Complaint   client.Complaint `json:"complaint"`
}

var sampleComplaint = client.SubmitRequest{
	Customer:       client.Customer{ID: "c-walk", Name: "Ann Lee", Email: "ann@example.com"},
	Channel:        "web",
	Product:        "broadband",
	Description:    "No service for 3 days",
	DesiredOutcome: "refund for the days without service",
}

// cmdWalk files one complaint and plays the agent and the customer until
// it is closed: wait for the case, assign it, resolve it, wait for the
// redress and the survey, answer the survey, wait for the closure.
func cmdWalk(g *cli, args []string) error {
	fs := g.flags("walk", "[flags]")
	var s submitFlags
	s.register(fs, sampleComplaint)
	var team, agent, comment string
	var resolve client.ResolveRequest
	var csat, effort int
	fs.StringVar(&team, "team", "", "assign the case to this team (default: keep the team the case was routed to)")
	fs.StringVar(&agent, "agent", "complaintctl", "the agent who assigns and resolves the case")
	fs.StringVar(&resolve.Outcome, "outcome", client.OutcomeUpheld, "upheld, partly_upheld or rejected")
	fs.StringVar(&resolve.RootCause, "root-cause", "network.outage", "a root-cause code (see 'complaintctl root-causes')")
	fs.StringVar(&resolve.Summary, "summary", "Exchange fault fixed; credit applied", "what was found and done")
	fs.IntVar(&csat, "csat", 5, "the customer's satisfaction, 1 to 5")
	fs.IntVar(&effort, "effort", 2, "the customer's effort, 1 to 7")
	fs.StringVar(&comment, "comment", "Thanks", "the customer's survey comment")
	if err := g.parseNone(fs, args); err != nil {
		return err
	}
	resolve.Agent = agent

	ctx, cancel := g.context()
	defer cancel()
	c := g.client()
	start := time.Now()
	var res walkResult
	step := func(name, format string, a ...any) {
		st := walkStep{Step: name, ElapsedMS: float64(time.Since(start).Microseconds()) / 1000, Detail: fmt.Sprintf(format, a...)}
		res.Steps = append(res.Steps, st)
		if !g.json {
			fmt.Fprintf(g.stdout, "%9.3fs  %-10s %s\n", st.ElapsedMS/1000, st.Step, st.Detail)
		}
	}
	var none client.Backoff

	sub, err := c.Submit(ctx, s.req, s.key)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	id := sub.ID
	res.ComplaintID = id
	step("submitted", "%s (reference %s), %s, respond by %s", id, sub.Reference, sub.Status, fmtTime(sub.Acknowledgement.RespondBy))

	cs, err := client.WaitFor(ctx, none, func(ctx context.Context) (client.Case, error) { return c.Case(ctx, id) }, nil)
	if err != nil {
		return fmt.Errorf("waiting for the case of %s: %w", id, err)
	}
	step("case", "opened for team %s", cs.Team)

	if team == "" {
		team = cs.Team
	}
	if cs, err = c.Assign(ctx, id, client.AssignRequest{Team: team, Agent: agent}); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	step("assigned", "team %s by %s (transfers: %d)", cs.Team, agent, cs.Transfers)

	if cs, err = c.Resolve(ctx, id, resolve); err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	step("resolved", "%s, root cause %s", cs.Outcome, cs.RootCause)

	red, err := client.WaitFor(ctx, none, func(ctx context.Context) (client.Redress, error) { return c.Redress(ctx, id) }, nil)
	if err != nil {
		return fmt.Errorf("waiting for the redress of %s: %w", id, err)
	}
	step("redress", "%s, %s (%s, rule %s)", red.Kind, fmtAmount(red.AmountMinor, red.Currency), red.Status, red.PolicyRule)

	fu, err := client.WaitFor(ctx, none, func(ctx context.Context) (client.FollowUp, error) { return c.FollowUp(ctx, id) }, client.SurveyOut)
	if err != nil {
		return fmt.Errorf("waiting for the survey of %s: %w", id, err)
	}
	step("survey", "%s", fu.Status)

	// The customer answers with their own token, and is told the status
	// only: what they said is what was sent.
	if _, err = c.Answer(ctx, id, client.AnswerRequest{
		CSAT: client.Ptr(int32(csat)), Effort: client.Ptr(int32(effort)), Resolved: client.Ptr(true), Comment: comment,
	}); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	step("answered", "CSAT %d/5, effort %d/7, resolved yes", csat, effort)

	view, err := client.WaitFor(ctx, none, func(ctx context.Context) (client.Complaint, error) { return c.Complaint(ctx, id) },
		func(v client.Complaint) bool { return v.Status == client.StatusClosed })
	if err != nil {
		return fmt.Errorf("waiting for %s to close: %w", id, err)
	}
	closed := time.Time{}
	if view.ClosedAt != nil {
		closed = *view.ClosedAt
	}
	step("closed", "at %s", fmtTime(closed))
	res.Complaint = view

	if g.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return nil
}
