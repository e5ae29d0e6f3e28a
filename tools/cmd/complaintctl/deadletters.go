package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/complaintflow/complaintflow/services/platform/bus"
)

// defaultNATSURL is where dead-letters finds NATS when $NATS_URL is unset:
// the embedded server of `make run`.
const defaultNATSURL = "nats://127.0.0.1:4222"

const deadLettersUsage = "list [-consumer D] [-limit N] | show SEQ | redrive SEQ"

// cmdDeadLetters lists, shows and re-drives the events consumers gave up on.
// It talks to NATS directly: $NATS_URL (else nats://127.0.0.1:4222), with the
// credentials in the file $NATS_CREDS names, if set.
func cmdDeadLetters(g *cli, args []string) error {
	fs := g.flags("dead-letters", deadLettersUsage)
	natsURL := fs.String("nats", envOr("NATS_URL", defaultNATSURL), "NATS server URL ($NATS_URL)")
	creds := fs.String("creds", os.Getenv("NATS_CREDS"), "NATS credentials: a .creds file, an nkey seed file, or JSON {\"user\",\"password\"} or {\"token\"} ($NATS_CREDS)")
	consumer := fs.String("consumer", "", "list: only this consumer's dead letters")
	limit := fs.Int("limit", 0, "list: at most this many (0: all)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	usageErr := func(msg string) error {
		fmt.Fprintf(g.stderr, "complaintctl: dead-letters: %s\n", msg)
		fs.Usage()
		return errUsage
	}
	if len(pos) == 0 {
		return usageErr("want list, show SEQ or redrive SEQ")
	}
	verb := pos[0]
	var seq uint64
	switch verb {
	case "list":
		if len(pos) != 1 {
			return usageErr("list takes no arguments")
		}
	case "show", "redrive":
		if len(pos) != 2 {
			return usageErr(verb + " takes one dead-letter sequence")
		}
		if seq, err = strconv.ParseUint(pos[1], 10, 64); err != nil || seq == 0 {
			return usageErr(fmt.Sprintf("%q is not a dead-letter sequence", pos[1]))
		}
	default:
		return usageErr(fmt.Sprintf("unknown dead-letters command %q", verb))
	}

	ctx, cancel := g.context()
	defer cancel()
	nc, err := connectNATS(*natsURL, *creds)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, bus.DeadLetterStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if verb == "list" {
			return g.print([]bus.DeadLetter{}, func(w io.Writer) { fmt.Fprintln(w, "no dead letters") })
		}
		return fmt.Errorf("dead letter %d: no dead-letter stream %s on %s", seq, bus.DeadLetterStream, *natsURL)
	}
	if err != nil {
		return fmt.Errorf("dead-letter stream on %s: %w", *natsURL, err)
	}
	switch verb {
	case "list":
		dls, err := bus.ListDeadLetters(ctx, st, *consumer, *limit)
		if err != nil {
			return err
		}
		return g.print(orEmpty(dls), func(w io.Writer) { printDeadLetters(w, dls) })
	case "show":
		dl, err := readDeadLetter(ctx, st, seq)
		if err != nil {
			return err
		}
		return g.print(dl, func(w io.Writer) { printDeadLetter(w, dl) })
	default:
		return redrive(ctx, g, nc, st, seq)
	}
}

func readDeadLetter(ctx context.Context, st jetstream.Stream, seq uint64) (bus.DeadLetter, error) {
	dl, err := bus.ReadDeadLetter(ctx, st, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return dl, fmt.Errorf("no dead letter %d (listed by 'complaintctl dead-letters list')", seq)
	}
	if err != nil {
		return dl, fmt.Errorf("dead letter %d: %w", seq, err)
	}
	return dl, nil
}

// redriveAnswer is what redrive prints with -json.
type redriveAnswer struct {
	Sequence uint64            `json:"sequence"`
	Consumer string            `json:"consumer"`
	Result   bus.RedriveResult `json:"result"`
	Removed  bool              `json:"removed"`
}

