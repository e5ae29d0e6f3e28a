package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/pii"
)

const kekUsage = "create -file F | rotate -file F | status [-file F] | rewrap -file F [-unwrapped] | retire -file F"

// cmdKEK manages the key-encryption keys of the personal-data keys
// (PII_KEK_FILE, ADR 0014 and 0039): create the file, rotate it (a new KEK
// first, the old ones kept), count the keys in the customer-keys bucket by
// the KEK that wraps them, move every key to the current KEK, and drop the
// older KEKs once no key needs them. The file is always replaced
// atomically. status, rewrap and retire read the bucket as the operator
// ($NATS_URL, $NATS_CREDS).
func cmdKEK(g *cli, args []string) error {
	fs := g.flags("kek", kekUsage)
	file := fs.String("file", os.Getenv("PII_KEK_FILE"), "the key-encryption key file ($PII_KEK_FILE)")
	natsURL := fs.String("nats", envOr("NATS_URL", defaultNATSURL), "status, rewrap, retire: NATS server URL ($NATS_URL)")
	creds := fs.String("creds", os.Getenv("NATS_CREDS"), "status, rewrap, retire: the operator's NATS credentials ($NATS_CREDS)")
	unwrapped := fs.Bool("unwrapped", false, "rewrap: also wrap the keys stored without a KEK (check where they came from first)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	usageErr := func(msg string) error {
		fmt.Fprintf(g.stderr, "complaintctl: kek: %s\n", msg)
		fs.Usage()
		return errUsage
	}
	if len(pos) != 1 {
		return usageErr("want one of create, rotate, status, rewrap, retire")
	}
	verb := pos[0]
	switch verb {
	case "create", "rotate", "rewrap", "retire":
		if *file == "" {
			return usageErr(verb + " needs -file (or $PII_KEK_FILE)")
		}
	case "status":
	default:
		return usageErr(fmt.Sprintf("unknown kek command %q", verb))
	}
	if *unwrapped && verb != "rewrap" {
		return usageErr("-unwrapped goes with rewrap")
	}

	switch verb {
	case "create":
		r, err := pii.CreateKeyRingFile(*file)
		if err != nil {
			return err
		}
		return g.print(map[string]string{"file": *file, "current": r.Current()}, func(w io.Writer) {
			fmt.Fprintf(w, "KEK %s created in %s (mode 0600): give it to intake as PII_KEK_FILE, back it up apart from the bucket\n", r.Current(), *file)
		})
	case "rotate":
		r, err := pii.RotateKeyRingFile(*file)
		if err != nil {
			return err
		}
		return g.print(map[string]any{"file": *file, "current": r.Current(), "keks": r.IDs()}, func(w io.Writer) {
			fmt.Fprintf(w, "new KEK %s first in %s; the older ones are kept to unwrap.\n", r.Current(), *file)
			fmt.Fprintln(w, "Next: give the file to every intake process and restart them (each rewraps at start),")
			fmt.Fprintln(w, "or run complaintctl kek rewrap; then complaintctl kek retire drops the KEKs no key needs.")
		})
	}

	var ring *pii.KeyRing
	if *file != "" {
		if ring, err = pii.LoadKeyRing(*file); err != nil {
			return err
		}
	}
	ctx, cancel := g.context()
	defer cancel()
	vault, closeVault, err := openVault(ctx, *natsURL, *creds, ring)
	if err != nil {
		return err
	}
	defer closeVault()

	var census pii.KeyCensus
	switch verb {
	case "status", "retire":
		census, err = vault.Census(ctx)
	case "rewrap":
		if *unwrapped {
			census, err = vault.WrapUnwrapped(ctx)
		} else {
			census, err = vault.Rewrap(ctx)
		}
	}
	if err != nil {
		return err
	}
	if verb != "retire" {
		return g.print(kekReport(census, ring), func(w io.Writer) { printCensus(w, census, ring) })
	}

	retired := ring.Retired(census)
	if len(retired) == 0 {
		printCensus(g.stderr, census, ring)
		return fmt.Errorf("kek retire: no older KEK in %s is free to go: each still wraps keys (run complaintctl kek rewrap first), or the file holds only the current one", *file)
	}
	kept, err := ring.Without(retired...)
	if err != nil {
		return err
	}
	if err := pii.WriteKeyRingFile(*file, kept); err != nil {
		return err
	}
	return g.print(map[string]any{"file": *file, "retired": retired, "keks": kept.IDs()}, func(w io.Writer) {
		fmt.Fprintf(w, "retired %v from %s; it holds %v\n", retired, *file, kept.IDs())
	})
}

