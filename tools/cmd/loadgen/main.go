// Command loadgen pushes complaints through their whole lifecycle against
// a running system and reports throughput and latency.
//
//	loadgen [-url URL] [-n 1000] [-c 32] [-timeout 10m] [-json] [-watch poll|events]
//
// Each worker files a complaint (with an Idempotency-Key, so a retried
// submission files nothing twice), then plays the agent (wait for the case,
// assign it, resolve it) and the customer (wait for the survey, answer it
// saying the complaint is resolved), and waits until the complaint is
// closed. It records two latencies per complaint:
//
//   - submit→acknowledged: the submission's round trip (the 201 answer
//     carries the acknowledgement), plus polling if it did not yet;
//   - submit→closed: from the submission to seeing the complaint closed,
//     which includes the load generator's own agent and customer steps and
//     its polling, not only the system's processing.
//
// -watch says how it learns that the case is assigned, the survey out and
// the complaint closed: "poll" (the default) polls the case, follow-up and
// complaint views, which is what a portal costs the server; "events" reads
// the CaseAssigned, SurveyRequested and ComplaintClosed events on NATS
// (subjects complaints.events.{case,followup}.<complaint id> of the stream
// COMPLAINT_EVENTS) as another company system would, which is what the
// process itself costs (each waiter still asks the view once a second, in
// case the server measured names its events otherwise), at -nats ($NATS_URL,
// else the embedded server of make run, nats://127.0.0.1:4222), as the
// user "outside" when -nats-users (default data/nats-users) holds its
// credentials, else without credentials. The report says which ran.
//
// Requests carry bearer tokens: $COMPLAINTS_TOKEN when set, else the
// development tokens in $COMPLAINTS_TOKENS_FILE (default
// data/dev-tokens.json), the intake-system's to submit and the agent's to
// work cases; each customer answers with the capability token their
// submission returned.
//
// The exit status is 0 when every complaint closed, 1 when some failed and
// 2 on usage errors.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	url              string
	n, c             int
	timeout          time.Duration
	complaintTimeout time.Duration
	poll             client.Backoff
	progress         time.Duration
	json             bool
	auth             client.Credentials
	watch            string
	natsURL          string
	natsUsers        string
	until            string
}

// How far each complaint is pushed (-until).
const (
	UntilClosed       = "closed"
	UntilAcknowledged = "acknowledged"
)

func defaultURL() string {
	if u := os.Getenv("COMPLAINTS_URL"); u != "" {
		return u
	}
	return client.DefaultURL
}

