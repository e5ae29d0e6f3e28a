// Command complaintctl drives the complaint API from a terminal: file a
// complaint, look at it and its timeline, work its case as an agent,
// answer its survey as the customer, print the reports (root causes,
// effort, regulatory, preventive actions), rebuild prevention's
// projections, or walk one complaint through its whole lifecycle.
//
//	complaintctl [-url URL] [-json] [-timeout D] <command> [flags] [args]
//
// The API address defaults to $COMPLAINTS_URL, else http://127.0.0.1:8080.
// Requests carry the bearer token in $COMPLAINTS_TOKEN, else the
// development token of the role each command needs, read from
// $COMPLAINTS_TOKENS_FILE (default data/dev-tokens.json, written by the
// system on its first start). walk answers the survey with the customer's
// capability token that its submission returned.
// API errors exit with status 1 and name the fields at fault; usage errors
// exit with status 2.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/complaintflow/complaintflow/tools/client"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a usage error already reported on stderr.
var errUsage = errors.New("usage")

// cli is the state every command shares.
type cli struct {
	stdout, stderr io.Writer
	url            string
	json           bool
	timeout        time.Duration
	auth           client.Credentials
}

type command struct {
	name, args, help string
	run              func(g *cli, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"submit", "[flags]", "file a complaint", cmdSubmit},
		{"show", "ID", "show a complaint across every service", cmdShow},
		{"timeline", "ID", "list a complaint's events in log order (time, service, type)", cmdTimeline},
		{"case", "ID", "show a complaint's case", cmdCase},
		{"assign", "ID -team TEAM [-agent A]", "assign (or transfer) a case to a team", cmdAssign},
		{"resolve", "ID -outcome O -root-cause CODE [-summary S] [-agent A]", "resolve a case", cmdResolve},
		{"redress", "ID", "show the redress decided for a complaint", cmdRedress},
		{"followup", "ID", "show a complaint's satisfaction survey", cmdFollowUp},
		{"answer", "ID -csat N -effort N -resolved[=true|false] [-comment C]", "answer the survey as the customer", cmdAnswer},
		{"root-causes", "", "list the root-cause codes cases are resolved with", cmdRootCauses},
		{"report", reportUsage, "print a report: root causes (Pareto, the default), customer effort, a regime's complaints return, preventive actions", cmdReport},
		{"projections", projectionsUsage, "list prevention's projections, or rebuild one from the whole log with a progress bar (admin)", cmdProjections},
		{"walk", "[flags]", "submit one complaint and drive it to closed, printing each step", cmdWalk},
		{"dead-letters", deadLettersUsage, "list, show and re-drive events consumers gave up on (NATS: $NATS_URL, $NATS_CREDS)", cmdDeadLetters},
		{"provision", provisionUsage, "create the streams and buckets the services share, or bring them up to date, as the NATS operator user", cmdProvision},
		{"kek", kekUsage, "the personal-data key-encryption keys: create or rotate the file, count the keys each KEK wraps (and the unwrapped ones), rewrap them, retire the KEKs no key needs", cmdKEK},
	}
}

func defaultURL() string {
	if u := os.Getenv("COMPLAINTS_URL"); u != "" {
		return u
	}
	return client.DefaultURL
}

// run is the whole command: args exclude the program name; the answer is
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	g := &cli{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("complaintctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.globalFlags(fs, defaultURL(), false, 30*time.Second)
	fs.Usage = func() { usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		usage(stderr, fs)
		return 2
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" {
		usage(stdout, fs)
		return 0
	}
	var err error
	if g.auth, err = client.LoadCredentials(); err != nil {
		fmt.Fprintf(stderr, "complaintctl: credentials: %v\n", err)
		return 2
	}
	for _, c := range commands {
		if c.name == name {
			return g.exit(c.run(g, rest))
		}
	}
	fmt.Fprintf(stderr, "complaintctl: unknown command %q\n", name)
	usage(stderr, fs)
	return 2
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: complaintctl [-url URL] [-json] [-timeout D] <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n      %s\n", strings.TrimSpace(c.name+" "+c.args), c.help)
	}
	fmt.Fprintln(w, "\nglobal flags (also accepted after the command):")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	fmt.Fprintln(w, "\n'complaintctl <command> -h' lists a command's flags.")
}

