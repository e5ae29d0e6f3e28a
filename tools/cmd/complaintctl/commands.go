package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
)

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// submitFlags are the flags describing a complaint, shared by submit and walk.
type submitFlags struct {
	req client.SubmitRequest
	key string
}

func (s *submitFlags) register(fs flagSet, defaults client.SubmitRequest) {
	fs.StringVar(&s.req.Customer.ID, "customer-id", defaults.Customer.ID, "the customer's id")
	fs.StringVar(&s.req.Customer.Name, "name", defaults.Customer.Name, "the customer's name")
	fs.StringVar(&s.req.Customer.Email, "email", defaults.Customer.Email, "the customer's e-mail address")
	fs.StringVar(&s.req.Channel, "channel", defaults.Channel, "channel: web, email, phone, chat, letter, social or api")
	fs.StringVar(&s.req.Product, "product", defaults.Product, "the product complained about")
	fs.StringVar(&s.req.Description, "description", defaults.Description, "what went wrong")
	fs.StringVar(&s.req.DesiredOutcome, "desired-outcome", defaults.DesiredOutcome, "what the customer wants done")
	fs.StringVar(&s.key, "idempotency-key", "", "Idempotency-Key header: a retry with the same key files nothing new")
}

// flagSet is the part of *flag.FlagSet the shared flags use.
type flagSet interface {
	StringVar(p *string, name, value, usage string)
}

func cmdSubmit(g *cli, args []string) error {
	fs := g.flags("submit", "-customer-id ID -name N -email E -product P -description D [flags]")
	var s submitFlags
	s.register(fs, client.SubmitRequest{Channel: "web"})
	if err := g.parseNone(fs, args); err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	c, err := g.client().Submit(ctx, s.req, s.key)
	if err != nil {
		return err
	}
	return g.print(c, func(w io.Writer) {
		t := table(w)
		fmt.Fprintf(t, "Complaint\t%s\n", c.ID)
		fmt.Fprintf(t, "Reference\t%s\n", c.Reference)
		fmt.Fprintf(t, "Status\t%s\n", c.Status)
		fmt.Fprintf(t, "Respond by\t%s\n", fmtTime(c.Acknowledgement.RespondBy))
		if c.Replayed {
			fmt.Fprintf(t, "Replayed\tyes (an earlier request with this idempotency key)\n")
		}
		t.Flush()
		fmt.Fprintf(w, "\n%s\n", c.Acknowledgement.Message)
	})
}

func cmdShow(g *cli, args []string) error {
	fs := g.flags("show", "ID")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	c, err := g.client().Complaint(ctx, id)
	if err != nil {
		return err
	}
	return g.print(c, func(w io.Writer) { printComplaint(w, c) })
}