// run is the whole command: args exclude the program name; the answer is
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", defaultURL(), "base URL of the complaint API ($COMPLAINTS_URL, else "+client.DefaultURL+")")
	fs.IntVar(&cfg.n, "n", 1000, "complaints to push through")
	fs.IntVar(&cfg.c, "c", 32, "complaints in flight at once")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "give up on the whole run after this long")
	fs.DurationVar(&cfg.complaintTimeout, "complaint-timeout", 2*time.Minute, "give up on one complaint after this long")
	fs.DurationVar(&cfg.poll.Min, "poll-min", 5*time.Millisecond, "first polling interval (doubles up to -poll-max)")
	fs.DurationVar(&cfg.poll.Max, "poll-max", 50*time.Millisecond, "longest polling interval")
	fs.DurationVar(&cfg.progress, "progress", 5*time.Second, "print progress to stderr this often (0: never)")
	fs.BoolVar(&cfg.json, "json", false, "print the report as JSON")
	fs.StringVar(&cfg.watch, "watch", WatchPoll, "how to learn a case is assigned, a survey out and a complaint closed: poll (their views) or events (on NATS)")
	fs.StringVar(&cfg.natsURL, "nats", natsURLDefault(), "-watch events: NATS server URL ($NATS_URL, else "+defaultNATSURL+")")
	fs.StringVar(&cfg.until, "until", UntilClosed, "how far to push each complaint: closed (the whole lifecycle) or acknowledged (submission only: intake's share, e.g. against bin/intake alone)")
	fs.StringVar(&cfg.natsUsers, "nats-users", usersDirDefault(), "-watch events: folder of NATS credentials; connects as outside when it holds outside.nk or outside.creds ($NATS_CREDENTIALS_DIR)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: loadgen [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "loadgen: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if cfg.n < 1 || cfg.c < 1 {
		fmt.Fprintln(stderr, "loadgen: -n and -c must be at least 1")
		return 2
	}
	if cfg.watch != WatchPoll && cfg.watch != WatchEvents {
		fmt.Fprintf(stderr, "loadgen: -watch %q: want %s or %s\n", cfg.watch, WatchPoll, WatchEvents)
		return 2
	}
	if cfg.until != UntilClosed && cfg.until != UntilAcknowledged {
		fmt.Fprintf(stderr, "loadgen: -until %q: want %s or %s\n", cfg.until, UntilClosed, UntilAcknowledged)
		return 2
	}
	if !strings.Contains(cfg.url, "://") {
		cfg.url = "http://" + cfg.url
	}
	var err error
	if cfg.auth, err = client.LoadCredentials(); err != nil {
		fmt.Fprintln(stderr, "loadgen: credentials:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	var watch *milestones
	if cfg.watch == WatchEvents && cfg.until == UntilClosed {
		if watch, err = watchMilestones(ctx, cfg.natsURL, cfg.natsUsers); err != nil {
			fmt.Fprintln(stderr, "loadgen: -watch events:", err)
			return 1
		}
		defer watch.stop()
	}
	rep := generate(ctx, cfg, watch, stderr)
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.print(stdout)
	}
	if rep.Done != cfg.n {
		return 1
	}
	return 0
}

// outcome is what happened to one complaint.
type outcome struct {
	started      bool
	acknowledged time.Duration
	closed       time.Duration
	stage        string
	err          error
}

// generate runs the load and reports on it. With watch, complaints' closures
// are learnt from its events, else by polling.
func generate(ctx context.Context, cfg config, watch *milestones, progress io.Writer) report {
	c := client.New(cfg.url, cfg.c)
	c.Auth = cfg.auth
	defer c.CloseIdleConnections()
	runID := newRunID()
	results := make([]outcome, cfg.n)
	var next, done, failed atomic.Int64

	stopProgress := make(chan struct{})
	var progressDone sync.WaitGroup
	start := time.Now()
	if cfg.progress > 0 {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			t := time.NewTicker(cfg.progress)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					d, f := done.Load(), failed.Load()
					fmt.Fprintf(progress, "loadgen: %s: %d closed, %d failed, %d to go\n",
						time.Since(start).Round(time.Millisecond), d, f, int64(cfg.n)-d-f)
				}
			}
		}()
	}

	var wg sync.WaitGroup
	for w := 0; w < cfg.c && w < cfg.n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.n {
					return
				}
				results[i] = lifecycle(ctx, c, cfg, watch, runID, i)
				if results[i].err == nil {
					done.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	close(stopProgress)
	progressDone.Wait()
	rep := summarize(cfg, results, wall)
	if watch != nil {
		rep.StepsByFallback = watch.fallbacks.Load()
	}
	return rep
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// mix varies the complaints so the routing, redress and root-cause report
// see more than one kind.
var mix = []struct {
	product, outcome, rootCause string
}{
	{"broadband", client.OutcomeUpheld, "network.outage"},
	{"billing", client.OutcomeUpheld, "billing.incorrect-charge"},
	{"delivery", client.OutcomePartlyUpheld, "delivery.late"},
	{"mobile", client.OutcomeRejected, "communication.unclear-information"},
	{"billing", client.OutcomePartlyUpheld, "billing.proration-error"},
	{"tv", client.OutcomeUpheld, "service.installation-missed"},
	{"insurance", client.OutcomeRejected, "policy.unclear-terms"},
	{"broadband", client.OutcomeUpheld, "process.handoff-failure"},
}

var channels = []string{"web", "email", "phone", "chat", "letter", "social", "api"}

// lifecycle pushes complaint i from submission to closed.
func lifecycle(ctx context.Context, c *client.Client, cfg config, watch *milestones, runID string, i int) (out outcome) {
	out.started = true
	if cfg.complaintTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.complaintTimeout)
		defer cancel()
	}
	fail := func(stage string, err error) outcome {
		out.stage, out.err = stage, err
		return out
	}
	m := mix[i%len(mix)]
	req := client.SubmitRequest{
		Customer: client.Customer{
			// One customer per complaint: a second complaint of the same
			// customer about the same product while the first is open
			// would be recorded as a repeat contact on it, not opened.
			ID:    fmt.Sprintf("loadgen-%s-%d", runID, i),
			Name:  fmt.Sprintf("Customer %d", i),
			Email: fmt.Sprintf("customer%d-%s@example.com", i, runID),
		},
		Channel:        channels[i%len(channels)],
		Product:        m.product,
		Description:    fmt.Sprintf("Load test complaint %d of run %s about %s", i, runID, m.product),
		DesiredOutcome: "a fix and an apology",
	}
	key := "loadgen-" + runID + "-" + fmt.Sprint(i)

	start := time.Now()
	sub, err := submit(ctx, c, cfg.poll, req, key)
	if err != nil {
		return fail("submit", err)
	}
	id := sub.ID
	if sub.Status == "" || sub.Status == "received" {
		if _, err := client.WaitFor(ctx, cfg.poll, func(ctx context.Context) (client.Complaint, error) { return c.Complaint(ctx, id) },
			func(v client.Complaint) bool { return v.Status != "" && v.Status != "received" }); err != nil {
			return fail("wait for acknowledgement", err)
		}
	}
	out.acknowledged = time.Since(start)
	if cfg.until == UntilAcknowledged {
		out.closed = out.acknowledged
		return out
	}

	var team string
	if watch != nil {
		team, err = watch.wait(ctx, id, caseAssigned, func(ctx context.Context) (string, bool, error) {
			cs, err := c.Case(ctx, id)
			return cs.Team, err == nil && cs.Team != "", err
		})
	} else {
		var cs client.Case
		cs, err = client.WaitFor(ctx, cfg.poll, func(ctx context.Context) (client.Case, error) { return c.Case(ctx, id) }, nil)
		team = cs.Team
	}
	if err != nil {
		return fail("wait for case", err)
	}
	if _, err := c.Assign(ctx, id, client.AssignRequest{Team: team, Agent: "loadgen"}); err != nil {
		return fail("assign", err)
	}
	if _, err := c.Resolve(ctx, id, client.ResolveRequest{
		Outcome: m.outcome, RootCause: m.rootCause, Summary: "Resolved by the load generator", Agent: "loadgen",
	}); err != nil {
		return fail("resolve", err)
	}
	if watch != nil {
		_, err = watch.wait(ctx, id, surveyOut, func(ctx context.Context) (string, bool, error) {
			f, err := c.FollowUp(ctx, id)
			return "", err == nil && surveyIsOut(f), err
		})
	} else {
		_, err = client.WaitFor(ctx, cfg.poll, func(ctx context.Context) (client.FollowUp, error) { return c.FollowUp(ctx, id) }, surveyIsOut)
	}
	if err != nil {
		return fail("wait for survey", err)
	}
	if _, err := c.Answer(ctx, id, client.AnswerRequest{
		CSAT: client.Ptr(int32(1 + i%5)), Effort: client.Ptr(int32(1 + i%7)), Resolved: client.Ptr(true),
	}); err != nil {
		return fail("answer", err)
	}
	if watch != nil {
		if _, err := watch.wait(ctx, id, complaintClosed, func(ctx context.Context) (string, bool, error) {
			v, err := c.Complaint(ctx, id)
			return "", err == nil && v.Status == client.StatusClosed, err
		}); err != nil {
			return fail("wait for closed", err)
		}
	} else if _, err := client.WaitFor(ctx, cfg.poll, func(ctx context.Context) (client.Complaint, error) { return c.Complaint(ctx, id) },
		func(v client.Complaint) bool { return v.Status == client.StatusClosed }); err != nil {
		return fail("wait for closed", err)
	}
	out.closed = time.Since(start)
	return out
}

