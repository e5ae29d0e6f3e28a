package web_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/compensation"
	compadapters "github.com/complaintflow/complaintflow/services/compensation/adapters"
	compapp "github.com/complaintflow/complaintflow/services/compensation/app"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/timer"
	preventionadapters "github.com/complaintflow/complaintflow/services/prevention/adapters"
	preventionapp "github.com/complaintflow/complaintflow/services/prevention/app"
	preventiondomain "github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	resolutiondomain "github.com/complaintflow/complaintflow/services/resolution/domain"
)

// benchApprovalLimit is the benchmark's auto-approval limit: 100.00, where
// the default redress.yaml says 300.00 (which no default rule reaches, so
// nothing would wait). A company that lowers it sends its approvers the
// redress of every upheld billing complaint disputing over 85.00 (the
// amount refunded plus the 15.00 fee waiver).
const benchApprovalLimit = "auto_approve_limit_minor: 10000"

// benchRedressPolicy is the default redress policy with the lower limit,
// written to a configuration directory and loaded as compensation loads
// its own.
func benchRedressPolicy(b *testing.B) compapp.Policy {
	b.Helper()
	data, err := fs.ReadFile(policy.Defaults(), "redress.yaml")
	if err != nil {
		b.Fatal(err)
	}
	const limit = "auto_approve_limit_minor: 30000"
	if !strings.Contains(string(data), limit) {
		b.Fatalf("the default redress.yaml no longer says %q: lower its limit here another way", limit)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "redress.yaml"), []byte(strings.Replace(string(data), limit, benchApprovalLimit, 1)), 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := compensation.LoadPolicy(dir)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchCompensation runs compensation over log as its service does: it
// decides redress on every CaseResolved, schedules its escalations, and
// keeps the list of redress awaiting approval (snapshots on js).
func benchCompensation(ctx context.Context, b *testing.B, log eventlog.Log, js jetstream.JetStream, timers *timer.Timers) *compapp.Compensation {
	b.Helper()
	comp := compensation.NewApp(log, benchRedressPolicy(b), nil).WithTimers(timers)
	awaiting, err := compadapters.NewAwaiting(ctx, log, js)
	if err != nil {
		b.Fatal(err)
	}
	comp.WithAwaiting(awaiting)
	go func() { _ = awaiting.Run(ctx) }()
	sub, err := log.Subscribe(ctx, eventlog.Beginning, eventlog.Filter{Categories: []string{"case"}, EventTypes: []string{compadapters.CaseResolvedType}},
		compadapters.OnCaseResolved(comp))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sub.Stop)
	return comp
}

// awaitingCount counts the redress the list holds, 500 at a time.
func awaitingCount(ctx context.Context, b *testing.B, comp *compapp.Compensation) int {
	b.Helper()
	n, cursor := 0, ""
	for {
		page, err := comp.AwaitingApproval(ctx, cursor, 500)
		if err != nil {
			b.Fatal(err)
		}
		n += len(page.Redress)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}

// resolveUpheld resolves the cases as twelve agents do, upheld with a
// billing cause: each CaseResolved carries its complaint's amount in
// dispute, which compensation refunds.
func resolveUpheld(ctx context.Context, b *testing.B, res *app.Resolution, ids []string) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(ids)); i = next.Add(1) - 1 {
				agent := fmt.Sprintf("agent-%d", i%12)
				_, err := res.Resolve(ctx, app.Request{Actor: eventlog.NewActor(eventlog.ActorAgent, agent)}, ids[i], resolutiondomain.ResolveCase{
					Outcome: complaintsv1.Outcome_OUTCOME_UPHELD, RootCause: "billing.incorrect-charge",
					Summary: "Charged twice for the month: the second charge is refunded", Agent: agent})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

// benchActions runs prevention's systemic issues and preventive actions as
// its service wires them: the spike detector over resolutions and the
// early warning over intake volume record issues through the actions app,
// whose views the pages read; its routes go on mux.
func benchActions(ctx context.Context, b *testing.B, log eventlog.Log, js jetstream.JetStream, timers *timer.Timers) *preventionapp.Actions {
	b.Helper()
	pol, err := policy.Load[preventiondomain.SystemicPolicy]("", preventiondomain.SystemicPolicyName)
	if err != nil {
		b.Fatal(err)
	}
	detector, err := preventionadapters.NewDetector(ctx, log, js, pol.Value.Detection)
	if err != nil {
		b.Fatal(err)
	}
	views, err := preventionadapters.NewActionViews(ctx, log, js)
	if err != nil {
		b.Fatal(err)
	}
	actions := preventionapp.NewActions(preventionapp.ActionsDeps{Log: log, Policy: pol, Counts: detector, Views: views, Timers: timers})
	detector.RecordWith(actions.Detect)
	watch, err := preventionadapters.NewIntakeWatch(ctx, log, js, pol.Value.EarlyWarning)
	if err != nil {
		b.Fatal(err)
	}
	watch.RecordWith(actions.Detect)
	go func() { _ = detector.Run(ctx) }()
	go func() { _ = watch.Run(ctx) }()
	go func() { _ = views.Run(ctx) }()
	return actions
}

// openActions opens the preventive actions from to n (counted from 0) as
// a process owner does over a year: one for each systemic issue open, the
// rest for the taxonomy's causes in turn, owned by the policy's teams and
// processes in turn, due in the coming months. It answers their ids.
func openActions(ctx context.Context, b *testing.B, actions *preventionapp.Actions, causes []resolutiondomain.RootCause, from, n int) []string {
	b.Helper()
	issues, err := actions.SystemicIssues(ctx, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	owners := actions.Policy().Value.Owners
	owner := eventlog.NewActor(eventlog.ActorAgent, "dev-process-owner")
	var ids []string
	for i := from; i < n; i++ {
		r := preventionapp.OpenRequest{Owner: owners[i%len(owners)], Due: time.Now().UTC().Add(time.Duration(30+i%60) * 24 * time.Hour)}
		if i < len(issues) {
			r.IssueID = issues[i].ID
			r.Description = fmt.Sprintf("Find why %s complaints came in a burst and stop the next one", issues[i].Product)
		} else {
			c := causes[i%len(causes)]
			r.RootCause = c.Code
			r.Description = fmt.Sprintf("Change the process behind %q (%s), step %d", c.Description, c.Code, i/len(causes)+1)
		}
		a, err := actions.OpenAction(ctx, r, owner, fmt.Sprintf("bench-action-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

// completeEveryOther completes every other action of ids (the second,
// the fourth, ...), as their owners report the changes made.
func completeEveryOther(ctx context.Context, b *testing.B, actions *preventionapp.Actions, ids []string) {
	b.Helper()
	owner := eventlog.NewActor(eventlog.ActorAgent, "dev-process-owner")
	for i := 1; i < len(ids); i += 2 {
		if _, err := actions.CompleteAction(ctx, ids[i], "The change is made", owner, "bench-complete-"+ids[i]); err != nil {
			b.Fatal(err)
		}
	}
}
