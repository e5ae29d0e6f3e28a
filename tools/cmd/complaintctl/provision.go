package main

import (
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/provision"
)

const provisionUsage = "[-nats URL] [-creds FILE]"

// cmdProvision creates the streams and buckets the services share, or
// brings their settings up to date, as the operator (package provision).
// The services only check them at start. Running it again changes nothing.
func cmdProvision(g *cli, args []string) error {
	fs := g.flags("provision", provisionUsage)
	natsURL := fs.String("nats", envOr("NATS_URL", defaultNATSURL), "NATS server URL ($NATS_URL)")
	creds := fs.String("creds", os.Getenv("NATS_CREDS"), "the operator's NATS credentials: a .creds file or an nkey seed file ($NATS_CREDS)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fmt.Fprintln(g.stderr, "complaintctl: provision takes no arguments")
		fs.Usage()
		return errUsage
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
	if err := provision.Provision(ctx, js); err != nil {
		return err
	}
	if err := provision.Check(ctx, js); err != nil {
		return err
	}
	names := provision.StreamNames()
	return g.print(names, func(w io.Writer) {
		for _, n := range names {
			fmt.Fprintf(w, "%s ready\n", n)
		}
	})
}