// surveyIsOut is client.SurveyOut, also accepting survey_requested, the name
// earlier versions of the API (d60923f) gave the same status, so that one
// load generator drives both when their figures are compared.
func surveyIsOut(f client.FollowUp) bool {
	return client.SurveyOut(f) || f.Status == "survey_requested"
}

// submit files a complaint, retrying transport errors and 5xx answers: the
// Idempotency-Key makes a retry answer the complaint filed the first time.
func submit(ctx context.Context, c *client.Client, poll client.Backoff, req client.SubmitRequest, key string) (client.Complaint, error) {
	delay := poll.Min
	for attempt := 1; ; attempt++ {
		sub, err := c.Submit(ctx, req, key)
		if err == nil || attempt == 3 || ctx.Err() != nil {
			return sub, err
		}
		if p, ok := client.AsProblem(err); ok && p.Status < 500 {
			return sub, err
		}
		select {
		case <-ctx.Done():
			return sub, err
		case <-time.After(delay):
		}
		delay *= 4
	}
}

// Percentiles of one latency, in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// ErrorCount is how often one kind of failure happened, with one example.
type ErrorCount struct {
	Stage   string `json:"stage"`
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

type report struct {
	URL            string       `json:"url"`
	Requested      int          `json:"requested"`
	Concurrency    int          `json:"concurrency"`
	Watch          string       `json:"watch"`
	Done           int          `json:"done"`
	Failed         int          `json:"failed"`
	NotStarted     int          `json:"not_started"`
	WallSeconds    float64      `json:"wall_seconds"`
	PerSecond      float64      `json:"complaints_per_second"`
	SubmitToAck    Percentiles  `json:"submit_to_acknowledged"`
	SubmitToClosed Percentiles  `json:"submit_to_closed"`
	Errors         []ErrorCount `json:"errors,omitempty"`
	// StepsByFallback are the steps learnt from a view because no event
	// came within a second (-watch events): 0 when the events carried all.
	StepsByFallback  int64  `json:"steps_by_fallback,omitempty"`
	ThroughputMeans  string `json:"throughput_means"`
	SubmitClosedNote string `json:"submit_to_closed_note"`
}

const (
	throughputMeans = "closed complaints per second of wall time"
	closedNote      = "submit→closed includes the load generator's own agent and customer steps (wait for case, assign, resolve, wait for survey, answer) and its polling, not only the system's processing"
)

func summarize(cfg config, results []outcome, wall time.Duration) report {
	rep := report{URL: cfg.url, Requested: cfg.n, Concurrency: cfg.c, Watch: cfg.watch, WallSeconds: wall.Seconds(),
		ThroughputMeans: throughputMeans, SubmitClosedNote: closedNote}
	if cfg.until == UntilAcknowledged {
		rep.Watch = ""
		rep.ThroughputMeans = "acknowledged submissions per second of wall time (-until acknowledged)"
		rep.SubmitClosedNote = "-until acknowledged: each complaint was only submitted; submit→closed is submit→acknowledged"
	}
	var acks, closes []time.Duration
	kinds := map[[2]string]*ErrorCount{}
	for _, r := range results {
		switch {
		case !r.started:
			rep.NotStarted++
		case r.err != nil:
			rep.Failed++
			k := [2]string{r.stage, errorKind(r.err)}
			if kinds[k] == nil {
				kinds[k] = &ErrorCount{Stage: r.stage, Kind: k[1], Example: r.err.Error()}
			}
			kinds[k].Count++
		default:
			rep.Done++
			closes = append(closes, r.closed)
		}
		if r.started && r.acknowledged > 0 {
			acks = append(acks, r.acknowledged)
		}
	}
	if wall > 0 {
		rep.PerSecond = float64(rep.Done) / wall.Seconds()
	}
	rep.SubmitToAck, rep.SubmitToClosed = percentiles(acks), percentiles(closes)
	for _, e := range kinds {
		rep.Errors = append(rep.Errors, *e)
	}
	sort.Slice(rep.Errors, func(i, j int) bool {
		if rep.Errors[i].Count != rep.Errors[j].Count {
			return rep.Errors[i].Count > rep.Errors[j].Count
		}
		return rep.Errors[i].Stage+rep.Errors[i].Kind < rep.Errors[j].Stage+rep.Errors[j].Kind
	})
	return rep
}

// errorKind groups failures: by problem status and title, by timeout, or
// by message.
func errorKind(err error) string {
	if p, ok := client.AsProblem(err); ok {
		return fmt.Sprintf("%d %s", p.Status, p.Title)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return err.Error()
}

// percentiles uses the nearest-rank method.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) float64 {
		k := int(math.Ceil(p*float64(len(s))-1e-9)) - 1
		k = max(0, min(k, len(s)-1))
		return ms(s[k])
	}
	return Percentiles{Count: len(s), P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ms(s[len(s)-1])}
}