func printComplaint(w io.Writer, c client.Complaint) {
	t := table(w)
	fmt.Fprintf(t, "Complaint\t%s\n", c.ID)
	fmt.Fprintf(t, "Reference\t%s\n", c.Reference)
	fmt.Fprintf(t, "Status\t%s\n", c.Status)
	fmt.Fprintf(t, "Customer\t%s, %s <%s>\n", c.Customer.ID, c.Customer.Name, c.Customer.Email)
	fmt.Fprintf(t, "Channel\t%s\n", c.Channel)
	fmt.Fprintf(t, "Product\t%s\n", c.Product)
	fmt.Fprintf(t, "Description\t%s\n", c.Description)
	if c.DesiredOutcome != "" {
		fmt.Fprintf(t, "Desired outcome\t%s\n", c.DesiredOutcome)
	}
	fmt.Fprintf(t, "Received\t%s\n", fmtTime(c.ReceivedAt))
	fmt.Fprintf(t, "Respond by\t%s\n", fmtTime(c.Acknowledgement.RespondBy))
	if cs := c.Case; cs != nil {
		fmt.Fprintf(t, "Team\t%s\n", cs.Team)
		if cs.ResolvedAt != nil {
			fmt.Fprintf(t, "Outcome\t%s\n", cs.Outcome)
			fmt.Fprintf(t, "Root cause\t%s\n", cs.RootCause)
			if cs.Summary != "" {
				fmt.Fprintf(t, "Summary\t%s\n", cs.Summary)
			}
			fmt.Fprintf(t, "Resolved\t%s\n", fmtTime(*cs.ResolvedAt))
		}
	}
	if r := c.Redress; r != nil {
		state := "decided"
		if r.Issued {
			state = "issued"
		}
		fmt.Fprintf(t, "Redress\t%s, %s (%s)\n", r.Kind, fmtAmount(r.AmountMinor, r.Currency), state)
	}
	if f := c.FollowUp; f != nil {
		answered := time.Time{}
		if f.AnsweredAt != nil {
			answered = *f.AnsweredAt
		}
		fmt.Fprintf(t, "Survey\tCSAT %d/5, effort %d/7, resolved %s, answered %s\n", f.CSAT, f.Effort, yesNo(f.Resolved), fmtTime(answered))
	}
	if c.ClosedAt != nil {
		fmt.Fprintf(t, "Closed\t%s\n", fmtTime(*c.ClosedAt))
	}
	t.Flush()
}

func cmdTimeline(g *cli, args []string) error {
	fs := g.flags("timeline", "ID")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	tl, err := g.client().Timeline(ctx, id)
	if err != nil {
		return err
	}
	return g.print(tl, func(w io.Writer) {
		t := table(w)
		for _, s := range tl.Steps {
			fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", fmtTime(s.RecordedAt), s.Service, s.Type, s.Actor)
		}
		t.Flush()
	})
}

func cmdCase(g *cli, args []string) error {
	fs := g.flags("case", "ID")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	c, err := g.client().Case(ctx, id)
	if err != nil {
		return err
	}
	return g.print(c, func(w io.Writer) { printCase(w, c) })
}

func printCase(w io.Writer, c client.Case) {
	t := table(w)
	fmt.Fprintf(t, "Case\t%s\n", c.ComplaintID)
	fmt.Fprintf(t, "Status\t%s\n", c.Status)
	fmt.Fprintf(t, "Team\t%s (transfers: %d)\n", c.Team, c.Transfers)
	fmt.Fprintf(t, "Product\t%s\n", c.Product)
	fmt.Fprintf(t, "Channel\t%s\n", c.Channel)
	fmt.Fprintf(t, "Opened\t%s\n", fmtTime(c.OpenedAt))
	if c.ResolvedAt != nil {
		fmt.Fprintf(t, "Outcome\t%s\n", c.Outcome)
		fmt.Fprintf(t, "Root cause\t%s\n", c.RootCause)
		if c.Summary != "" {
			fmt.Fprintf(t, "Summary\t%s\n", c.Summary)
		}
		fmt.Fprintf(t, "Resolved\t%s\n", fmtTime(*c.ResolvedAt))
	}
	t.Flush()
}

func cmdAssign(g *cli, args []string) error {
	fs := g.flags("assign", "ID -team TEAM [-agent A]")
	var req client.AssignRequest
	fs.StringVar(&req.Team, "team", "", "the team to assign the case to")
	fs.StringVar(&req.Agent, "agent", "", "who assigns it")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	c, err := g.client().Assign(ctx, id, req)
	if err != nil {
		return err
	}
	return g.print(c, func(w io.Writer) { printCase(w, c) })
}