// openVault opens the customer-keys bucket as the operator, with the ring
// when there is one (rewrap needs it; status does not).
func openVault(ctx context.Context, url, creds string, ring *pii.KeyRing) (*pii.Vault, func(), error) {
	nc, err := connectNATS(url, creds)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	var opts []pii.Option
	if ring != nil {
		opts = append(opts, pii.WithKEKs(ring))
	}
	v, err := pii.NewVault(ctx, js, pii.DefaultBucket, opts...)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return v, func() { _ = v.Close(); nc.Close() }, nil
}

// kekCount is one KEK's line in the report.
type kekCount struct {
	KEK  string `json:"kek"`
	Keys int    `json:"keys"`
	// Role: "current", "older" (in the file, not current) or "missing"
	// (wraps keys but is not in the file); empty without -file.
	Role string `json:"role,omitempty"`
}

type kekStatus struct {
	Rewrapped int        `json:"rewrapped"`
	KEKs      []kekCount `json:"keks"`
	// Unwrapped are the bucket keys of the keys stored without a KEK.
	Unwrapped []string `json:"unwrapped"`
}

func kekReport(c pii.KeyCensus, ring *pii.KeyRing) kekStatus {
	s := kekStatus{Rewrapped: c.Rewrapped, Unwrapped: append([]string{}, c.Unwrapped...)}
	seen := map[string]bool{}
	if ring != nil {
		for i, id := range ring.IDs() {
			role := "older"
			if i == 0 {
				role = "current"
			}
			s.KEKs = append(s.KEKs, kekCount{KEK: id, Keys: c.ByKEK[id], Role: role})
			seen[id] = true
		}
	}
	var others []string
	for id := range c.ByKEK {
		if !seen[id] {
			others = append(others, id)
		}
	}
	sort.Strings(others)
	for _, id := range others {
		k := kekCount{KEK: id, Keys: c.ByKEK[id]}
		if ring != nil {
			k.Role = "missing"
		}
		s.KEKs = append(s.KEKs, k)
	}
	return s
}

func printCensus(w io.Writer, c pii.KeyCensus, ring *pii.KeyRing) {
	s := kekReport(c, ring)
	if c.Rewrapped > 0 {
		fmt.Fprintf(w, "%d keys rewrapped with the current KEK\n", c.Rewrapped)
	}
	for _, k := range s.KEKs {
		role := ""
		switch k.Role {
		case "current":
			role = " (current)"
		case "older":
			role = " (older: may be retired once it wraps no key)"
		case "missing":
			role = " (NOT IN THE FILE: these keys do not open)"
		}
		fmt.Fprintf(w, "%-24s %d keys%s\n", k.KEK, k.Keys, role)
	}
	fmt.Fprintf(w, "%-24s %d keys", "unwrapped", len(s.Unwrapped))
	if len(s.Unwrapped) > 0 {
		fmt.Fprint(w, " (refused by intake: stored before KEKs, or written by someone without one; complaintctl kek rewrap -unwrapped wraps them)")
	}
	fmt.Fprintln(w)
	for _, name := range s.Unwrapped {
		fmt.Fprintf(w, "  %s\n", name)
	}
}