func watchMeans(mode string) string {
	if mode == "" {
		return "not awaited (-until acknowledged)"
	}
	if mode == WatchEvents {
		return "the CaseAssigned, SurveyRequested and ComplaintClosed events on NATS (-watch events)"
	}
	return "polling the case, follow-up and complaint views (-watch poll)"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "loadgen: %d complaints against %s, %d at a time\n\n", r.Requested, r.URL, r.Concurrency)
	fmt.Fprintf(w, "steps seen by      %s\n", watchMeans(r.Watch))
	if r.Watch == WatchEvents {
		fmt.Fprintf(w, "steps by fallback  %d (learnt from a view: no event within %s)\n", r.StepsByFallback, fallbackEvery)
	}
	fmt.Fprintf(w, "complaints done    %d\n", r.Done)
	fmt.Fprintf(w, "complaints failed  %d\n", r.Failed)
	if r.NotStarted > 0 {
		fmt.Fprintf(w, "not started        %d (the run ended first)\n", r.NotStarted)
	}
	fmt.Fprintf(w, "wall time          %.3fs\n", r.WallSeconds)
	fmt.Fprintf(w, "throughput         %.1f complaints/s (%s)\n\n", r.PerSecond, r.ThroughputMeans)
	fmt.Fprintf(w, "%-22s %7s %10s %10s %10s %10s\n", "latency (ms)", "count", "p50", "p90", "p99", "max")
	line := func(name string, p Percentiles) {
		fmt.Fprintf(w, "%-22s %7d %10.1f %10.1f %10.1f %10.1f\n", name, p.Count, p.P50, p.P90, p.P99, p.Max)
	}
	line("submit→acknowledged", r.SubmitToAck)
	line("submit→closed", r.SubmitToClosed)
	fmt.Fprintf(w, "\nnote: %s.\n", r.SubmitClosedNote)
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nfailures:\n")
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %5d  %s: %s\n         e.g. %s\n", e.Count, e.Stage, e.Kind, e.Example)
		}
	}
}
