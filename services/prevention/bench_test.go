package prevention_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/jetstreamlog/jetstreamlogtest"
	"github.com/complaintflow/complaintflow/services/platform/natsserver/natsservertest"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/prevention/adapters"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// BenchmarkPreventionAtScale writes PREVENTION_BENCH_EVENTS events (default
// 1,000,000) of realistic complaint lifecycles (about 22 events each, over
// the streams of all five services) into the embedded JetStream log, with
// fsync on every write as in production, then measures:
//   - the rebuild of the fact table from the whole log (events/s folded,
//     and log events/s: every event of the log over the rebuild's time);
//   - the p50 and p99 latency of the report queries on the live table;
//   - one as-of query (a replay up to the middle of the log);
//   - the process's peak RSS (VmHWM), NATS server included.
//
// It is a benchmark, never run by make test:
//
//	go test -run '^$' -bench PreventionAtScale -benchtime 1x -timeout 60m ./services/prevention/
//
// PREVENTION_BENCH_CPUPROFILE=<file> profiles the rebuilds alone.
func BenchmarkPreventionAtScale(b *testing.B) {
	target := 1_000_000
	if s := os.Getenv("PREVENTION_BENCH_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("PREVENTION_BENCH_EVENTS=%q: want a positive number", s)
		}
		target = n
	}
	ctx := context.Background()
	nc, js := natsservertest.JetStreamForTest(b)
	l := jetstreamlogtest.OpenForTest(b, nc, jetstreamlog.Options{})

	start := time.Now()
	written, complaints, last, middle := writeLifecycles(b, l, target)
	writeTook := time.Since(start)
	b.Logf("wrote %d events (%d complaints) in %s: %.0f events/s", written, complaints, writeTook.Round(time.Millisecond), float64(written)/writeTook.Seconds())

	facts, err := adapters.NewFacts(ctx, l, js)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = facts.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	start = time.Now()
	for facts.Status().Position < last {
		time.Sleep(50 * time.Millisecond)
	}
	b.Logf("live projection caught up with the log in %s", time.Since(start).Round(time.Millisecond))

	if path := os.Getenv("PREVENTION_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	var folded uint64
	var took, replaying time.Duration
	cpu0, alloc0 := processCPU(), allocated()
	for range b.N {
		t0 := time.Now()
		if err := facts.Rebuild(ctx); err != nil {
			b.Fatal(err)
		}
		took += time.Since(t0)
		r := facts.Status().Rebuild
		folded += r.Applied
		replaying += r.FinishedAt.Sub(r.StartedAt)
	}
	b.StopTimer()
	cpu, alloc := processCPU()-cpu0, allocated()-alloc0
	pprof.StopCPUProfile()
	// A rebuild is the replay, then the save of the new snapshot.
	b.Logf("rebuild: %s, of which replay %s and snapshot save %s", (took / time.Duration(b.N)).Round(time.Millisecond),
		(replaying / time.Duration(b.N)).Round(time.Millisecond), ((took - replaying) / time.Duration(b.N)).Round(time.Millisecond))
	b.ReportMetric(float64(folded)/took.Seconds(), "folded-events/s")
	b.ReportMetric(float64(written)*float64(b.N)/took.Seconds(), "log-events/s")
	b.ReportMetric(float64(written)*float64(b.N)/replaying.Seconds(), "replay-log-events/s")
	// The CPU time the rebuild took (the NATS server's included), which
	// other work on the machine does not lengthen as it does the wall time.
	b.Logf("rebuild CPU time: %s (%.2f cores busy)", (cpu / time.Duration(b.N)).Round(time.Millisecond), cpu.Seconds()/took.Seconds())
	b.ReportMetric(float64(written)*float64(b.N)/cpu.Seconds(), "log-events/cpu-s")
	// What the rebuild allocates (the NATS server's included), which the
	// garbage collector's work follows.
	b.ReportMetric(float64(alloc)/float64(b.N)/float64(written), "alloc-B/log-event")

	// The log read alone: every event delivered to a handler that only
	// counts it, the ceiling of any rebuild through this log.
	t0, cpu0 := time.Now(), processCPU()
	var counted countEvents
	if _, err := projection.Replay(ctx, l, eventlog.Filter{}, &counted, eventlog.Beginning, last, projection.ReplayOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(counted)/time.Since(t0).Seconds(), "read-only-events/s")
	b.ReportMetric(float64(counted)/(processCPU()-cpu0).Seconds(), "read-only-events/cpu-s")

	a := app.New(facts, adapters.NewRegistry(facts))
	year := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	queries := []struct {
		name string
		run  func() error
	}{
		{"root-causes", func() error { _, err := a.RootCauses(ctx, app.Query{}); return err }},
		{"root-causes-filtered", func() error {
			_, err := a.RootCauses(ctx, app.Query{Filter: domain.Filter{From: year.AddDate(0, 3, 0), To: year.AddDate(0, 6, 0), Product: "broadband"}})
			return err
		}},
		{"effort", func() error { _, err := a.Effort(ctx, app.Query{}, 7); return err }},
		{"regulatory", func() error {
			_, err := a.Regulatory(ctx, app.RegulatoryQuery{Regime: "uk-fca", From: year, To: year.AddDate(1, 0, 0)})
			return err
		}},
	}
	for _, q := range queries {
		var d []time.Duration
		for range 200 {
			t0 := time.Now()
			if err := q.run(); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t0))
		}
		slices.Sort(d)
		p50, p99 := d[len(d)/2], d[len(d)*99/100]
		b.Logf("query %-22s p50 %8s  p99 %8s", q.name, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
		b.ReportMetric(float64(p99.Microseconds())/1000, q.name+"-p99-ms")
	}
	t0 = time.Now()
	if _, err := a.RootCauses(ctx, app.Query{AsOf: middle}); err != nil {
		b.Fatal(err)
	}
	asOf := time.Since(t0)
	b.Logf("as-of query (replay to the middle of the log): %s", asOf.Round(time.Millisecond))
	b.ReportMetric(float64(asOf.Milliseconds()), "as-of-mid-ms")
	runtime.GC()
	if hwm, rss := procStatus("VmHWM"), procStatus("VmRSS"); hwm > 0 {
		b.Logf("peak RSS %d MiB, RSS now %d MiB (test process: the NATS server, the log's client and the projection)", hwm>>10, rss>>10)
		b.ReportMetric(float64(hwm>>10), "peak-RSS-MiB")
	}
}

