// Command benchcompare measures the whole complaint lifecycle of two
// versions side by side, so that a performance change is one ratio from one
// run:
//
//	benchcompare [-base d60923f] [-rounds 3] [-n 2000] [-c 64] [-watch poll|events] [-json] [-v]
//
// (make bench-compare BASE=<rev> ROUNDS=3 N=2000 C=64 WATCH=poll.)
//
// It builds the all-in-one binary (./services/system/cmd/complaints) of BASE,
// a git revision checked out in a temporary worktree that is removed
// afterwards, and of the current work tree, uncommitted changes included;
// and the load generator (./tools/cmd/loadgen) of the current work tree
// only, so that the same client drives both and only the server differs.
//
// Each round runs both sides, BASE first in odd rounds and HEAD first in
// even ones. A run starts a fresh server (a new temporary DATA_DIR, free
// loopback ports for HTTP and the embedded NATS server, CONFIG_DIR=
// deploy/policies/fast of its tree when the tree has it, the payment
// simulator on, as make run does), waits for /healthz, pushes -n complaints
// through with -c in flight, stops the server and counts the messages its
// JetStream store holds. It measures:
//
//   - complaints/s: closed complaints per second of the load's wall time;
//   - server CPU ms per complaint: the server's user and system time (and
//     its children's) from /proc/<pid>/stat, just before and just after the
//     load, divided by the complaints;
//   - peak RSS: VmHWM from /proc/<pid>/status after the load;
//   - submit→acknowledged and submit→closed p50 and p99, as the load
//     generator reports them;
//   - durable messages per complaint: every message of every stream of the
//     store (the event log, timers, dead letters, key-value buckets) after
//     the run, divided by the complaints; event-log messages per complaint:
//     those of the stream COMPLAINT_EVENTS (one per event before ADR 0040,
//     one per append since); messages written per complaint: the
//     messages ever written to every stream (their last sequences), which
//     counts the timer schedules and bucket values that a later write
//     replaced. Each is one fsync with sync always; the server also syncs
//     the record of a message removed by a roll-up and the consumers'
//     state files, which no count here sees (docs/capacity.md counts them
//     with strace). The counts are read by starting an
//     embedded NATS server on the stopped server's store.
//
// The table gives each figure's median over the rounds for BASE and HEAD and
// the ratio HEAD/BASE; -v adds every run's figures and each stream's message
// count, -json prints the same as JSON.
//
// A run whose load generator reports a failed complaint is not a
// measurement: the command then says which run failed and why, prints no
// figure, and exits 1.
//
// -watch events makes the load generator learn each closure from the
// ComplaintClosed events on NATS instead of polling the complaint's view
// (the outside user's credentials from the data directory when the server
// wrote them, else none). It also works against d60923f, whose embedded
// server takes anonymous clients.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	base           string
	rounds         int
	n, c           int
	watch          string
	json           bool
	verbose        bool
	keep           bool
	loadTimeout    time.Duration
	startupTimeout time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := flag.NewFlagSet("benchcompare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.base, "base", "d60923f", "git revision to compare the work tree with")
	fs.IntVar(&cfg.rounds, "rounds", 3, "rounds; each runs BASE and HEAD once, in alternating order")
	fs.IntVar(&cfg.n, "n", 2000, "complaints per run (loadgen -n)")
	fs.IntVar(&cfg.c, "c", 64, "complaints in flight (loadgen -c)")
	fs.StringVar(&cfg.watch, "watch", "poll", "how loadgen learns of closures: poll or events (loadgen -watch)")
	fs.BoolVar(&cfg.json, "json", false, "print the comparison as JSON")
	fs.BoolVar(&cfg.verbose, "v", false, "also print every run's figures and each stream's message count")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary folder (binaries, data directories, server logs)")
	fs.DurationVar(&cfg.loadTimeout, "timeout", 30*time.Minute, "give up on one run's load after this long (loadgen -timeout)")
	fs.DurationVar(&cfg.startupTimeout, "startup-timeout", 2*time.Minute, "give up on a server that is not healthy after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: benchcompare [flags]   (run from the repository)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || cfg.rounds < 1 || cfg.n < 1 || cfg.c < 1 || (cfg.watch != "poll" && cfg.watch != "events") {
		fmt.Fprintln(stderr, "benchcompare: want no arguments, -rounds, -n and -c at least 1, and -watch poll or events")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmp, err := compare(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "benchcompare:", err)
		return 1
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(cmp)
	} else {
		cmp.print(stdout, cfg.verbose)
	}
	return 0
}