// redrive hands a dead letter back to its consumer and removes it once the
// consumer has handled it. Running it again after a failure, or twice, is
// safe: handlers are idempotent, and the dead letter is removed only after
// success.
func redrive(ctx context.Context, g *cli, nc *nats.Conn, st jetstream.Stream, seq uint64) error {
	dl, err := readDeadLetter(ctx, st, seq)
	if err != nil {
		return err
	}
	if name, ok := strings.CutPrefix(dl.Consumer, bus.ProjectionConsumerPrefix); ok {
		return fmt.Errorf("dead letter %d is projection %s's: a projection is not re-driven but rebuilt. "+
			"Once a release folds the event, run 'complaintctl projections rebuild %s' (its dead-letter count drops), "+
			"then remove the dead letter (nats stream rmm %s %d)", seq, name, name, bus.DeadLetterStream, seq)
	}
	res, err := bus.Redrive(ctx, nc, dl)
	if err != nil {
		return fmt.Errorf("re-drive dead letter %d: %w", seq, err)
	}
	if res.Outcome == bus.RedriveFailed {
		return fmt.Errorf("re-drive dead letter %d: %s failed again (%s): %s; the dead letter stays",
			seq, dl.Consumer, orDash(res.Reason), res.Error)
	}
	ans := redriveAnswer{Sequence: seq, Consumer: dl.Consumer, Result: res}
	if err := st.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("dead letter %d was re-driven (%s) but not removed: %w; re-driving it again is safe", seq, res.Outcome, err)
	}
	ans.Removed = true
	return g.print(ans, func(w io.Writer) {
		fmt.Fprintf(w, "dead letter %d re-driven to %s: %s; removed from dead letters\n", seq, dl.Consumer, res.Outcome)
	})
}

func printDeadLetters(w io.Writer, dls []bus.DeadLetter) {
	if len(dls) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return
	}
	t := table(w)
	fmt.Fprintln(t, "SEQ\tAT\tCONSUMER\tREASON\tATTEMPTS\tEVENT TYPE\tSUBJECT\tERROR")
	for _, d := range dls {
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.Sequence, fmtTime(d.At), d.Consumer, d.Reason, d.Attempts,
			orDash(d.EventType()), d.Subject, shorten(d.Error, 60))
	}
	t.Flush()
}

func printDeadLetter(w io.Writer, d bus.DeadLetter) {
	t := table(w)
	fmt.Fprintf(t, "Dead letter\t%d\n", d.Sequence)
	fmt.Fprintf(t, "At\t%s\n", fmtTime(d.At))
	fmt.Fprintf(t, "Consumer\t%s\n", d.Consumer)
	fmt.Fprintf(t, "Reason\t%s\n", d.Reason)
	fmt.Fprintf(t, "Attempts\t%d\n", d.Attempts)
	fmt.Fprintf(t, "Error\t%s\n", orDash(d.Error))
	fmt.Fprintf(t, "Subject\t%s\n", d.Subject)
	fmt.Fprintf(t, "Stream sequence\t%d\n", d.StreamSequence)
	t.Flush()
	fmt.Fprintln(w, "\nEvent headers:")
	t = table(w)
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(t, "  %s\t%s\n", k, strings.Join(d.Header[k], ", "))
	}
	t.Flush()
	fmt.Fprintf(w, "\nPayload (%d bytes):\n%s\n", len(d.Data), renderPayload(d.EventType(), d.Data))
}

// renderPayload shows a payload as JSON when it decodes as its type (personal
// data stays sealed in it), else as base64.
func renderPayload(eventType string, data []byte) string {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(eventType)); err == nil {
		m := mt.New().Interface()
		if proto.Unmarshal(data, m) == nil {
			if b, err := (protojson.MarshalOptions{Multiline: true, Indent: "  "}).Marshal(m); err == nil {
				return string(b)
			}
		}
	}
	return "base64 " + base64.StdEncoding.EncodeToString(data)
}

// connectNATS connects to url with the credentials in file, if any: a
// .creds file (user JWT and nkey seed), a file holding an nkey seed, or a
// JSON file {"user": ..., "password": ...} or {"token": ...}.
func connectNATS(url, file string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name("complaintctl")}
	if file != "" {
		o, err := credentialsOption(file)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

func credentialsOption(file string) (nats.Option, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("NATS credentials: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.Contains(data, []byte("BEGIN NATS USER JWT")):
		return nats.UserCredentials(file), nil
	case bytes.HasPrefix(trimmed, []byte("SU")):
		o, err := nats.NkeyOptionFromSeed(file)
		if err != nil {
			return nil, fmt.Errorf("NATS credentials %s: %w", file, err)
		}
		return o, nil
	case bytes.HasPrefix(trimmed, []byte("{")):
		var u struct {
			User     string `json:"user"`
			Password string `json:"password"`
			Token    string `json:"token"`
		}
		if err := json.Unmarshal(trimmed, &u); err != nil {
			return nil, fmt.Errorf("NATS credentials %s: %w", file, err)
		}
		switch {
		case u.Token != "":
			return nats.Token(u.Token), nil
		case u.User != "":
			return nats.UserInfo(u.User, u.Password), nil
		}
	}
	return nil, fmt.Errorf("NATS credentials %s: not a .creds file, an nkey seed, or JSON with a user or token", file)
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orEmpty(dls []bus.DeadLetter) []bus.DeadLetter {
	if dls == nil {
		return []bus.DeadLetter{}
	}
	return dls
}

// shorten keeps s to n runes, marking a cut with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return orDash(s)
	}
	return string(r[:n-1]) + "…"
}