// countEvents is a projection state that only counts events.
type countEvents int64

func (c *countEvents) Apply(eventlog.RecordedEvent) error { *c++; return nil }

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// allocated is the bytes the process has allocated on the heap so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// procStatus reads a kB field of /proc/self/status (0 when unknown).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if name, v, ok := strings.Cut(s.Text(), ":"); ok && name == field {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// writeLifecycles appends complaint lifecycles spread over 2025 until target
// events are written; it returns the events written, the complaints, the
// last position and the instant at the middle of the log.
func writeLifecycles(b *testing.B, l eventlog.Log, target int) (written int64, complaints int64, last eventlog.Position, middle time.Time) {
	const workers = 64
	perComplaint := 22
	n := target/perComplaint + 1
	year := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	var next, events atomic.Int64
	var lastPos atomic.Uint64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				i := next.Add(1) - 1
				if events.Load() >= int64(target) {
					return
				}
				streams := lifecycle(rng, year.Add(time.Duration(i)*step))
				for _, s := range streams {
					res, err := l.Append(context.Background(), s.name, eventlog.NoStream(), s.events...)
					if err != nil {
						errs <- err
						return
					}
					events.Add(int64(len(s.events)))
					for {
						cur := lastPos.Load()
						if uint64(res.Position) <= cur || lastPos.CompareAndSwap(cur, uint64(res.Position)) {
							break
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return events.Load(), next.Load(), eventlog.Position(lastPos.Load()), year.Add(time.Duration(n/2) * step)
}

type streamEvents struct {
	name   string
	events []eventlog.EventData
}

var (
	benchProducts = []string{"broadband", "mobile", "tv", "card", "loan", "insurance"}
	benchChannels = []string{"web", "phone", "email", "chat", "branch"}
	benchTeams    = []string{"network-support", "billing", "retention", "cards", "lending"}
	benchRegimes  = []string{"uk-fca", "uk-fca", "us-cfpb", "default"}
	// A skewed set of causes: a few produce most complaints.
	benchCauses = []string{"network.outage", "network.outage", "network.outage", "billing.incorrect-charge", "billing.incorrect-charge",
		"service.poor-communication", "delivery.late", "product.fault", "process.unclear-terms", "fees.unexpected"}
)

// lifecycle is one complaint's events by stream, each stamped from received
// onwards: intake, triage and assignment, sometimes a transfer, an
// information request, a repeat contact or a reopen, resolution, clocks,
// redress and follow-up to closure.
func lifecycle(rng *rand.Rand, received time.Time) []streamEvents {
	id := uuid.NewString()
	at := received
	tick := func(d time.Duration) time.Time { at = at.Add(d); return at }
	product, channel := benchProducts[rng.IntN(len(benchProducts))], benchChannels[rng.IntN(len(benchChannels))]
	team, cause, regime := benchTeams[rng.IntN(len(benchTeams))], benchCauses[rng.IntN(len(benchCauses))], benchRegimes[rng.IntN(len(benchRegimes))]
	enc := func(m proto.Message, when time.Time) eventlog.EventData {
		d, err := es.Encode(uuid.NewString(), m, eventlog.Metadata{ComplaintID: id, Service: "bench", RecordedAt: when})
		if err != nil {
			panic(err)
		}
		return d
	}
	var out []streamEvents
	add := func(cat string, ms ...eventlog.EventData) {
		out = append(out, streamEvents{name: eventlog.StreamName(cat, id), events: ms})
	}
	complaint := []eventlog.EventData{
		enc(&complaintsv1.ComplaintReceived{ComplaintId: id, Reference: "R-" + id[:8], CustomerId: "c-" + id[:6], Channel: channel, Product: product,
			Description: "It stopped working and I was charged twice", DesiredOutcome: "refund", ReceivedAt: ts(at), Regime: regime, CustomerFingerprint: "fp-" + strconv.Itoa(rng.IntN(1<<20))}, at),
		enc(&complaintsv1.ComplaintAcknowledged{ComplaintId: id, Message: "Thank you, we are sorry", RespondBy: ts(at.Add(56 * 24 * time.Hour)), AcknowledgedAt: ts(tick(time.Minute))}, at),
		enc(&complaintsv1.NotificationRequested{NotificationId: uuid.NewString(), ComplaintId: id, Purpose: "acknowledgement", Template: "acknowledgement", Channel: "email", RequestedAt: ts(at)}, at),
	}
	if rng.IntN(10) == 0 {
		complaint = append(complaint, enc(&complaintsv1.RepeatContactRecorded{ComplaintId: id, Channel: "phone", ChannelSwitch: channel != "phone", RepeatContacts: 1, ContactedAt: ts(tick(time.Hour))}, at))
	}
	add("complaint", complaint...)
	caseEvents := []eventlog.EventData{
		enc(&complaintsv1.CaseOpened{ComplaintId: id, Product: product, Channel: channel, OpenedAt: ts(tick(time.Second))}, at),
		enc(&complaintsv1.CaseTriaged{ComplaintId: id, Severity: "medium", Priority: 3, TriagedAt: ts(at)}, at),
		enc(&complaintsv1.CaseAssigned{ComplaintId: id, Team: team, AssignedBy: "routing", AssignedAt: ts(at)}, at),
	}
	if rng.IntN(5) == 0 {
		to := benchTeams[rng.IntN(len(benchTeams))]
		caseEvents = append(caseEvents, enc(&complaintsv1.CaseTransferred{ComplaintId: id, FromTeam: team, ToTeam: to, Transfers: 1, TransferredAt: ts(tick(3 * time.Hour))}, at))
		team = to
	}
	if rng.IntN(7) == 0 {
		caseEvents = append(caseEvents,
			enc(&complaintsv1.InformationRequested{ComplaintId: id, RequestId: "r1", Question: "Which account?", InformationRequests: 1, RequestedAt: ts(tick(time.Hour))}, at),
			enc(&complaintsv1.InformationProvided{ComplaintId: id, RequestId: "r1", Answer: "the main one", ProvidedAt: ts(tick(24 * time.Hour))}, at))
	}
	outcome := complaintsv1.Outcome(1 + rng.IntN(3))
	resolvedAt := tick(time.Duration(1+rng.IntN(20*24)) * time.Hour)
	caseEvents = append(caseEvents,
		enc(&complaintsv1.CaseClaimed{ComplaintId: id, Agent: "a-" + strconv.Itoa(rng.IntN(200)), ClaimedAt: ts(at)}, at),
		enc(&complaintsv1.CaseResolved{ComplaintId: id, Outcome: outcome, RootCause: cause, Summary: "Fixed", ResolvedAt: ts(resolvedAt),
			Product: product, Team: team, FirstContactResolution: rng.IntN(3) == 0, Resolution: 1}, at),
		enc(&complaintsv1.NotificationRequested{NotificationId: uuid.NewString(), ComplaintId: id, Purpose: "final-response", Template: "final-response", RequestedAt: ts(at)}, at))
	add("case", caseEvents...)
	add("clock",
		enc(&complaintsv1.ClockStarted{ComplaintId: id, Clock: "acknowledgement", Kind: complaintsv1.ClockKind_CLOCK_KIND_INTERNAL, StartedAt: ts(received)}, at),
		enc(&complaintsv1.ClockStarted{ComplaintId: id, Clock: "final-response", Kind: complaintsv1.ClockKind_CLOCK_KIND_REGULATORY, Regime: regime, StartedAt: ts(received)}, at),
		enc(&complaintsv1.ClockMet{ComplaintId: id, Clock: "acknowledgement", MetAt: ts(received.Add(time.Minute))}, at),
		enc(&complaintsv1.ClockMet{ComplaintId: id, Clock: "final-response", MetAt: ts(resolvedAt)}, at))
	amount := int64(0)
	if outcome != complaintsv1.Outcome_OUTCOME_REJECTED && rng.IntN(3) > 0 {
		amount = int64(500 + rng.IntN(20000))
	}
	redress := []eventlog.EventData{enc(&complaintsv1.RedressDecided{ComplaintId: id, Resolution: 1, Outcome: outcome, RootCause: cause, Product: product, DecidedAt: ts(tick(time.Minute)),
		Items: []*complaintsv1.RedressItem{{ItemId: "i1", Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: amount, Currency: "GBP"}}}, at)}
	if amount > 0 {
		redress = append(redress,
			enc(&complaintsv1.RedressIssuanceRequested{ComplaintId: id, IssuanceId: "iss-" + id, RequestedAt: ts(at)}, at),
			enc(&complaintsv1.RedressIssued{ComplaintId: id, IssuanceId: "iss-" + id, ItemId: "i1", Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: amount, Currency: "GBP", IssuedAt: ts(tick(time.Hour))}, at))
	}
	redress = append(redress, enc(&complaintsv1.RedressSettled{ComplaintId: id, Resolution: 1, TotalMinor: amount, Currency: "GBP", SettledAt: ts(at)}, at))
	add("redress", redress...)
	add("followup",
		enc(&complaintsv1.FollowUpScheduled{ComplaintId: id, Resolution: 1, Due: ts(at.Add(48 * time.Hour)), ScheduledAt: ts(at)}, at),
		enc(&complaintsv1.SurveyRequested{ComplaintId: id, Resolution: 1, RequestedAt: ts(tick(48 * time.Hour))}, at),
		enc(&complaintsv1.NotificationRequested{NotificationId: uuid.NewString(), ComplaintId: id, Purpose: "survey", Template: "survey", RequestedAt: ts(at)}, at),
		enc(&complaintsv1.SurveyAnswered{ComplaintId: id, Csat: int32(1 + rng.IntN(5)), Effort: int32(1 + rng.IntN(7)), Nps: int32(rng.IntN(11)), Resolved: true, Resolution: 1, AnsweredAt: ts(tick(6 * time.Hour))}, at),
		enc(&complaintsv1.ComplaintClosed{ComplaintId: id, Reason: "customer-confirmed-resolved", ClosedAt: ts(at), Product: product, Team: team, RootCause: cause}, at))
	return out
}