// exit reports err and returns the exit status.
func (g *cli) exit(err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if p, ok := client.AsProblem(err); ok {
		if g.json {
			enc := json.NewEncoder(g.stderr)
			enc.SetIndent("", "  ")
			_ = enc.Encode(p)
			return 1
		}
		// Keep what the command was doing ("assign: ") when it wrapped the problem.
		doing := strings.TrimSuffix(err.Error(), p.Error())
		fmt.Fprintf(g.stderr, "complaintctl: %s%d %s\n", doing, p.Status, p.Title)
		if p.Detail != "" {
			fmt.Fprintf(g.stderr, "  %s\n", p.Detail)
		}
		for _, fe := range p.Errors {
			fmt.Fprintf(g.stderr, "  %s: %s\n", fe.Field, fe.Detail)
		}
		return 1
	}
	fmt.Fprintf(g.stderr, "complaintctl: %v\n", err)
	return 1
}

func (g *cli) globalFlags(fs *flag.FlagSet, url string, asJSON bool, timeout time.Duration) {
	fs.StringVar(&g.url, "url", url, "base URL of the complaint API ($COMPLAINTS_URL, else "+client.DefaultURL+")")
	fs.BoolVar(&g.json, "json", asJSON, "print answers as JSON")
	fs.DurationVar(&g.timeout, "timeout", timeout, "give up after this long")
}

// flags returns a command's flag set, which also accepts the global flags.
func (g *cli) flags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("complaintctl "+name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	g.globalFlags(fs, g.url, g.json, g.timeout)
	fs.Usage = func() {
		fmt.Fprintf(g.stderr, "usage: complaintctl %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones ("--" ends the flags).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseID parses a command that takes exactly one complaint id.
func (g *cli) parseID(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		fmt.Fprintf(g.stderr, "complaintctl: want one complaint id, got %d arguments\n", len(pos))
		fs.Usage()
		return "", errUsage
	}
	return pos[0], nil
}

func (g *cli) parseNone(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fmt.Fprintf(g.stderr, "complaintctl: unexpected arguments %q\n", pos)
		fs.Usage()
		return errUsage
	}
	return nil
}

func (g *cli) client() *client.Client {
	u := g.url
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	c := client.New(u, 4)
	c.Auth = g.auth
	return c
}

func (g *cli) context() (context.Context, context.CancelFunc) {
	if g.timeout <= 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), g.timeout)
}

// print writes v as JSON when -json is set, else calls text.
func (g *cli) print(v any, text func(w io.Writer)) error {
	if g.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(g.stdout)
	return nil
}

// optInt is an int flag that remembers whether it was given.
type optInt struct{ v *int32 }

func (o *optInt) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.Itoa(int(*o.v))
}

func (o *optInt) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return errors.New("must be a whole number")
	}
	o.v = client.Ptr(int32(n))
	return nil
}

// optBool is a bool flag that remembers whether it was given.
type optBool struct{ v *bool }

func (o *optBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true or false")
	}
	o.v = &b
	return nil
}

func (o *optBool) IsBoolFlag() bool { return true }

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeLayout)
}

// fmtAmount prints a minor-unit amount in major units (two decimals).
func fmtAmount(minor int64, currency string) string {
	if minor == 0 && currency == "" {
		return "none"
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
	if currency != "" {
		s += " " + currency
	}
	return s
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "yes"
	default:
		return "no"
	}
}

// sortedCodes orders a taxonomy by code.
func sortedCodes(rc []client.RootCause) []client.RootCause {
	out := append([]client.RootCause(nil), rc...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