func cmdResolve(g *cli, args []string) error {
	fs := g.flags("resolve", "ID -outcome upheld|partly_upheld|rejected -root-cause CODE [-summary S] [-agent A]")
	var req client.ResolveRequest
	fs.StringVar(&req.Outcome, "outcome", "", "upheld, partly_upheld or rejected")
	fs.StringVar(&req.RootCause, "root-cause", "", "a root-cause code (see 'complaintctl root-causes')")
	fs.StringVar(&req.Summary, "summary", "", "what was found and done")
	fs.StringVar(&req.Agent, "agent", "", "who resolves it")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	c, err := g.client().Resolve(ctx, id, req)
	if err != nil {
		return err
	}
	return g.print(c, func(w io.Writer) { printCase(w, c) })
}

func cmdRedress(g *cli, args []string) error {
	fs := g.flags("redress", "ID")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	r, err := g.client().Redress(ctx, id)
	if err != nil {
		return err
	}
	return g.print(r, func(w io.Writer) {
		t := table(w)
		fmt.Fprintf(t, "Redress\t%s\n", r.ComplaintID)
		fmt.Fprintf(t, "Status\t%s\n", r.Status)
		fmt.Fprintf(t, "Kind\t%s\n", r.Kind)
		fmt.Fprintf(t, "Amount\t%s\n", fmtAmount(r.AmountMinor, r.Currency))
		fmt.Fprintf(t, "Policy rule\t%s\n", r.PolicyRule)
		if r.IssueID != "" {
			fmt.Fprintf(t, "Issue id\t%s\n", r.IssueID)
		}
		t.Flush()
	})
}

func cmdFollowUp(g *cli, args []string) error {
	fs := g.flags("followup", "ID")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	f, err := g.client().FollowUp(ctx, id)
	if err != nil {
		return err
	}
	return g.print(f, func(w io.Writer) { printFollowUp(w, f) })
}

func printFollowUp(w io.Writer, f client.FollowUp) {
	t := table(w)
	fmt.Fprintf(t, "Follow-up\t%s\n", f.ComplaintID)
	fmt.Fprintf(t, "Status\t%s\n", f.Status)
	if f.Resolved != nil {
		fmt.Fprintf(t, "CSAT\t%d/5\n", f.CSAT)
		fmt.Fprintf(t, "Effort\t%d/7\n", f.Effort)
		fmt.Fprintf(t, "Resolved\t%s\n", yesNo(f.Resolved))
		if f.Comment != "" {
			fmt.Fprintf(t, "Comment\t%s\n", f.Comment)
		}
	}
	t.Flush()
}

func cmdAnswer(g *cli, args []string) error {
	fs := g.flags("answer", "ID -csat N -effort N -resolved[=true|false] [-comment C]")
	var csat, effort optInt
	var resolved optBool
	var req client.AnswerRequest
	fs.Var(&csat, "csat", "satisfaction, 1 (very unhappy) to 5 (very happy)")
	fs.Var(&effort, "effort", "effort it took, 1 (very little) to 7 (a great deal)")
	fs.Var(&resolved, "resolved", "whether the customer considers the complaint resolved (true closes it)")
	fs.StringVar(&req.Comment, "comment", "", "the customer's words")
	id, err := g.parseID(fs, args)
	if err != nil {
		return err
	}
	req.CSAT, req.Effort, req.Resolved = csat.v, effort.v, resolved.v
	ctx, cancel := g.context()
	defer cancel()
	f, err := g.client().Answer(ctx, id, req)
	if err != nil {
		return err
	}
	return g.print(f, func(w io.Writer) { printFollowUp(w, f) })
}

func cmdRootCauses(g *cli, args []string) error {
	fs := g.flags("root-causes", "")
	if err := g.parseNone(fs, args); err != nil {
		return err
	}
	ctx, cancel := g.context()
	defer cancel()
	rc, err := g.client().RootCauses(ctx)
	if err != nil {
		return err
	}
	rc = sortedCodes(rc)
	return g.print(map[string]any{"root_causes": rc}, func(w io.Writer) {
		t := table(w)
		for _, c := range rc {
			fmt.Fprintf(t, "%s\t%s\n", c.Code, c.Description)
		}
		t.Flush()
	})
}
